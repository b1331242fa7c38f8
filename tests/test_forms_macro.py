"""The one field macro (templates/_macros/forms.html): the accessibility contract of STYLE.md item 7."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from portal.forms import PortalForm, select_choices
from tests.auth.helpers import isolate_requests, post, text

MACROS = '{% from "_macros/forms.html" import field, radios, checkboxes, checkbox, error_summary %}'


class SampleForm(PortalForm):
    class Meta:
        csrf = False

    name = StringField("Name", description="As in the register", validators=[DataRequired("Enter the name")])
    nickname = StringField("Nickname", validators=[Optional()])
    city = StringField("City", validators=[DataRequired("Enter the city")])
    notes = TextAreaField("Notes", description="Anything else", validators=[Optional()])
    size = SelectField("Size", choices=select_choices([("s", "Small"), ("l", "Large")]),
                       validators=[InputRequired("Choose a size")])
    colour = RadioField("Colour", choices=select_choices([("red", "Red"), ("blue", "Blue"), ("green", "Green")]),
                        validators=[InputRequired("Choose a colour")])
    themes = SelectMultipleField("Themes", choices=select_choices([("a", "Alpha"), ("b", "Beta")]),
                                 validators=[DataRequired("Choose a theme")])
    agree = BooleanField("I agree", validators=[DataRequired("Confirm that you agree")])


def _render(app, template: str, data: dict | None = None) -> tuple[str, SampleForm]:
    """Render macros for a SampleForm, validated against ``data`` when given."""
    method = "POST" if data is not None else "GET"
    # In English, so the macro's own words ("Error:", "(optional)") can be read literally.
    with app.test_request_context("/", method=method, data=data or {}, headers={"Accept-Language": "en"}):
        form = SampleForm()
        if data is not None:
            form.validate()
        return render_template_string(MACROS + template, form=form), form


def _tag(html: str, element_id: str) -> str:
    match = re.search(rf'<(input|select|textarea)\b[^>]*\sid="{element_id}"[^>]*>', html)
    assert match, f"no control with id {element_id}"
    return match.group(0)


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else None


INVALID = {"name": "", "nickname": "", "city": "", "size": "x", "notes": "typed notes"}


def test_label_then_hint_then_error_then_control(app, db):
    html, _ = _render(app, "{{ field(form.name) }}", INVALID)

    label = html.index('<label class="ds-label" for="name">')
    hint = html.index('id="name-hint"')
    error = html.index('id="name-error"')
    control = html.index(_tag(html, "name"))
    assert label < hint < error < control
    assert "Enter the name" in html[error:control]


def test_described_by_names_only_the_parts_that_are_present(app, db):
    valid = {"name": "Kari", "city": "Oslo", "nickname": "", "notes": ""}
    html_ok, _ = _render(app, "{{ field(form.name) }}{{ field(form.nickname) }}{{ field(form.notes) }}", valid)
    html_bad, _ = _render(app, "{{ field(form.name) }}{{ field(form.city) }}", INVALID)

    assert _attr(_tag(html_ok, "name"), "aria-describedby") == "name-hint"
    assert _attr(_tag(html_ok, "nickname"), "aria-describedby") is None
    assert _attr(_tag(html_ok, "notes"), "aria-describedby") == "notes-hint"
    assert _attr(_tag(html_bad, "name"), "aria-describedby") == "name-hint name-error"
    assert _attr(_tag(html_bad, "city"), "aria-describedby") == "city-error"
    for html in (html_ok, html_bad):
        for described in re.findall(r'aria-describedby="([^"]*)"', html):
            for ref in described.split():
                assert html.count(f'id="{ref}"') == 1


def test_aria_invalid_only_on_fields_with_errors(app, db):
    html, _ = _render(app, "{{ field(form.name) }}{{ field(form.nickname) }}{{ field(form.size) }}", INVALID)

    assert _attr(_tag(html, "name"), "aria-invalid") == "true"
    assert _attr(_tag(html, "size"), "aria-invalid") == "true"
    assert _attr(_tag(html, "nickname"), "aria-invalid") is None


def test_error_messages_are_prefixed_for_screen_readers(app, db):
    html, _ = _render(app, "{{ field(form.name) }}", INVALID)

    assert re.search(r'<span class="ds-sr-only">Error: </span>Enter the name', html)


def test_radios_sit_in_a_fieldset_with_a_legend_and_the_first_option_has_the_field_id(app, db):
    html, _ = _render(app, "{{ radios(form.colour) }}", INVALID)

    assert html.lstrip().startswith('<fieldset')
    assert re.search(r"<legend[^>]*>Colour", html)
    ids = re.findall(r'<input[^>]*type="radio"[^>]*\sid="([^"]+)"', html)
    assert ids[0] == "colour"
    assert len(set(ids)) == 3
    for option_id in ids:
        assert f'<label class="ds-label" for="{option_id}">' in html
    assert _attr(re.search(r"<fieldset[^>]*>", html).group(0), "aria-describedby") == "colour-error"
    assert html.index("<legend") < html.index('id="colour-error"') < html.index('type="radio"')


def test_checkboxes_sit_in_a_fieldset_and_the_first_option_has_the_field_id(app, db):
    html, _ = _render(app, "{{ checkboxes(form.themes) }}", {"themes": []})

    assert html.lstrip().startswith("<fieldset")
    assert re.search(r"<legend[^>]*>Themes", html)
    ids = re.findall(r'<input[^>]*type="checkbox"[^>]*\sid="([^"]+)"', html)
    assert ids[0] == "themes"
    assert len(set(ids)) == 2
    assert 'id="themes-error"' in html


def test_checked_choices_are_kept_after_an_error(app, db):
    html, _ = _render(app, "{{ radios(form.colour) }}{{ checkboxes(form.themes) }}{{ field(form.notes) }}",
                      {"colour": "blue", "themes": ["b"], "notes": "typed <notes> & more"})

    assert re.search(r'value="blue" checked', html)
    assert re.search(r'value="b" checked', html)
    assert "typed &lt;notes&gt; &amp; more</textarea>" in html


def test_single_checkbox_has_its_label_and_error(app, db):
    html, _ = _render(app, "{{ checkbox(form.agree) }}", {})

    assert '<label class="ds-label" for="agree">I agree</label>' in html
    assert _attr(_tag(html, "agree"), "aria-invalid") == "true"
    assert _attr(_tag(html, "agree"), "aria-describedby") == "agree-error"


def test_optional_fields_say_so_and_required_ones_are_not_starred(app, db):
    html, _ = _render(app, "{{ field(form.name) }}{{ field(form.nickname) }}{{ radios(form.colour) }}")

    name_label = re.search(r'<label[^>]*for="name">(.*?)</label>', html).group(1)
    nickname_label = re.search(r'<label[^>]*for="nickname">(.*?)</label>', html).group(1)
    assert "(optional)" not in name_label
    assert "*" not in name_label
    assert "(optional)" in nickname_label
    assert "(optional)" not in re.search(r"<legend[^>]*>(.*?)</legend>", html).group(1)


def test_error_summary_links_to_each_field_in_form_order(app, db):
    html, form = _render(app, "{{ error_summary(form) }}", INVALID)

    links = re.findall(r'<a class="ds-link" href="#([^"]+)">([^<]+)</a>', html)
    assert [field_id for field_id, _ in links] == ["name", "city", "size", "colour", "themes", "agree"]
    assert ("name", "Enter the name") in links
    assert 'aria-labelledby="error-summary-heading"' in html
    assert 'tabindex="-1"' in html
    for field_id, _ in links:
        assert getattr(form, field_id).id == field_id


def test_no_error_summary_without_errors(app, db):
    html, _ = _render(app, "{{ error_summary(form) }}")

    assert html.strip() == ""


@pytest.mark.parametrize(("locale", "prefix", "optional"), [("nb", "Feil:", "(valgfritt)"),
                                                             ("en", "Error:", "(optional)")])
def test_page_title_says_error_when_a_form_has_errors(app, client, db, monkeypatch, locale, prefix, optional):
    isolate_requests(app, monkeypatch)
    headers = {"Accept-Language": locale}

    clean = client.get("/password/forgot", headers=headers)
    failed = post(client, "/password/forgot", {"email": "nope"}, token_from="/password/forgot",
                  headers=headers)

    title = re.search(r"<title>(.*?)</title>", failed.get_data(as_text=True), re.S).group(1)
    assert title.strip().startswith(prefix)
    assert not re.search(r"<title>(.*?)</title>", clean.get_data(as_text=True), re.S).group(1).strip().startswith(prefix)
    assert re.search(r'<div class="ds-error-summary"', failed.get_data(as_text=True))
    assert 'href="#email"' in failed.get_data(as_text=True)
    login_page = text(client.get("/login", headers=headers))
    assert optional not in login_page  # both sign-in fields are required


class FilesForm(PortalForm):
    class Meta:
        csrf = False

    definition = FileField("Definition", validators=[FileRequired("Choose the file")])
    evidence = MultipleFileField("Evidence", description="Photos or reports")


def test_file_fields_are_file_inputs_without_a_value(app):
    with app.test_request_context("/", method="POST", data={}, headers={"Accept-Language": "en"}):
        form = FilesForm()
        form.validate()
        html = render_template_string(MACROS + "{{ field(form.definition) }}{{ field(form.evidence) }}",
                                      form=form)

    one, many = _tag(html, "definition"), _tag(html, "evidence")
    assert _attr(one, "type") == _attr(many, "type") == "file"
    assert "value=" not in one
    assert "value=" not in many
    assert " multiple" in many
    assert " multiple" not in one
    # The required one carries its error; the optional one says so and has its hint.
    assert _attr(one, "aria-invalid") == "true"
    assert _attr(one, "aria-describedby") == "definition-error"
    assert "Choose the file" in html
    assert _attr(many, "aria-describedby") == "evidence-hint"
    assert 'for="evidence">Evidence <span class="field-optional">(optional)</span>' in html
