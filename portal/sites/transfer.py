"""The site register as a file: a template and an export (XLSX or CSV), and an import.

The file has one heading row, in the user's language, and one row per site; an import
accepts the headings in Norwegian or English, choices as codes or labels in either
language, ``;`` or ``,`` as the CSV separator and UTF-8 with or without a byte-order mark
(as Excel saves it). An import is checked whole before anything is stored: the preview
lists each row to add or update, or each problem with its row and column; a file with any
problem changes nothing.

Bounded: at most ``MAX_BYTES`` of file and ``services.MAX_SITES`` rows; an XLSX is read in
read-only mode and only as far as those limits.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portal.countries import country_choices
from portal.models import ProductionSite
from portal.reports.csvfile import guard
from portal.sites import services
from portal.sites.fields import FIELDS, LANGUAGES, Field, as_cell_text, display_value, parse_site
from portal.sites.services import name_key as name_key_of

MAX_BYTES = 2 * 1024 * 1024
MAX_COLUMNS = 40
MAX_UNPACKED = 40 * 1024 * 1024  # what the workbook's parts may unpack to
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")


class FileRefused(Exception):
    """The file as a whole cannot be read as a register (a translated message says why)."""


@dataclass
class Problem:
    row: int  # the spreadsheet's row number (the heading row is 1); 0 for the file as a whole
    column: str  # the heading as the user reads it, or ""
    message: str

    def __str__(self) -> str:
        if self.row and self.column:
            return _("Row %(row)d, %(column)s: %(message)s", row=self.row, column=self.column,
                     message=self.message)
        if self.row:
            return _("Row %(row)d: %(message)s", row=self.row, message=self.message)
        return self.message


@dataclass
class PlannedRow:
    row: int
    values: dict[str, Any]
    action: str  # "add", "update" or "unchanged"


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


# Writing


def headings(locale: str | None = None) -> list[str]:
    return [f.heading(locale) for f in FIELDS]


def _site_row(site: ProductionSite, locale: str) -> list[Any]:
    row: list[Any] = []
    for f in FIELDS:
        value = getattr(site, f.name)
        if f.kind in ("count", "percent") and value is not None:
            row.append(int(value))
        elif f.kind == "date" and isinstance(value, date):
            row.append(value)
        else:
            row.append(display_value(f, value, locale))
    return row


def allowed_values(locale: str) -> list[tuple[str, list[str]]]:
    """For each column with a fixed list: its heading and the values it takes (the template's note)."""
    found: list[tuple[str, list[str]]] = []
    with force_locale(locale):
        for f in FIELDS:
            if f.codes is not None:
                found.append((f.heading(), [str(code.label) for code in f.codes]))
            elif f.kind == "yes_no":
                found.append((f.heading(), [_("Yes"), _("No")]))
            elif f.kind == "country":
                found.append((f.heading(), [name for _code, name in country_choices()]))
    return found


def _text_cell(ws: WriteOnlyWorksheet, value: str, *, bold: bool = False) -> object:
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def to_xlsx(sites: Sequence[ProductionSite], locale: str) -> bytes:
    """The register (or, without sites, the template) with a second sheet of allowed values."""
    wb = Workbook(write_only=True)
    with force_locale(locale):
        ws = wb.create_sheet(title=_("Production sites")[:31])
        notes = wb.create_sheet(title=_("Allowed values")[:31])
    for index in range(1, len(FIELDS) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 24
    ws.freeze_panes = "A2"
    ws.append([_text_cell(ws, h, bold=True) for h in headings(locale)])
    for site in sites:
        ws.append([_text_cell(ws, v) if isinstance(v, str) else v for v in _site_row(site, locale)])
    lists = allowed_values(locale)
    notes.append([_text_cell(notes, heading, bold=True) for heading, _values in lists])
    longest = max(len(values) for _heading, values in lists)
    for index in range(longest):
        notes.append([_text_cell(notes, values[index]) if index < len(values) else None
                      for _heading, values in lists])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(sites: Sequence[ProductionSite], locale: str) -> bytes:
    """Semicolons and UTF-8 with a byte-order mark, as Norwegian Excel reads them; text guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard(h) for h in headings(locale)])
    for site in sites:
        writer.writerow([guard(v) if isinstance(v, str) else (v.isoformat() if isinstance(v, date) else v)
                         for v in _site_row(site, locale)])
    return buffer.getvalue().encode("utf-8-sig")


# Reading


def _xlsx_rows(data: bytes) -> Iterator[list[object]]:
    refused = _("The file could not be read as an XLSX workbook. Save it from your "
                "spreadsheet as .xlsx or .csv and upload it again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FileRefused(refused) from error
    if unpacked > MAX_UNPACKED:
        raise FileRefused(_("The workbook is too large. Keep only the sheet with the sites."))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise FileRefused(refused) from error
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            return
        for row in ws.iter_rows(max_row=services.MAX_SITES + 2, max_col=MAX_COLUMNS, values_only=True):
            yield list(row)
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(_("The CSV file is not in UTF-8. Save it from your spreadsheet as "
                            "\"CSV UTF-8\" and upload it again.")) from error
    if "\x00" in text:
        raise FileRefused(_("The file is neither an XLSX workbook nor a CSV file."))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        for index, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if index > services.MAX_SITES + 1:
                return
            yield list(row[:MAX_COLUMNS])
    except csv.Error as error:
        raise FileRefused(_("The CSV file could not be read: check that quotes are closed.")) from error


def read_rows(filename: str, data: bytes) -> list[list[object]]:
    """The file's rows (the heading first), bounded; ``FileRefused`` for what is not a register file."""
    if not data:
        raise FileRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than %(size)s MB. Split the register or remove "
                            "what is not sites.", size=MAX_BYTES // (1024 * 1024)))
    is_zip = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") or is_zip:
        if not is_zip:
            raise FileRefused(_("The file could not be read as an XLSX workbook. Save it from your "
                                "spreadsheet as .xlsx or .csv and upload it again."))
        try:
            rows = list(_xlsx_rows(data))
        except FileRefused:
            raise
        except Exception as error:  # a damaged workbook fails in many ways inside openpyxl
            raise FileRefused(_("The file could not be read as an XLSX workbook. Save it from your "
                                "spreadsheet as .xlsx or .csv and upload it again.")) from error
    else:
        rows = list(_csv_rows(data))
    rows = [row for row in rows if any(as_cell_text(v) for v in row)]
    if not rows:
        raise FileRefused(_("The file has no rows."))
    return rows


def _heading_lookup() -> dict[str, Field]:
    lookup: dict[str, Field] = {}
    for f in FIELDS:
        lookup[f.name.casefold()] = f
        for locale in LANGUAGES:
            lookup[f.heading(locale).casefold()] = f
    return lookup


def plan_import(filename: str, data: bytes, supplier_id: int, year: int) -> Plan:
    """What an import would do, or why it cannot: nothing is stored here."""
    plan = Plan()
    try:
        rows = read_rows(filename, data)
    except FileRefused as refused:
        plan.problems.append(Problem(0, "", str(refused)))
        return plan
    lookup = _heading_lookup()
    columns: list[Field | None] = []
    for index, cell in enumerate(rows[0], 1):
        text = as_cell_text(cell)
        found = lookup.get(text.casefold())
        if text and found is None:
            plan.problems.append(Problem(1, "", _("The heading «%(heading)s» in column %(column)s is not "
                                                  "one of the template's. Use the template's headings.",
                                                  heading=text[:60], column=get_column_letter(index))))
        if found is not None and found in columns:
            plan.problems.append(Problem(1, "", _("The column «%(heading)s» appears twice.",
                                                  heading=found.heading())))
        columns.append(found)
    for f in FIELDS:
        if f.required and f not in columns:
            plan.problems.append(Problem(1, "", _("The column «%(heading)s» is missing. Start from the "
                                                  "template.", heading=f.heading())))
    if plan.problems:
        return plan
    body = rows[1:]
    if len(body) > services.MAX_SITES:
        plan.problems.append(Problem(0, "", _("The file has more than %(max)d sites. A register can hold "
                                              "at most %(max)d sites a year.", max=services.MAX_SITES)))
        return plan
    existing = {name_key_of(site.name): site for site in services.sites_of(supplier_id, year)}
    seen: dict[str, int] = {}
    for number, cells in enumerate(body, 2):
        raw = {f.name: cells[i] for i, f in enumerate(columns) if f is not None and i < len(cells)}
        values, errors = parse_site(raw)
        for name, message in errors.items():
            plan.problems.append(Problem(number, heading_of(name), message))
        if errors:
            continue
        key = name_key_of(values["name"])
        if key in seen:
            plan.problems.append(Problem(number, heading_of("name"), _(
                "The same site is also on row %(row)d. List each site once.", row=seen[key])))
            continue
        seen[key] = number
        site = existing.get(key)
        if site is None:
            action = "add"
        else:
            action = "unchanged" if all(getattr(site, k) == v for k, v in values.items()
                                        if k != "certifications") and \
                list(site.certifications or []) == values["certifications"] else "update"
        plan.rows.append(PlannedRow(number, values, action))
    added = sum(1 for row in plan.rows if row.action == "add")
    if not plan.problems and len(existing) + added > services.MAX_SITES:
        plan.problems.append(Problem(0, "", _("With these sites the register would hold more than %(max)d "
                                              "sites.", max=services.MAX_SITES)))
    return plan


def heading_of(name: str) -> str:
    for f in FIELDS:
        if f.name == name:
            return f.heading()
    return name
