"""The question-type registry: one class per answer type (STYLE.md item 8).

Each type knows how to read its raw input from a posted form, how to check it
(returning messages, never raising), whether it is empty, and how to show an
answer to a reviewer or in a PDF. Drafts store the raw input exactly as typed;
``check`` runs when a page is shown and at submission. Adding a type is one
class here, one entry in ``REGISTRY`` and one template in
``templates/questionnaire/parts/``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.questionnaires.definition import BUILTIN_OPTIONS, Option, Part

MAX_TEXT = 20_000
ROW_ID = re.compile(r"^[a-z0-9]{4,16}$")


class FileLike(Protocol):
    id: int
    original_name: str
    size: int
    sha256: str
    tag: str


@dataclass
class Context:
    """What a check or a display needs beyond the part's own raw value."""

    locale: str
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    files: Mapping[tuple[str, str], Sequence[FileLike]] = field(default_factory=dict)
    question_id: str = ""

    def files_for(self, part: Part) -> Sequence[FileLike]:
        return self.files.get((self.question_id, part.id), ())

    def rows_of(self, question_id: str) -> list[dict[str, Any]]:
        """Rows of the single table part of another question (for references)."""
        for value in self.answers.get(question_id, {}).values():
            if isinstance(value, list) and all(isinstance(r, dict) for r in value):
                return [r for r in value if isinstance(r.get("_id"), str)]
        return []


@dataclass
class Checked:
    """Messages keyed by "" for the part itself or "<row id>.<column id>" for a table cell."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, message: str, key: str = "") -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Shown:
    """An answer made readable: plain text, or a table with headers and rows."""

    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    files: tuple[FileLike, ...] = ()

    @property
    def is_table(self) -> bool:
        return bool(self.headers)


def key_for(question_id: str, part_id: str, *rest: str) -> str:
    """The form field name of a part (or a cell, or a sub-field)."""
    return "-".join(("q", question_id, part_id, *rest))


def options_of(part: Part) -> tuple[Option, ...]:
    return part.options or BUILTIN_OPTIONS.get(part.type, ())


def option_label(part: Part, value: str, locale: str) -> str:
    for option in options_of(part):
        if option.value == value:
            return option.label.get(locale)
    return value


def posted(form: MultiDict[str, str], key: str) -> str:
    """A posted value without NUL bytes (never sent by browsers; PostgreSQL refuses them)."""
    return form.get(key, "").replace("\x00", "")


def posted_list(form: MultiDict[str, str], key: str) -> list[str]:
    return [v.replace("\x00", "") for v in form.getlist(key) if v]


class PartType:
    name: ClassVar[str]
    template: ClassVar[str]

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return posted(form, key).strip()

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return raw in (None, "", [], {})

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        return Checked()

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(text="" if raw is None else str(raw))


class ChoiceType(PartType):
    template = "questionnaire/parts/choice.html"

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        if raw and raw not in {o.value for o in options_of(part)}:
            result.add(_("Choose one of the options"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(text=option_label(part, raw, ctx.locale) if raw else "")


class YesNo(ChoiceType):
    name = "yes_no"


class YesNoUnknown(ChoiceType):
    name = "yes_no_unknown"


class Single(ChoiceType):
    name = "single"


class Multi(PartType):
    name = "multi"
    template = "questionnaire/parts/multi.html"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return posted_list(form, key)

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        allowed = {o.value for o in options_of(part)}
        if any(v not in allowed for v in raw or []):
            result.add(_("Choose among the options shown"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(text=", ".join(option_label(part, v, ctx.locale) for v in raw or []))


class TextType(PartType):
    name = "text"
    template = "questionnaire/parts/text.html"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        # Keep line breaks and inner spacing exactly as typed; only trim the ends.
        return posted(form, key).replace("\r\n", "\n").strip()

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        limit = part.max_length or MAX_TEXT
        if raw and len(raw) > limit:
            result.add(_("Shorten the text to at most %(limit)s characters (it has %(length)s)",
                         limit=format_decimal(limit), length=format_decimal(len(raw))))
        return result


def parse_number(raw: str) -> Decimal | None:
    """Accept Norwegian and English writing: "1 234,5", "1234.5", "12 %"."""
    cleaned = raw.replace("\u00a0", "").replace(" ", "").replace("%", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class NumberType(PartType):
    name = "number"
    template = "questionnaire/parts/number.html"

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        if not raw:
            return result
        number = parse_number(raw)
        if number is None:
            result.add(_("Enter a number, for example 12 or 12,5"))
            return result
        if part.integer and number != number.to_integral_value():
            result.add(_("Enter a whole number, without decimals"))
        low = Decimal(str(part.min)) if part.min is not None else None
        high = Decimal(str(part.max)) if part.max is not None else None
        if low is not None and high is not None and not low <= number <= high:
            result.add(_("Enter a number from %(low)s to %(high)s", low=format_decimal(low), high=format_decimal(high)))
        elif low is not None and number < low:
            result.add(_("Enter a number of at least %(low)s", low=format_decimal(low)))
        elif high is not None and number > high:
            result.add(_("Enter a number of at most %(high)s", high=format_decimal(high)))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        number = parse_number(raw) if raw else None
        if number is None:
            return Shown(text=raw or "")
        try:
            text = babel_format_decimal(number, locale=ctx.locale)
        except InvalidOperation:  # beyond the 28 digits Babel rounds to: show it as typed
            return Shown(text=raw)
        return Shown(text=f"{text} %" if part.percent else text)


def parse_date(raw: str) -> date | None:
    """ISO dates from date inputs, and dd.mm.yyyy as Norwegians write them."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


