"""Translated labels for response statuses and question part types."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from portal.codes import RESPONSE_STATUSES, Code, CodeList

__all__ = ["PART_TYPES", "RESPONSE_STATUSES", "STATUS_COLORS"]

#: Designsystemet tag colours per status.
STATUS_COLORS = {
    "not_started": "neutral",
    "in_progress": "info",
    "submitted": "warning",
    "returned": "danger",
    "resubmitted": "warning",
    "accepted": "success",
}

PART_TYPES = CodeList(
    Code("yes_no", _l("Yes/no")),
    Code("yes_no_unknown", _l("Yes/no/don't know")),
    Code("single", _l("Single choice")),
    Code("multi", _l("Multiple choice")),
    Code("text", lazy_pgettext("answer type", "Text")),
    Code("number", lazy_pgettext("answer type", "Number")),
    Code("date", lazy_pgettext("answer type", "Date")),
    Code("url", _l("Web address")),
    Code("file", _l("Files")),
    Code("table", lazy_pgettext("answer type", "Table")),
    Code("ref", _l("Rows chosen from another table")),
    Code("confirm", _l("Confirmation with name, title and date")),
)
