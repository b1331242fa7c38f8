"""Words for the report's codes, in one language.

The queries return codes; everything a reader sees is looked up here, so the
page, the PDF and the exports say the same thing. ``Labels`` resolves every code
list once per language into plain dictionaries: a report prints thousands of
labels, and each gettext call (and each Babel country lookup) costs far more than
a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.codes import (
    ACTIVITY_KINDS,
    DEVIATION_STATUSES,
    DEVIATION_TYPES,
    DFO_CATEGORIES,
    EHN_STATUS_TEXT,
    MEASURES,
    PROCUREMENT_KINDS,
    SEVERITIES,
    THEMES,
    TIERS,
    CodeList,
)
from portal.i18n import current_locale
from portal.reports.queries import EHN_REPRESENTATIVE, EHN_STATUS_ORDER
from portal.rounds.labels import RESPONSE_STATUSES

LIGHTS = {
    "green": _l("Green: the review is accepted, every verdict meets, no deviation being handled"),
    "yellow": _l("Yellow: a verdict partly meets, or a deviation is being handled in time"),
    "red": _l("Red: a gate or required question does not meet, or a deviation was not fixed in time"),
    "none": _l("Not assessed: no verdicts yet, or the review is not finished"),
}
LIGHT_SHORT = {"green": _l("Green"), "yellow": _l("Yellow"), "red": _l("Red"),
               "none": _l("Not assessed")}


def _resolved(codes: CodeList) -> dict[str, str]:
    return {c.code: str(c.label) for c in codes}


class Labels:
    """Every label of the report in one language; build it with ``labels_for``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        with force_locale(locale):
            self.types = _resolved(DEVIATION_TYPES)
            self.tiers = _resolved(TIERS)
            self.measure_names = _resolved(MEASURES)
            self.deviation_statuses = _resolved(DEVIATION_STATUSES)
            self.severities = _resolved(SEVERITIES)
            self.response_statuses = _resolved(RESPONSE_STATUSES)
            self.activity_kinds = _resolved(ACTIVITY_KINDS)
            self.procurement_kinds = _resolved(PROCUREMENT_KINDS)
            self.categories = _resolved(DFO_CATEGORIES)
            self.theme_names = _resolved(THEMES)
            self.ehn_statuses = {
                key: str(EHN_STATUS_TEXT[EHN_REPRESENTATIVE[key]]) for key in EHN_STATUS_ORDER
            }
            self.no_category = _("No DFØ category")
            self.yes, self.no = _("Yes"), _("No")
            self.lights = {colour: str(text) for colour, text in LIGHT_SHORT.items()}
            self.light_meanings = {colour: str(text) for colour, text in LIGHTS.items()}
            self._more = _("%(names)s and %(num)s more", names="{names}", num="{num}")
            self._joint = _("Joint follow-up led by %(buyer)s", buyer="{buyer}")
            self._sourced = {
                "shared_self_assessment": _("Shared self-assessment (from %(buyer)s)",
                                            buyer="{buyer}"),
                "reused_follow_up": _("Reused follow-up (from %(buyer)s)", buyer="{buyer}"),
            }
        self._territories = Locale.parse(locale).territories
        self._countries: dict[str, str] = {}
        self._numbers: dict[int | Decimal, str] = {}

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        name = self._countries.get(code)
        if name is None:
            name = self._countries[code] = str(self._territories.get(code.upper(), code))
        return name

    def deviation_type(self, code: str) -> str:
        return self.types.get(code, code)

    def tier(self, code: str) -> str:
        return self.tiers.get(code, code)

    def where(self, tier_code: str, country_code: str | None) -> str:
        """DOMAIN 7.2 "Hvor": the tier and the country, e.g. "Sluttproduksjon / montering, Bangladesh"."""
        name = self.country(country_code)
        return f"{self.tier(tier_code)}, {name}" if name else self.tier(tier_code)

    def measures(self, codes: Iterable[str]) -> str:
        # Measure labels contain commas, so they are joined with semicolons.
        return "; ".join(self.measure_names.get(code, code) for code in codes)

    def measures_with_text(self, codes: Iterable[str], text: str) -> str:
        names = self.measures(codes)
        text = text.strip()
        if names and text:
            return f"{names}. {text}"
        return names or text

    def ehn_status(self, key: str) -> str:
        return self.ehn_statuses.get(key, key)

    def deviation_status(self, code: str) -> str:
        return self.deviation_statuses.get(code, code)

    def severity(self, code: str) -> str:
        return self.severities.get(code, code)

    def response_status(self, code: str) -> str:
        return self.response_statuses.get(code, code)

    def activity_kind(self, code: str) -> str:
        return self.activity_kinds.get(code, code)

    def joint_follow_up(self, lead: str) -> str:
        """4.A.2: follow-up counted for the buyer because another buyer led it on a joint agreement."""
        return self._joint.replace("{buyer}", lead)

    def method(self, kind: str, lead: str | None = None, source: str | None = None) -> str:
        """A by-method row of 4.A.2: a kind of activity, joint follow-up led by ``lead``, or a
        shared self-assessment or reused follow-up from ``source``."""
        if lead is not None:
            return self.joint_follow_up(lead)
        if source is not None and kind in self._sourced:
            return self._sourced[kind].replace("{buyer}", source)
        return self.activity_kind(kind)

    def procurement_kind(self, code: str) -> str:
        return self.procurement_kinds.get(code, code)

    def category(self, code: str | None) -> str:
        return self.categories.get(code, code) if code else self.no_category

    def themes(self, codes: Iterable[str]) -> str:
        return ", ".join(self.theme_names.get(code, code) for code in codes)

    def localized(self, nb: str, en: str) -> str:
        """An agreement's or risk's own name in this language (nb when en is empty)."""
        return en if self.locale == "en" and en else nb

    def yes_no(self, value: bool) -> str:
        return self.yes if value else self.no

    def light(self, colour: str) -> str:
        return self.lights[colour]

    def light_meaning(self, colour: str) -> str:
        return self.light_meanings[colour]

    def statuses(self, pairs: Iterable[tuple[str, int]]) -> str:
        """EHN status counts of a summary row, e.g. "Lukket: 3; Under utbedring: 2"."""
        return "; ".join(f"{self.ehn_status(key)}: {self.number(n)}" for key, n in pairs)

    def tier_counts(self, pairs: Iterable[tuple[str, int]], limit: int = 3) -> str:
        """The places in the chain with most deviations, with counts, e.g.
        "Sluttproduksjon / montering (12); Ukjent (3)"; the rest as "and 2 more"."""
        pairs = list(pairs)
        shown = "; ".join(f"{self.tier(code)} ({self.number(n)})" for code, n in pairs[:limit])
        if len(pairs) <= limit:
            return shown
        return self._more.format(names=shown, num=len(pairs) - limit)

    def countries(self, codes: Iterable[str], limit: int = 6) -> str:
        names = sorted(self.country(code) for code in codes)
        if len(names) <= limit:
            return ", ".join(names)
        return self._more.format(names=", ".join(names[:limit]), num=len(names) - limit)

    def number(self, value: int | Decimal | None) -> str:
        """Like the ``number`` filter, remembered: a report prints the same numbers often."""
        if value is None:
            return ""
        text = self._numbers.get(value)
        if text is None:
            if len(self._numbers) > 50_000:  # figures of many reports: start over
                self._numbers.clear()
            text = self._numbers[value] = str(format_decimal(value, locale=self.locale))
        return text

    def as_jinja_globals(self) -> dict[str, Callable[..., str]]:
        """The lookups under short names, for the report templates."""
        return {
            "num": self.number,
            "country_label": self.country,
            "deviation_type_label": self.deviation_type,
            "tier_label": self.tier,
            "where_label": self.where,
            "measures_label": self.measures,
            "ehn_status_label": self.ehn_status,
            "deviation_status_label": self.deviation_status,
            "severity_label": self.severity,
            "report_status_label": self.response_status,
            "activity_kind_label": self.activity_kind,
            "method_label": self.method,
            "joint_label": self.joint_follow_up,
            "category_label": self.category,
            "themes_label": self.themes,
            "localized": self.localized,
            "yes_no_label": self.yes_no,
            "light_label": self.light,
            "light_meaning": self.light_meaning,
            "statuses_label": self.statuses,
            "countries_label": self.countries,
            "tiers_label": self.tier_counts,
        }


@lru_cache(maxsize=4)
def _labels(locale: str) -> Labels:
    return Labels(locale)


def labels_for(locale: str) -> Labels:
    """The labels of a language. Translations never change while the app runs, so the
    code lists are resolved once per language; numbers and countries are remembered
    as they are met."""
    return _labels(locale)


def current() -> Labels:
    """The labels of the current request's language (or the one forced around the call)."""
    return labels_for(current_locale())
