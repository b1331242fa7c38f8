"""The report as a workbook: one sheet per table, typed cells, never a formula.

Numbers are numbers and dates are dates, so the spreadsheet can sum and sort.
Every text cell is stored as text (``data_type = "s"``): a value such as
``=HYPERLINK(...)`` typed into a deviation stays inert (STACK.md 3.10).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portal.reports.tables import Cell, Table

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
MONEY_FORMAT = "#,##0.00"


def _cell(ws: WriteOnlyWorksheet, value: Cell, *, header: bool = False) -> object:
    """A value for ``ws.append``: plain where openpyxl types it right, a cell where not.

    openpyxl turns a string into a formula only when it starts with "="; other text is
    stored as text already (data type "s"), so only those strings, headers (bold) and
    amounts (number format) need a cell of their own. Dates get openpyxl's date format.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not header and not value.startswith("="):
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if header:
            cell.font = BOLD
            cell.alignment = WRAP
        return cell
    if isinstance(value, Decimal):
        # openpyxl stores Decimal as a number; types-openpyxl's WriteOnlyCell leaves it out.
        cell = WriteOnlyCell(ws, value=value)  # type: ignore[arg-type]
        cell.number_format = MONEY_FORMAT
        return cell
    return value  # numbers, and dates (openpyxl formats those as yyyy-mm-dd)


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique tab name: Excel allows 31 characters and none of : \\ / ? * [ ]."""
    base = re.sub(r"[:\\/?*\[\]]", "-", name).strip("'").strip()[:31] or "Sheet"
    title, number = base, 2
    while title.casefold() in taken:
        suffix = f" ({number})"
        title, number = base[:31 - len(suffix)] + suffix, number + 1
    taken.add(title.casefold())
    return title


def _sheet(wb: Workbook, table: Table, title: str) -> None:
    ws = wb.create_sheet(title=title)
    for index, width in enumerate(table.widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, h, header=True) for h in table.headers])
    for row in table.rows:
        ws.append([_cell(ws, v) for v in row])


def to_xlsx(tables: Sequence[Table], about: Sequence[tuple[str, Cell]],
            names: Mapping[str, str] | None = None) -> bytes:
    """``about`` is the first sheet's (label, value) lines: title, year, language, date;
    ``names`` the tabs' names by table key (and ``about``), in the reader's language."""
    names = names or {}
    taken: set[str] = set()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title(names.get("about", "about"), taken))
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 80
    for label, value in about:
        ws.append([_cell(ws, label, header=True), _cell(ws, value)])
    ws.append([])
    titles = [sheet_title(names.get(table.key, table.key), taken) for table in tables]
    for table, title in zip(tables, titles, strict=True):
        ws.append([_cell(ws, title), _cell(ws, table.title)])
    for table, title in zip(tables, titles, strict=True):
        _sheet(wb, table, title)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
