"""The one way request values are read: cleaned of control characters and bounded.

Routes read query parameters and hand-read form fields only through these helpers;
WTForms fields get the same cleaning from ``PortalForm``. A browser never sends NUL or
other control characters in a field (PostgreSQL refuses NUL in text, XLSX refuses the
C0 controls), and an id beyond the database's integer range cannot name a record, so
such input is cleaned or ignored here instead of failing deep in a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import request
from werkzeug.datastructures import MultiDict

# C0 controls except tab, line feed and carriage return; DEL; the C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Ids and counts are INTEGER columns (PostgreSQL int4); see also portal.access.MAX_ID.
INT_MAX = 2**31 - 1
ARG_LENGTH = 200


def clean(value: str | None, max_length: int | None = None) -> str:
    """``value`` without disallowed control characters, at most ``max_length`` characters."""
    if not value:
        return ""
    value = CONTROL.sub("", value)
    return value[:max_length] if max_length is not None else value


def to_int(value: str | int | None, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None."""
    if isinstance(value, int):
        return value if low <= value <= high else None
    value = (value or "").strip()
    if not value or len(value) > len(str(high)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None


def arg(name: str, max_length: int = ARG_LENGTH) -> str:
    """A query parameter, cleaned, trimmed and bounded; "" when missing."""
    return clean(request.args.get(name), max_length).strip()


def optional_arg(name: str, max_length: int = ARG_LENGTH) -> str | None:
    """Like ``arg``, but None when the parameter is missing (not when it is empty)."""
    return arg(name, max_length) if name in request.args else None


def arg_int(name: str, *, low: int = 1, high: int = INT_MAX) -> int | None:
    """A query parameter as an id or count within the column range, else None (ignored)."""
    return to_int(request.args.get(name), low=low, high=high)


def page_number(name: str = "page", high: int = 100_000) -> int:
    """``?page=``: 1 unless a sensible page number is given."""
    return arg_int(name, high=high) or 1


def args(max_length: int = ARG_LENGTH) -> MultiDict[str, str]:
    """Every query parameter cleaned and bounded, for filter classes that read several."""
    return MultiDict([(key, clean(value, max_length).strip()) for key, value in _items(request.args)])


def form_value(name: str, max_length: int | None = None) -> str:
    """A form field read by hand (outside a WTForms form), cleaned; "" when missing."""
    return clean(request.form.get(name), max_length)


def form(max_length: int | None = None) -> MultiDict[str, str]:
    """The posted form, every value cleaned (bounds per field are the reader's job)."""
    return MultiDict([(key, clean(value, max_length)) for key, value in _items(request.form)])


def form_lists() -> dict[str, list[str]]:
    """The posted form as lists per name, cleaned (kept to restore input after sign-in)."""
    return {key: values for key, values in form().lists()}


def _items(data: MultiDict[str, str]) -> Iterable[tuple[str, str]]:
    for key, values in data.lists():
        for value in values:
            yield CONTROL.sub("", key), value
