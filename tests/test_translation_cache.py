"""The translations kept for a request (portal/i18n.py) follow Flask-Babel's choice of locale."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale, refresh

from portal.i18n import current_locale, gettext, ngettext


def _page() -> str:
    return render_template_string('{{ _("Save") }}|{{ _("Part %(number)s of %(total)s", number=1, total=2) }}'
                                  '|{{ ngettext("%(num)s user", "%(num)s users", 2) }}|{{ get_locale() }}')


def test_a_forced_locale_translates_anew_and_the_request_locale_returns(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "nb"}):
        assert gettext("Save") == "Lagre"
        assert current_locale() == "nb"
        norwegian = _page()
        assert norwegian.startswith("Lagre|")
        assert norwegian.endswith("|nb")
        with force_locale("en"):
            assert gettext("Save") == "Save"
            assert ngettext("%(num)s user", "%(num)s users", 2) == "2 users"
            assert _page() == "Save|Part 1 of 2|2 users|en"
        assert gettext("Save") == "Lagre"
        assert _page() == norwegian


def test_a_refreshed_locale_is_chosen_again(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _page() == "Save|Part 1 of 2|2 users|en"
        from flask import session

        session["locale"] = "nb"  # as the language switch does, before Flask-Babel asks again
        refresh()
        assert current_locale() == "nb"
        assert _page().startswith("Lagre|")


def test_translations_are_not_shared_between_requests(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _page().startswith("Save|")
    with app.test_request_context("/", headers={"Accept-Language": "nb"}):
        assert _page().startswith("Lagre|")
    with app.app_context():  # a job: Norwegian unless it forces a locale
        assert gettext("Save") == "Lagre"
        assert current_locale() == "nb"
