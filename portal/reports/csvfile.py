"""One report table as CSV for Norwegian spreadsheets.

UTF-8 with a byte-order mark (so Excel reads "ø" right), semicolons (Excel's
separator where the decimal mark is a comma), a header row, numbers without
thousands separators, ISO dates. Text that a spreadsheet would run as a formula
gets a leading apostrophe, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from portal.reports.tables import Cell, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def plain_number(value: int | float | Decimal) -> str:
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    return str(value)


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("report tables carry yes/no as text")
    if isinstance(value, int | float | Decimal):
        return plain_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return guard(str(value))


def to_csv(table: Table, stamp: tuple[str, date] | None = None) -> bytes:
    """``stamp`` (heading, day) adds a last column with the day the statuses are as of."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    extra_heading = [guard(stamp[0])] if stamp else []
    extra = [stamp[1].isoformat()] if stamp else []
    writer.writerow([guard(h) for h in table.headers] + extra_heading)
    for row in table.rows:
        writer.writerow([cell_text(v) for v in row] + extra)
    return buffer.getvalue().encode("utf-8-sig")
