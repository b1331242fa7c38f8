"""A section page imports its macro files once per page, not once per question or part.

Every ``{% import %}`` or ``{% from … import %}`` compares the page's globals with the
imported template's, and one ``with context`` evaluates the whole file again. The section
page did 14 of them (one in every part's ``part_input``, two ``with context``); it is the
page most requested, after every save (issue 12). Two are left: the error summary and the
question macros. Part templates come from ``part_templates`` (portal/templating.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Template


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates imported by the templates rendered (a module made once is not counted)."""
    imported: list[str] = []
    original = Template._get_default_module
    original_make_module = Template.make_module

    def counting(self: Template, ctx: Any = None) -> Any:
        if ctx is not None:  # an import statement; ``.module`` passes no context
            imported.append(str(self.name))
        return original(self, ctx)

    def counting_with_context(self: Template, vars: Any = None, shared: bool = False, locals: Any = None) -> Any:
        if vars is not None:  # ``with context``: the file evaluated again
            imported.append(f"{self.name} with context")
        return original_make_module(self, vars, shared, locals)

    monkeypatch.setattr(Template, "_get_default_module", counting)
    monkeypatch.setattr(Template, "make_module", counting_with_context)
    return imported


def test_a_section_page_imports_each_macro_file_once(make_response: Any, db: Any, login_as: Any,
                                                      client: Any, imports: list[str]) -> None:
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    client.get(f"/responses/{response.id}/sections/B")  # the part templates' modules made
    imports.clear()
    page = client.get(f"/responses/{response.id}/sections/B")
    assert page.status_code == 200
    assert 'name="present-B' in page.get_data(as_text=True)
    assert sorted(imports) == ["questionnaire/_question.html", "responses/_section_errors.html"]
