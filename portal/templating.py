"""Jinja globals and filters shared by every template."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Flask, request, url_for
from flask_babel import format_decimal
from flask_login import current_user
from jinja2 import Environment

from portal.i18n import current_locale, format_date
from portal.i18n import gettext as _

if TYPE_CHECKING:
    from portal.questionnaires.engine import SectionState


def _date(value: date | datetime | str | None, fmt: str = "medium") -> str:
    if isinstance(value, str):  # an ISO date (or date and time) kept in a stored document
        value = (datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)) if value else None
    return format_date(value, fmt)


def _number(value: int | float | Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _url_with_locale(locale: str) -> str:
    """The language switch returns to this page; after a POST, to the page the form was on."""
    if request.method == "GET":
        next_path = request.full_path.rstrip("?")
    else:
        from urllib.parse import urlsplit

        from portal.security import is_safe_next

        referrer = urlsplit(request.referrer or "")
        candidate = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        same_host = referrer.netloc in ("", request.host)
        next_path = candidate if same_host and is_safe_next(candidate) else url_for("main.index")
    return url_for("main.set_language", lang=locale, next=next_path)


def navigation() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the signed-in user's role."""
    user = current_user._get_current_object()  # once: each proxy access finds the user again
    if not user.is_authenticated:
        return []
    items: list[tuple[str, str]] = []
    if user.is_supplier:
        items.append(("supplier.home", _("Our company")))
        items.append(("deviations.list_deviations", _("Deviations")))
    if user.is_staff:
        items.append(("review.inbox", _("Review")))
        items.append(("deviations.list_deviations", _("Deviations")))
        items.append(("review.list_activities", _("Follow-up activities")))
        items.append(("reports.year_report", _("Reports")))
        items.append(("rounds.list_rounds", _("Follow-up rounds")))
        items.append(("admin.list_suppliers", _("Suppliers")))
        items.append(("admin.list_agreements", _("Agreements")))
        items.append(("rounds.list_versions", _("Questionnaires")))
    if user.is_platform_admin:
        items.append(("platform.list_buyers", _("Buyers")))
    if user.is_admin:
        items.append(("admin.edit_organisation", _("Our organisation")))
        items.append(("admin.list_users", _("Users")))
        items.append(("admin.list_risks", _("Priority risks")))
        items.append(("review.audit_log", _("Audit log")))
    items.append(("auth.profile", _("Profile")))
    return items


def _filesize(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return _("%(n)s bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n)s kB", n=format_decimal(round(size / 1024)))
    return _("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1)))


def response_status_label(status: str) -> str:
    from portal.codes import RESPONSE_STATUSES

    return RESPONSE_STATUSES.label(status)


def section_status_label(status: str) -> str:
    # One translation per call, not three: the section page labels every section.
    if status == "not_started":
        return _("Not started")
    if status == "in_progress":
        return _("Not complete")
    if status == "complete":
        return _("Complete")
    return status


def role_label(role: str) -> str:
    return {"supplier": _("Supplier user"), "reviewer": _("Reviewer"), "admin": _("Administrator")}.get(
        role, role
    )


class PartTemplates:
    """The macros of each part type's template, by name: ``part_templates[p.template].input(p)``.

    What ``{% import name as t %}`` gives (the template's module, without context), kept here:
    an import inside a macro compares the caller's globals with the template's and asks the
    loader again on every call, and a section page renders dozens of parts. With templates
    reloaded on change (debug), the loader is asked every time.
    """

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.modules: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if self.env.auto_reload:
            return self.env.get_template(name).module
        module = self.modules.get(name)
        if module is None:
            module = self.modules[name] = self.env.get_template(name).module
        return module


# A section id written in a URL path as it is: these characters are never quoted.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")
_MARKER = "SECTION-ID"


def section_urls(response_id: int) -> Callable[[str], str]:
    """``url_for("responses.edit_section", response_id=…, section_id=…)`` for any section.

    A section page links to every section of the response; each url_for costs some 60
    Python calls, so the URL is built once and a plain section id is put in its place.
    """
    head, _marker, tail = url_for("responses.edit_section", response_id=response_id,
                                  section_id=_MARKER).rpartition(_MARKER)

    def section_url(section_id: str) -> str:
        if _PLAIN_ID.fullmatch(section_id):
            return f"{head}{section_id}{tail}"
        return url_for("responses.edit_section", response_id=response_id, section_id=section_id)

    return section_url


def section_nav(states: Sequence[SectionState], section_url: Callable[[str], str],
                locale: str) -> list[tuple[str, str, str, str]]:
    """(id, title, link, status) of each section, for a section page's list of all parts."""
    return [(s.section.id, s.section.title.get(locale), section_url(s.section.id), section_status_label(s.status))
            for s in states]


def init_app(app: Flask) -> None:
    from portal.codes import DFO_CATEGORIES, PROCUREMENT_KINDS, QUESTIONNAIRE_VARIANTS, THEMES
    from portal.countries import country_name
    from portal.questionnaires.engine import complete_count
    from portal.questionnaires.types import key_for

    app.jinja_env.globals.update(
        get_locale=current_locale,
        navigation=navigation,
        url_with_locale=_url_with_locale,
        role_label=role_label,
        country_name=country_name,
        dfo_category_label=DFO_CATEGORIES.label,
        procurement_kind_label=PROCUREMENT_KINDS.label,
        variant_label=QUESTIONNAIRE_VARIANTS.label,
        response_status_label=response_status_label,
        section_status_label=section_status_label,
        today=date.today,
        key_for=key_for,
        complete_count=complete_count,
        section_urls=section_urls,
        section_nav=section_nav,
        part_templates=PartTemplates(app.jinja_env),
    )
    app.jinja_env.filters.update(
        date=_date, number=_number, yes_no=_yes_no, theme_label=THEMES.label,
        filesize=_filesize,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