class DateType(PartType):
    name = "date"
    template = "questionnaire/parts/date.html"

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        if raw and (parsed := parse_date(raw)) is None:
            result.add(_("Enter a valid date, for example 31.01.2025"))
        elif raw and parsed is not None and not 1900 <= parsed.year <= 2100:
            result.add(_("Enter a date between 1900 and 2100"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        parsed = parse_date(raw) if raw else None
        return Shown(text=babel_format_date(parsed, "long", locale=ctx.locale) if parsed else raw or "")


class UrlType(PartType):
    name = "url"
    template = "questionnaire/parts/url.html"

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        if not raw:
            return result
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in raw:
            result.add(_("Enter a web address that starts with https:// or http://"))
        elif len(raw) > 2000:
            result.add(_("The web address is too long"))
        return result


class FileType(PartType):
    """Files are stored as evidence rows, not in the answer; the upload has its own route."""

    name = "file"
    template = "questionnaire/parts/file.html"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return None

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not ctx.files_for(part)

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(files=tuple(ctx.files_for(part)))


class ConfirmType(PartType):
    """A declaration: a checkbox plus the name, title and date of the person confirming."""

    name = "confirm"
    template = "questionnaire/parts/confirm.html"
    FIELDS = ("name", "title", "date")

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        value = {f: posted(form, f"{key}-{f}").strip() for f in self.FIELDS}
        value["confirmed"] = "yes" if form.get(f"{key}-confirmed") else ""
        return value if any(value.values()) else {}

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not raw or raw.get("confirmed") != "yes"

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        if not raw:
            return result
        if raw.get("confirmed") == "yes":
            if not raw.get("name"):
                result.add(_("Enter the name of the person confirming"), "name")
            if not raw.get("title"):
                result.add(_("Enter the job title of the person confirming"), "title")
        if raw.get("date") and parse_date(raw["date"]) is None:
            result.add(_("Enter a valid date, for example 31.01.2025"), "date")
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        if not raw or raw.get("confirmed") != "yes":
            return Shown(text=_("Not confirmed"))
        when = parse_date(raw.get("date", "")) if raw.get("date") else None
        parts = [_("Confirmed by %(name)s, %(title)s", name=raw.get("name", ""), title=raw.get("title", ""))]
        if when:
            parts.append(babel_format_date(when, "long", locale=ctx.locale))
        return Shown(text=", ".join(parts))


class RefType(PartType):
    """Rows picked from another question's table, e.g. H1's central sites from C5."""

    name = "ref"
    template = "questionnaire/parts/ref.html"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        values = posted_list(form, key)
        return values if part.multiple else (values[0] if values else "")

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not raw

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        chosen = raw if isinstance(raw, list) else ([raw] if raw else [])
        known = {row["_id"] for row in ctx.rows_of(part.table or "")}
        if any(value not in known for value in chosen):
            result.add(_("A chosen row no longer exists in question %(question)s. Choose again.",
                         question=part.table))
        return result

    def choices(self, part: Part, ctx: Context) -> list[tuple[str, str]]:
        return [(row["_id"], row_title(row, index)) for index, row in enumerate(ctx.rows_of(part.table or ""), 1)]

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        labels = dict(self.choices(part, ctx))
        chosen: list[str] = raw if isinstance(raw, list) else ([raw] if raw else [])
        return Shown(text=", ".join(labels.get(v, v) for v in chosen))


def row_name(row: Mapping[str, Any]) -> str | None:
    """The first text cell of a row that has content, which names the row (e.g. a site's name)."""
    for key, value in row.items():
        if key != "_id" and isinstance(value, str) and value and not value.isdigit():
            return value
    return None


def row_title(row: Mapping[str, Any], index: int) -> str:
    """A row's name for references, or its number when nothing names it yet."""
    return row_name(row) or _("Row %(number)s", number=index)


def new_row_id() -> str:
    return secrets.token_hex(4)


class TableType(PartType):
    """Repeating rows of typed columns; rows are added and removed by plain form posts."""

    name = "table"
    template = "questionnaire/parts/table.html"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        rows: list[dict[str, Any]] = []
        for row_id in form.getlist(f"{key}-rows"):
            if not ROW_ID.match(row_id):
                continue
            row: dict[str, Any] = {"_id": row_id}
            for column in part.columns:
                if column.type == "file":
                    continue
                row[column.id] = type_of(column).read(form, f"{key}-{row_id}-{column.id}", column)
            rows.append(row)
        return rows

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not any(self._row_has_content(row, part, ctx) for row in raw or [])

    def _row_has_content(self, row: Mapping[str, Any], part: Part, ctx: Context) -> bool:
        return any(
            not type_of(column).is_empty(row.get(column.id), column, ctx)
            for column in part.columns
            if column.type != "file"
        )

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = Checked()
        rows = [row for row in raw or [] if self._row_has_content(row, part, ctx)]
        if part.max_rows is not None and len(rows) > part.max_rows:
            result.add(ngettext("The table can have at most %(num)s row. Remove the rows you do not need.",
                                "The table can have at most %(num)s rows. Remove the rows you do not need.",
                                part.max_rows))
        for row in rows:
            for column in part.columns:
                if column.type == "file":
                    continue
                value = row.get(column.id)
                column_type = type_of(column)
                for key, messages in column_type.check(value, column, ctx).errors.items():
                    for message in messages:
                        result.add(message, f"{row['_id']}.{column.id}" + (f".{key}" if key else ""))
                if column.required and column_type.is_empty(value, column, ctx):
                    result.add(_("Fill in this cell"), f"{row['_id']}.{column.id}")
        return result

    def required_rows(self, part: Part) -> int:
        return max(part.min_rows, 1)

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        columns = [c for c in part.columns if c.type != "file"]
        headers = tuple(c.label.get(ctx.locale) if c.label else c.id for c in columns)
        rows = tuple(
            tuple(type_of(c).show(row.get(c.id), c, ctx).text for c in columns)
            for row in raw or []
            if self._row_has_content(row, part, ctx)
        )
        return Shown(headers=headers, rows=rows)


REGISTRY: dict[str, PartType] = {
    t.name: t
    for t in (
        YesNo(), YesNoUnknown(), Single(), Multi(), TextType(), NumberType(), DateType(),
        UrlType(), FileType(), TableType(), RefType(), ConfirmType(),
    )
}


def type_of(part: Part) -> PartType:
    return REGISTRY[part.type]
