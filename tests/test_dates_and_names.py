"""Dates and names as each language writes them: British English dates, Norwegian and
English alphabetical order of countries, English quotation marks in English text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from portal.countries import country_choices
from portal.i18n import collation_key, format_date
from portal.questionnaires.definition import Part, country_options
from portal.responses.views import PartView

AT = datetime(2026, 12, 6, 5, 48, tzinfo=UTC)  # 06:48 in Oslo


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "6 Dec 2026, 06:48"), ("nb", "6. des. 2026, 06:48")])
def test_a_moment_is_the_medium_date_and_the_minute(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_date(AT) == expected


@pytest.mark.parametrize(("locale", "fmt", "expected"), [
    ("en", "long", "6 December 2026"), ("en", "medium", "6 Dec 2026"),
    ("en", "short", "06/12/2026"), ("nb", "long", "6. desember 2026")])
def test_english_dates_are_british(app, locale, fmt, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_date(date(2026, 12, 6), fmt) == expected


def test_the_date_filter_and_reminder_mails_use_british_dates(app):
    with app.test_request_context(), force_locale("en"):
        rendered = app.jinja_env.from_string("{{ d | date('long') }}").render(d=date(2026, 12, 6))
    assert rendered == "6 December 2026"


def _position(names: list[str], name: str) -> int:
    return names.index(name)


def test_countries_sort_in_the_readers_alphabet(app):
    with app.test_request_context(), force_locale("nb"):
        nb = [name for _code, name in country_choices()]
    with app.test_request_context(), force_locale("en"):
        en = [name for _code, name in country_choices()]
    # Norwegian: Æ, Ø, Å come after Z; Åland is last, Østerrike after Zimbabwe.
    assert nb.index("Zimbabwe") < nb.index("Østerrike") < nb.index("Åland")
    assert nb[-1] == "Åland"
    assert nb.index("Curaçao") < nb.index("Danmark")  # accents fold into their letter
    # English: Åland Islands files under A.
    assert en.index("Åland Islands") < en.index("Albania")
    assert en == sorted(en, key=lambda name: collation_key(name, "en"))


def test_the_questionnaire_country_list_is_sorted_by_name_not_code(app):
    part = Part(id="country", type="single", options=country_options(), options_from="iso3166")
    with app.test_request_context():
        names = [label for _value, label in PartView.options.fget(_view(part, "nb"))]
    assert names.index("Zimbabwe") < names.index("Åland")
    assert names.index("Afghanistan") < names.index("Belgia")
    assert names[0] == "Afghanistan"


def _view(part: Part, locale: str) -> object:
    class View:
        pass

    view = View()
    view.part = part  # type: ignore[attr-defined]
    view.locale = locale  # type: ignore[attr-defined]
    return view
