"""What each field of a production site means, and how a typed value is checked against it.

One set of rules for the form and for an imported file: a value is read from text (a form
post or a spreadsheet cell), checked by meaning (a country from the list, a number of
workers of at least 0, a share between 0 and 100, a date not in the future) and turned
into what the register stores. Choices are accepted as their code or as their label in
either language, so a file exported in English imports in Norwegian.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.codes import CodeList
from portal.countries import country_name, is_country
from portal.i18n import current_locale
from portal.inputs import clean
from portal.questionnaires.types import parse_date, parse_number
from portal.sites import options
from portal.sites.services import SITE_FIELDS

LANGUAGES = ("nb", "en")
MAX_WORKERS = 10_000_000
MAX_CERTIFICATIONS = 20


@dataclass(frozen=True)
class Field:
    name: str  # the ProductionSite attribute
    label: Any  # a lazy string: the form label and the file's heading
    kind: str  # text, country, choice, multi, count, percent, date, yes_no
    required: bool = False
    max_length: int = 0
    codes: CodeList | None = None

    def heading(self, locale: str | None = None) -> str:
        if locale is None:
            return str(self.label)
        with force_locale(locale):
            return str(self.label)


FIELDS: tuple[Field, ...] = (
    Field("name", _l("Site name"), "text", required=True, max_length=200),
    Field("address", _l("Street address"), "text", max_length=300),
    Field("city", _l("City/region"), "text", max_length=200),
    Field("country", _l("Country"), "country", required=True),
    Field("tier", _l("Supply chain tier"), "choice", required=True, codes=options.TIERS),
    Field("products", _l("Product(s)/item no."), "text", max_length=500),
    Field("relation", _l("Relationship"), "choice", codes=options.RELATIONS),
    Field("workers", _l("Number of workers"), "count"),
    Field("women_pct", _l("Share of women (%)"), "percent"),
    Field("migrant_workers", _l("Migrant workers present"), "choice", codes=options.MIGRANT_WORKERS),
    Field("worker_representation", _l("Worker representation"), "choice", codes=options.REPRESENTATION),
    Field("last_audit_scheme", _l("Latest social audit"), "choice", codes=options.AUDIT_SCHEMES),
    Field("last_audit_date", _l("Date of latest audit"), "date"),
    Field("certifications", _l("Certifications"), "multi", codes=options.CERTIFICATIONS),
    Field("is_confidential", _l("Confidential"), "yes_no"),
)
assert tuple(f.name for f in FIELDS) == SITE_FIELDS  # noqa: S101 - the form, the file and the model agree
BY_NAME = {f.name: f for f in FIELDS}

YES = ("yes", "ja", "y", "j", "true", "1", "x")
NO = ("no", "nei", "n", "false", "0")


def as_cell_text(value: object) -> str:
    """A form value or spreadsheet cell as one line of text; an exported guard apostrophe removed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean(str(value)).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


_LOOKUPS: dict[int, dict[str, str]] = {}


def _code_of(codes: CodeList, text: str) -> str | None:
    """The code ``text`` names: the code itself or its label in nb or en (any case)."""
    lookup = _LOOKUPS.get(id(codes))
    if lookup is None:
        lookup = {}
        for locale in LANGUAGES:
            with force_locale(locale):
                lookup.update({str(code.label).casefold(): code.code for code in codes})
        lookup.update({code.code.casefold(): code.code for code in codes})
        _LOOKUPS[id(codes)] = lookup
    return lookup.get(text.casefold())


def _country_of(text: str) -> str | None:
    if len(text) == 2 and text.isalpha() and is_country(text):
        return text.upper()
    folded = text.casefold()
    if len(folded) > 100:
        return None
    from portal.questionnaires.definition import country_options

    for option in country_options():
        if folded in (option.label.nb.casefold(), option.label.en.casefold()):
            return option.value
    return None


def parse_value(field: Field, text: str) -> tuple[Any, str | None]:
    """The stored value of ``text`` for ``field``, or an instruction saying what to write instead."""
    if not text:
        if field.required:
            if field.kind == "country":
                return None, _("Choose a country")
            if field.kind == "choice":
                return None, _("Choose an option")
            return None, _("Fill this in")
        return _empty(field), None
    if field.kind == "text":
        if len(text) > field.max_length:
            return None, _("Write at most %(max)d characters", max=field.max_length)
        return text, None
    if field.kind == "country":
        code = _country_of(text)
        return (code, None) if code else (None, _("Choose a country from the list"))
    if field.kind == "choice":
        assert field.codes is not None  # noqa: S101
        code = _code_of(field.codes, text[:200])
        return (code, None) if code else (None, _("Choose one of the allowed values"))
    if field.kind == "multi":
        assert field.codes is not None  # noqa: S101
        chosen: list[str] = []
        for piece in text.replace(";", ",").split(",")[:MAX_CERTIFICATIONS + 1]:
            piece = piece.strip()
            if not piece:
                continue
            code = _code_of(field.codes, piece[:200])
            if code is None:
                return None, _("«%(value)s» is not one of the allowed values", value=piece[:60])
            if code not in chosen:
                chosen.append(code)
        return chosen, None
    if field.kind in ("count", "percent"):
        number = parse_number(text)
        if number is None:
            return None, _("Write a number, for example 120")
        if number != number.to_integral_value():
            return None, _("Write a whole number")
        if number < 0:
            return None, _("Write a number of at least 0")
        if field.kind == "percent" and number > 100:
            return None, _("Write a share between 0 and 100")
        if number > MAX_WORKERS:
            return None, _("Write a smaller number")
        return int(number), None
    if field.kind == "date":
        day = parse_date(text[:40])
        if day is None:
            return None, _("Write the date as dd.mm.yyyy, for example 15.03.2024")
        if day > clock.today():
            return None, _("Write a date that is not in the future")
        if day.year < 1990:
            return None, _("Write a date after 1990")
        return day, None
    if field.kind == "yes_no":
        folded = text.casefold()
        if folded in YES:
            return True, None
        if folded in NO:
            return False, None
        return None, _("Write yes or no")
    raise ValueError(field.kind)


def _empty(field: Field) -> Any:
    if field.kind == "multi":
        return []
    if field.kind in ("count", "percent", "date"):
        return None
    if field.kind == "yes_no":
        return True  # sites are trade secrets unless the supplier says otherwise (DOMAIN 4.0)
    return ""


def parse_site(raw: Mapping[str, object]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every field of a site from text: (values, messages by field name)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        value, message = parse_value(field, as_cell_text(raw.get(field.name)))
        if message:
            errors[field.name] = message
        else:
            values[field.name] = value
    return values, errors


def display_value(field: Field, value: Any, locale: str | None = None) -> str:
    """A stored value as the user reads it (and as an export writes it)."""
    locale = locale or current_locale()
    if value is None or value == "" or value == []:
        return ""
    if field.kind == "country":
        return country_name(str(value), locale)
    if field.kind == "choice" and field.codes is not None:
        with force_locale(locale):
            return field.codes.label(str(value))
    if field.kind == "multi" and field.codes is not None:
        with force_locale(locale):
            return ", ".join(field.codes.label(str(v)) for v in value)
    if field.kind == "yes_no":
        with force_locale(locale):
            return _("Yes") if value else _("No")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
