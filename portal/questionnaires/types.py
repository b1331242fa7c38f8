"""The question-type registry: one class per answer type (STYLE.md item 8).

Each type knows how to read its raw input from a posted form, how to check it
(returning messages, never raising), whether it is empty, and how to show an
answer to a reviewer or in a PDF. Drafts store the raw input exactly as typed;
``check`` runs when a page is shown and at submission. Every per-type decision of
the portal is asked of the type here (a new table cell, the number hint, the rows a
``ref`` offers, how the changes view shows a change, how a register value fits a
column, how a declaration is signed and dated); no page, import or view names a type.

Adding a type is one class here, one entry in ``REGISTRY``, one template in
``templates/questionnaire/parts/``, and its name in the format: one row of
``model.TYPE_RULES`` (what a definition may declare for it, checked without Flask)
and the enum in ``schema.json``.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from babel.dates import format_date as babel_format_date
from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_decimal, lazy_pgettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from portal.i18n import current_locale, format_locale, ngettext
from portal.i18n import gettext as _
from portal.inputs import clean
from portal.questionnaires.definition import BUILTIN_OPTIONS, TYPE_RULES, Option, Part, TypeRules

MAX_TEXT = 20_000
MAX_SHORT = 200  # a choice value, a name or a title in a declaration
MAX_NUMBER_TEXT = 50
MAX_DATE_TEXT = 40
MAX_URL = 2000
MAX_ROWS = 1000  # for tables whose definition sets no maximum
# Numbers beyond these are not amounts anyone reports, and Babel cannot format some of them.
MAX_NUMBER = Decimal("1e15")
MAX_DECIMALS = 10

#: A spreadsheet cell of an answer (``PartType.cell``): typed where a spreadsheet reads the type.
SheetCell = str | int | float | date | None

ROW_ID = re.compile(r"^[a-z0-9]{4,16}$")
# One address: something@domain.tld, no spaces, no second @ (what a person can be mailed at).
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

#: Sample text by part id, for demo data and tests (``PartType.sample``).
SAMPLE_TEXTS = {
    "name": "Kari Nordmann",
    "job_title": "Bærekraftsansvarlig",
    "email": "kari.nordmann@leverandor.example",
    "products": "Arbeidsbukser, varselklær",
    "indicator": "Andel arbeidere som har deltatt i dialogmøter",
    "target": "Alle fabrikker har valgt arbeiderkomité",
    "responsible": "Innkjøpssjef",
    "description": "Avvik registrert ved revisjon; tiltaksplan avtalt med fabrikken.",
}


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
        """Rows of the single table part of another question (for references), at most ``MAX_ROWS``."""
        for value in answer_of(self.answers, question_id).values():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value[:MAX_ROWS]):
                return [r for r in value[:MAX_ROWS] if isinstance(r.get("_id"), str)]
        return []


def answer_of(answers: Mapping[str, Any], question_id: str) -> Mapping[str, Any]:
    """A question's stored answer as a mapping of part ids, whatever shape was stored."""
    value = answers.get(question_id) if isinstance(answers, Mapping) else None
    return value if isinstance(value, Mapping) else {}


@dataclass
class Checked:
    """Messages keyed by "" for the part itself or "<row id>.<column id>" for a table cell."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, message: str, key: str = "") -> None:
        self.errors.setdefault(key, []).append(message)

    def merge(self, other: Checked, prefix: str = "") -> None:
        for key, messages in other.errors.items():
            for message in messages:
                self.add(message, ".".join(k for k in (prefix, key) if k))

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
    note: str = ""  # said when not all of a stored answer is shown
    #: The answer is a list of files (``holds_files``): shown as links, or "No files." when empty.
    lists_files: bool = False

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
    """A posted value without control characters (portal.inputs: PostgreSQL refuses NUL)."""
    return clean(form.get(key, ""))


def posted_list(form: MultiDict[str, str], key: str) -> list[str]:
    return [clean(v) for v in form.getlist(key) if v]


def as_text(raw: Any) -> str:
    """A stored scalar as text: numbers written as they are, structures and None as ""."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return ""


def cut(text: str, limit: int) -> tuple[str, str]:
    """At most ``limit`` characters of a stored text, and a note when some were left out."""
    if len(text) <= limit:
        return text, ""
    return text[:limit], _("Only the first %(limit)s of %(length)s characters are shown.",
                           limit=format_decimal(limit), length=format_decimal(len(text)))


class PartType:
    """Every method accepts any stored value (also one written by hand or before a limit existed).

    ``limits`` are checked at every save, also of a draft: a value beyond them is not
    stored. ``check`` adds what only blocks submission (required cells, invalid dates...).
    """

    name: ClassVar[str]
    template: ClassVar[str]
    #: The type's name for people (the questionnaire preview).
    label: ClassVar[Any]
    #: Whether the preview lists the part's options.
    lists_options: ClassVar[bool] = False
    #: Whether the value lives in the answer; files are evidence rows of their own.
    stores_value: ClassVar[bool] = True
    #: Whether a person picks the value instead of typing it ("Choose an option").
    is_chosen: ClassVar[bool] = False

    @property
    def rules(self) -> TypeRules:
        """What a definition may declare for the type (model.TYPE_RULES: pure data, for checking.py)."""
        return TYPE_RULES[self.name]

    @property
    def holds_files(self) -> bool:
        """Whether the part's answer is files (uploaded on their own; never in the answer's value)."""
        return self.rules.files

    @property
    def has_rows(self) -> bool:
        """Whether the part's answer is rows of cells (its ``columns``), each row with an ``_id``."""
        return self.rules.rows

    @property
    def signs(self) -> bool:
        """Whether the part is a signature given with the submission (a declaration's date is the
        submission's, its signer the signed-in user)."""
        return self.rules.signs

    #: How the review page's "changed since" shows a change: "words" (a word-by-word diff),
    #: "value" (old → new), "rows" (rows added, removed and cells changed) or "files".
    change_shown_as: ClassVar[str] = "value"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return posted(form, key).strip()

    def coerce(self, raw: Any, part: Part) -> Any:
        """The stored value in the shape this type works with."""
        return as_text(raw)

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return self.coerce(raw, part) in (None, "", [], {})

    def limits(self, raw: Any, part: Part) -> Checked:
        return Checked()

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        return self.limits(raw, part)

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        text, note = cut(as_text(raw), MAX_TEXT)
        return Shown(text=text, note=note)

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        """The answer as a spreadsheet cell (the staff's answers export): what a person reads,
        typed where a spreadsheet has the type (numbers, dates); ``None`` when unanswered."""
        if self.is_empty(raw, part, ctx):
            return None
        return self.show(raw, part, ctx).text or None

    def edit_value(self, raw: Any, part: Part) -> Any:
        """What the fill-in page puts into the control: bounded, so a huge stored value cannot stall it."""
        return self.coerce(raw, part)

    def empty_value(self, part: Part) -> Any:
        """The value of a new, untouched table cell of this type (its default, if it has one)."""
        if part.default is not None and not isinstance(part.default, tuple):
            return str(part.default)
        return ""

    def fitted(self, value: Any, part: Part) -> Any:
        """A value from elsewhere (e.g. the site register) as this part can store it: what does
        not fit (an option it does not offer, text beyond its length) is left out."""
        return value

    def same_value(self, typed: Any, stored: Any, part: Part) -> Any:
        """``typed`` as read from a form, or ``stored`` when both say the same (a number stored
        as "12,5" and posted back as "12.5"), so a save that changed nothing changes nothing."""
        return typed

    def hint(self, part: Part, locale: str) -> str:
        """How to write the value, shown under the control ("" for none)."""
        return ""

    def row_choices(self, part: Part, ctx: Context) -> list[tuple[str, str]]:
        """The rows of another question a person picks from (value, label); none for most types."""
        return []

    def signed(self, raw: Any, signer: Mapping[str, str]) -> Any:
        """A signature part's value with the signer's non-empty fields filled in (``signs`` types)."""
        return raw

    def dated(self, raw: Any, day: date | None, *, ticked: bool = True) -> Any:
        """A signature part's value as given on ``day`` (none before submission); without the
        tick when ``ticked`` is false (a declaration kept as a draft). Other types: unchanged."""
        return raw

    def is_given(self, raw: Any) -> bool:
        """Whether a signature part is ticked and names who gives it, with their title."""
        return True

    def describe(self, part: Part) -> list[str]:
        """The part's rules in words, for the questionnaire preview."""
        return []

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        """A plausible valid value for demo data and tests. ``rows`` holds the row ids of the
        tables sampled so far (by question id), for parts that pick rows from them."""
        return ""


class ChoiceType(PartType):
    template = "questionnaire/parts/choice.html"
    lists_options = True
    is_chosen = True

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        options = options_of(part)
        return options[0].value if options else ""

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        if len(self.coerce(raw, part)) > MAX_SHORT:
            result.add(_("Choose one of the options"))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        raw = self.coerce(raw, part)
        if result.ok and raw and raw not in {o.value for o in options_of(part)}:
            result.add(_("Choose one of the options"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        raw = self.coerce(raw, part)
        return Shown(text=option_label(part, raw[:MAX_SHORT], ctx.locale) if raw else "")

    def fitted(self, value: Any, part: Part) -> Any:
        return value if value in {option.value for option in options_of(part)} else ""


class YesNo(ChoiceType):
    name = "yes_no"
    label = _l("Yes/no")


class YesNoUnknown(ChoiceType):
    name = "yes_no_unknown"
    label = _l("Yes/no/don't know")


class Single(ChoiceType):
    name = "single"
    label = _l("Single choice")


class Multi(PartType):
    name = "multi"
    template = "questionnaire/parts/multi.html"
    label = _l("Multiple choice")
    lists_options = True
    is_chosen = True

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        # A semicolon between choices: their labels may hold commas ("Forced, bonded labour").
        values = self.coerce(raw, part)[:len(options_of(part))]
        return "; ".join(option_label(part, v[:MAX_SHORT], ctx.locale) for v in values) or None

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        options = [o.value for o in options_of(part)]
        return options[: max(1, min(3, len(options)))]

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return posted_list(form, key)

    def coerce(self, raw: Any, part: Part) -> Any:
        if isinstance(raw, str):
            return [raw] if raw else []
        return [as_text(v) for v in raw if as_text(v)] if isinstance(raw, list) else []

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        values = self.coerce(raw, part)
        if len(values) > len(options_of(part)) or any(len(v) > MAX_SHORT for v in values):
            result.add(_("Choose among the options shown"))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        allowed = {o.value for o in options_of(part)}
        if result.ok and any(v not in allowed for v in self.coerce(raw, part)):
            result.add(_("Choose among the options shown"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        values = self.coerce(raw, part)[:len(options_of(part))]
        return Shown(text=", ".join(option_label(part, v[:MAX_SHORT], ctx.locale) for v in values))

    def empty_value(self, part: Part) -> Any:
        return []

    def fitted(self, value: Any, part: Part) -> Any:
        allowed = {option.value for option in options_of(part)}
        return [v for v in (value or []) if v in allowed]


class TextType(PartType):
    name = "text"
    template = "questionnaire/parts/text.html"
    label = lazy_pgettext("answer type", "Text")
    change_shown_as = "words"

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        return as_text(raw)[:MAX_TEXT] or None

    def describe(self, part: Part) -> list[str]:
        details = [_("Several lines")] if part.multiline else []
        if part.max_length:
            details.append(_("At most %(num)s characters", num=part.max_length))
        return details

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        if part.id in SAMPLE_TEXTS:
            return SAMPLE_TEXTS[part.id]
        return "Beskrevet i vedlagt rutine, revidert av ledelsen i år." if part.multiline else "Se vedlegg"

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        # Keep line breaks and inner spacing exactly as typed; only trim the ends.
        return posted(form, key).replace("\r\n", "\n").strip()

    def limits(self, raw: Any, part: Part) -> Checked:
        return text_limit(self.coerce(raw, part), part.max_length or MAX_TEXT)

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        text = self.coerce(raw, part)
        if result.ok and text and part.format == "email" and not EMAIL.match(text):
            result.add(_("Enter an e-mail address in the correct format, like name@example.no"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        text, note = cut(self.coerce(raw, part), part.max_length or MAX_TEXT)
        return Shown(text=text, note=note)

    def edit_value(self, raw: Any, part: Part) -> Any:
        # Twice the limit: enough to shorten what was typed, never megabytes in a page.
        return self.coerce(raw, part)[:2 * (part.max_length or MAX_TEXT)]

    def fitted(self, value: Any, part: Part) -> Any:
        return str(value)[:part.max_length] if part.max_length else value


def text_limit(text: str, limit: int, key: str = "") -> Checked:
    result = Checked()
    if len(text) > limit:
        result.add(_("Shorten the text to at most %(limit)s characters (it has %(length)s)",
                     limit=format_decimal(limit), length=format_decimal(len(text))), key)
    return result


def parse_number(raw: str) -> Decimal | None:
    """Accept Norwegian and English writing: "1 234,5", "1234.5", "12 %"."""
    cleaned = raw.replace("\u00a0", "").replace(" ", "").replace("%", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not cleaned or len(cleaned) > MAX_NUMBER_TEXT:
        return None
    try:
        number = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# How answers to number questions are stored once read: plain digits, "." before decimals.
CANONICAL_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# What a number typed in any of our locales can hold: a sign, digits, separators and spaces.
NUMBER_CHARACTERS = re.compile(r"^-?[\d.,\s]+$")


def parse_local_number(raw: str, locale: str) -> Decimal | None:
    """A number as the user writes it in ``locale``, or None.

    nb: "1 234,5" (grouping with a space, a no-break space or a narrow one; comma before
    decimals); en: "1,234.5" (grouping with commas, which must stand every three digits, so
    "12,5" is refused rather than read as 125). Plain digits ("1234", "1234.5", the stored
    form) are read in both; a trailing "%" is dropped. Spaces never mean anything but grouping.
    """
    text = raw.strip().removesuffix("%").strip().replace("\u2212", "-")  # a typographic minus
    if not text or len(text) > MAX_NUMBER_TEXT or not NUMBER_CHARACTERS.match(text):
        return None
    if CANONICAL_NUMBER.match(text):
        number = Decimal(text)
    else:
        babel_locale = format_locale(locale)
        group = get_group_symbol(babel_locale)
        text = re.sub(r"\s", group if group.isspace() else "", text)
        try:
            number = parse_decimal(text, locale=babel_locale, strict=True)
        except NumberFormatError:
            return None
    return number if number.is_finite() else None


def canonical_number(number: Decimal) -> str:
    """The stored form of a number: "1234.5", the same whatever the language it was typed in."""
    return format(number, "f")


def local_number(number: Decimal, locale: str) -> str:
    """A number written for the reader in ``locale``, every decimal kept ("1 234,5"; "1,234.5")."""
    return babel_format_decimal(number, locale=format_locale(locale), decimal_quantization=False)


def number_example(part: Part, locale: str) -> str:
    """An example answer in the user's locale, from Babel: what to write and how to group it."""
    return _number_example(bool(part.percent), bool(part.integer), locale or current_locale())


@lru_cache(maxsize=64)  # four examples a locale, asked for by every number field shown
def _number_example(percent: bool, integer: bool, locale: str) -> str:
    if percent:
        example = Decimal(75) if integer else Decimal("12.5")
    else:
        example = Decimal(1234) if integer else Decimal("1234.5")
    return local_number(example, locale)


def number_in_range(number: Decimal) -> bool:
    """Within what anyone reports and Babel formats: |n| < 10^15, at most 10 decimals."""
    return number.copy_abs() < MAX_NUMBER and number.as_tuple().exponent >= -MAX_DECIMALS  # type: ignore[operator]


def _number_message(part: Part, locale: str) -> str:
    return _("Enter a number written like %(example)s", example=number_example(part, locale))


class NumberType(PartType):
    """A number: read in the user's locale and stored in one form for everyone
    (``canonical_number``); what cannot be read is kept as typed, with a message."""

    name = "number"
    template = "questionnaire/parts/number.html"
    label = lazy_pgettext("answer type", "Number")

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        text = as_text(raw).strip()
        number = parse_number(text) if text else None
        if number is None or not number_in_range(number):
            return text or None  # a draft may hold anything: kept as typed
        # A float, not a Decimal: the report's workbook gives Decimals an amount's two decimals.
        return int(number) if number == number.to_integral_value() else float(number)

    def hint(self, part: Part, locale: str) -> str:
        """How to write a number in the user's language, from Babel ("1 234,5"; "1,234.5")."""
        return _("For example %(example)s", example=number_example(part, locale))

    def same_value(self, typed: Any, stored: Any, part: Part) -> Any:
        typed_number = parse_number(typed) if isinstance(typed, str) and CANONICAL_NUMBER.match(typed) else None
        same = typed_number is not None and isinstance(stored, str) and parse_number(stored) == typed_number
        return stored if same else typed

    def describe(self, part: Part) -> list[str]:
        details: list[str] = []
        if part.min is not None and part.max is not None:
            details.append(_("From %(min)s to %(max)s", min=format_decimal(part.min), max=format_decimal(part.max)))
        elif part.min is not None:
            details.append(_("At least %(min)s", min=format_decimal(part.min)))
        elif part.max is not None:
            details.append(_("At most %(max)s", max=format_decimal(part.max)))
        if part.integer:
            details.append(_("Whole numbers"))
        if part.percent:
            details.append(_("Percent"))
        return details

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        low = int(part.min) if part.min is not None else 0
        high = int(part.max) if part.max is not None else max(low + 50, 50)
        return str(rng.randint(max(low, 1 if high >= 1 else low), high))

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        typed = posted(form, key).strip()
        number = parse_local_number(typed, current_locale()) if typed else None
        return canonical_number(number) if number is not None else typed

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        raw = self.coerce(raw, part)
        if not raw:
            return result
        number = parse_number(raw)
        if number is None:
            if len(raw) > MAX_NUMBER_TEXT:
                result.add(_number_message(part, current_locale()))
            return result
        if not number_in_range(number):
            result.add(_("Enter a number smaller than a million billion, with at most %(decimals)s decimals",
                         decimals=MAX_DECIMALS))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        raw = self.coerce(raw, part)
        if not raw or not result.ok:
            return result
        # A stored number is in the one stored form; anything else was typed and could not be
        # read in the writer's language then: it is read in the reader's now, or refused.
        number = parse_local_number(raw, ctx.locale)
        if number is None:
            result.add(_number_message(part, ctx.locale))
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
        raw = self.coerce(raw, part)[:MAX_NUMBER_TEXT]
        number = parse_number(raw) if raw else None
        if number is None or not number_in_range(number):
            return Shown(text=raw)
        try:
            text = babel_format_decimal(number, locale=ctx.locale)
        except ArithmeticError:  # beyond the 28 digits Babel rounds to: show it as typed
            return Shown(text=raw)
        return Shown(text=f"{text} %" if part.percent else text)

    def edit_value(self, raw: Any, part: Part) -> Any:
        """A stored number as the user writes it ("1 234,5" in nb); anything else as typed."""
        raw = self.coerce(raw, part)[:2 * MAX_NUMBER_TEXT]
        if CANONICAL_NUMBER.match(raw):
            number = Decimal(raw)
            if number_in_range(number):
                return local_number(number, current_locale())
        return raw


def parse_date(raw: str) -> date | None:
    """ISO dates from date inputs, and dd.mm.yyyy as Norwegians write them."""
    if not isinstance(raw, str) or len(raw) > MAX_DATE_TEXT:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


class DateType(PartType):
    name = "date"
    template = "questionnaire/parts/date.html"
    label = lazy_pgettext("answer type", "Date")

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        text = as_text(raw).strip()
        return parse_date(text) or text or None

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        return (today - timedelta(days=rng.randint(30, 300))).isoformat()

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        if len(self.coerce(raw, part)) > MAX_DATE_TEXT:
            result.add(_("Enter a valid date, for example 31.01.2025"))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        raw = self.coerce(raw, part)
        if not raw or not result.ok:
            return result
        if (parsed := parse_date(raw)) is None:
            result.add(_("Enter a valid date, for example 31.01.2025"))
        elif not 1900 <= parsed.year <= 2100:
            result.add(_("Enter a date between 1900 and 2100"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        raw = self.coerce(raw, part)[:MAX_DATE_TEXT]
        parsed = parse_date(raw) if raw else None
        return Shown(text=babel_format_date(parsed, "long", locale=format_locale(ctx.locale)) if parsed else raw)

    def edit_value(self, raw: Any, part: Part) -> Any:
        return self.coerce(raw, part)[:2 * MAX_DATE_TEXT]


class UrlType(PartType):
    name = "url"
    template = "questionnaire/parts/url.html"
    label = _l("Web address")

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        return as_text(raw)[:MAX_TEXT] or None

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        return "https://leverandor.example/redegjorelse"

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        if len(self.coerce(raw, part)) > MAX_URL:
            result.add(_("The web address is too long"))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        raw = self.coerce(raw, part)
        if not raw or not result.ok:
            return result
        try:
            parts = urlsplit(raw)
        except ValueError:  # e.g. an unbalanced [ in the host
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in raw:
            result.add(_("Enter a web address that starts with https:// or http://"))
        return result

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(text=self.coerce(raw, part)[:MAX_URL])

    def edit_value(self, raw: Any, part: Part) -> Any:
        return self.coerce(raw, part)[:2 * MAX_URL]


class FileType(PartType):
    """Files are stored as evidence rows, not in the answer; the upload has its own route."""

    name = "file"
    template = "questionnaire/parts/file.html"
    label = _l("Files")
    stores_value = False
    change_shown_as = "files"

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        return ", ".join(f.original_name for f in ctx.files_for(part)) or None

    def describe(self, part: Part) -> list[str]:
        details = [_("Several files") if part.multiple else _("One file")]
        if part.tag_free:
            details.append(_("Each file can get a tag in free text"))
        return details

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        return None  # files are evidence rows, uploaded on their own

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        return None

    def coerce(self, raw: Any, part: Part) -> Any:
        return None

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not ctx.files_for(part)

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        return Shown(files=tuple(ctx.files_for(part)), lists_files=True)


class ConfirmType(PartType):
    """A declaration: a checkbox plus the name, title and date of the person confirming."""

    name = "confirm"
    template = "questionnaire/parts/confirm.html"
    label = _l("Confirmation with name, title and date")
    FIELDS = ("name", "title", "date")

    def cell(self, raw: Any, part: Part, ctx: Context) -> SheetCell:
        # Never answered: empty. A declaration answered but not ticked says "Not confirmed".
        return (self.show(raw, part, ctx).text or None) if self.coerce(raw, part) else None

    def signed(self, raw: Any, signer: Mapping[str, str]) -> Any:
        given = dict(raw or {})
        for field_name in ("name", "title"):
            if signer[field_name]:
                given[field_name] = signer[field_name]
        return given

    def dated(self, raw: Any, day: date | None, *, ticked: bool = True) -> Any:
        if not (isinstance(raw, dict) and raw):
            return raw
        return {**raw, "date": day.isoformat() if day else "", "confirmed": raw.get("confirmed", "") if ticked else ""}

    def is_given(self, raw: Any) -> bool:
        given = raw or {}
        return bool(given.get("confirmed") == "yes" and given.get("name") and given.get("title"))

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        return {"confirmed": "yes", "name": "Per Hansen", "title": "Daglig leder", "date": today.isoformat()}

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        value = {f: posted(form, f"{key}-{f}").strip() for f in self.FIELDS}
        value["confirmed"] = "yes" if form.get(f"{key}-confirmed") else ""
        return value if any(value.values()) else {}

    def coerce(self, raw: Any, part: Part) -> Any:
        if not isinstance(raw, Mapping):
            return {}
        return {f: as_text(raw.get(f)) for f in (*self.FIELDS, "confirmed") if as_text(raw.get(f))}

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return self.coerce(raw, part).get("confirmed") != "yes"

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        raw = self.coerce(raw, part)
        for name in ("name", "title"):
            result.merge(text_limit(raw.get(name, ""), MAX_SHORT, name))
        if len(raw.get("date", "")) > MAX_DATE_TEXT:
            result.add(_("Enter a valid date, for example 31.01.2025"), "date")
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        raw = self.coerce(raw, part)
        if not raw or not result.ok:
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
        raw = self.coerce(raw, part)
        if raw.get("confirmed") != "yes":
            return Shown(text=_("Not confirmed"))
        when = parse_date(raw.get("date", "")) if raw.get("date") else None
        parts = [_("Confirmed by %(name)s, %(title)s", name=raw.get("name", "")[:MAX_SHORT],
                   title=raw.get("title", "")[:MAX_SHORT])]
        if when:
            parts.append(babel_format_date(when, "long", locale=format_locale(ctx.locale)))
        return Shown(text=", ".join(parts))


class RefType(PartType):
    """Rows picked from another question's table, e.g. H1's central sites from C5."""

    name = "ref"
    template = "questionnaire/parts/ref.html"
    label = _l("Rows chosen from another table")
    is_chosen = True

    def empty_value(self, part: Part) -> Any:
        return [] if part.multiple else super().empty_value(part)

    def row_choices(self, part: Part, ctx: Context) -> list[tuple[str, str]]:
        return self.choices(part, ctx)

    def describe(self, part: Part) -> list[str]:
        return [_("Rows chosen from the table in %(question)s", question=part.table)] if part.table else []

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str) -> Any:
        chosen = rows.get(part.table or "", [])
        return chosen[:2] if part.multiple else (chosen[0] if chosen else "")

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        values = posted_list(form, key)
        return values if part.multiple else (values[0] if values else "")

    def coerce(self, raw: Any, part: Part) -> Any:
        values = [as_text(v) for v in raw if as_text(v)] if isinstance(raw, list) else [as_text(raw)]
        values = [v for v in values if v]
        return values if part.multiple else (values[0] if values else "")

    def _chosen(self, raw: Any, part: Part) -> list[str]:
        raw = self.coerce(raw, part)
        return raw if isinstance(raw, list) else ([raw] if raw else [])

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not self.coerce(raw, part)

    def limits(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        chosen = self._chosen(raw, part)
        if len(chosen) > MAX_ROWS or any(not ROW_ID.match(value) for value in chosen):
            result.add(_("A chosen row no longer exists in question %(question)s. Choose again.",
                         question=part.table))
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self.limits(raw, part)
        if not result.ok:
            return result
        chosen = self._chosen(raw, part)
        known = {row["_id"] for row in ctx.rows_of(part.table or "")}
        if any(value not in known for value in chosen):
            result.add(_("A chosen row no longer exists in question %(question)s. Choose again.",
                         question=part.table))
        return result

    def choices(self, part: Part, ctx: Context) -> list[tuple[str, str]]:
        return [(row["_id"], row_title(row, index)) for index, row in enumerate(ctx.rows_of(part.table or ""), 1)]

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        labels = dict(self.choices(part, ctx))
        chosen = [v[:MAX_SHORT] for v in self._chosen(raw, part)[:MAX_ROWS]]
        return Shown(text=", ".join(labels.get(v, v) for v in chosen))


def row_name(row: Mapping[str, Any], columns: Sequence[Part] = ()) -> str | None:
    """The first free-text cell of a row that has content, which names the row (e.g. a site's name).

    With the table's ``columns`` only text columns count, so a choice's stored value
    (``yes``, ``BD``) never names a row; without them any non-numeric text does.
    """
    if columns:
        for column in columns:
            value = row.get(column.id)
            if column.type == "text" and isinstance(value, str) and value.strip():
                return value.strip()[:MAX_SHORT]
        return None
    for key, value in row.items():
        if key != "_id" and isinstance(value, str) and value and not value.isdigit():
            return value[:MAX_SHORT]
    return None


def row_title(row: Mapping[str, Any], index: int, columns: Sequence[Part] = ()) -> str:
    """A row's name for references, or its number when nothing names it yet."""
    return row_name(row, columns) or _("Row %(number)s", number=index)


def _required_message(column: Part) -> str:
    if column.options_from == "iso3166":
        return _("Choose a country")
    if type_of(column).is_chosen:
        return _("Choose an option")
    return _("Fill in this cell")


def new_row_id() -> str:
    return secrets.token_hex(4)


class TableType(PartType):
    """Repeating rows of typed columns; rows are added and removed by plain form posts."""

    name = "table"
    template = "questionnaire/parts/table.html"
    label = lazy_pgettext("answer type", "Table")
    change_shown_as = "rows"

    def same_value(self, typed: Any, stored: Any, part: Part) -> Any:
        if not (isinstance(typed, list) and isinstance(stored, list)):
            return typed
        earlier = {row.get("_id"): row for row in stored if isinstance(row, dict)}
        return [same_values(part.columns, dict(row), earlier[row.get("_id")])
                if isinstance(row, dict) and row.get("_id") in earlier else row
                for row in typed]

    def describe(self, part: Part) -> list[str]:
        details: list[str] = []
        if part.min_rows:
            details.append(ngettext("At least %(num)s row", "At least %(num)s rows", part.min_rows))
        if part.max_rows is not None:
            details.append(ngettext("At most %(num)s row", "At most %(num)s rows", part.max_rows))
        return details

    def sample(self, part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
               question_id: str, count: int | None = None) -> Any:
        """``count`` rows (default: the table's minimum, at least one), each cell sampled by its
        column's type; their ids are added to ``rows`` for the parts that pick from them."""
        table_rows = []
        for index in range(max(part.min_rows, 1) if count is None else count):
            row: dict[str, Any] = {"_id": f"r{question_id.lower()}{index:04d}"}
            for column in part.columns:
                kind = type_of(column)
                if kind.stores_value:
                    row[column.id] = kind.sample(column, rng, today, rows, question_id)
            table_rows.append(row)
        rows[question_id] = [row["_id"] for row in table_rows]
        return table_rows

    def read(self, form: MultiDict[str, str], key: str, part: Part) -> Any:
        rows: list[dict[str, Any]] = []
        # One row more than allowed is enough to refuse the table (see limits); no need to read 20,000.
        for row_id in form.getlist(f"{key}-rows")[:self.row_limit(part) + 1]:
            if not ROW_ID.match(row_id):
                continue
            row: dict[str, Any] = {"_id": row_id}
            for column in part.columns:
                if not type_of(column).stores_value:
                    continue
                row[column.id] = type_of(column).read(form, f"{key}-{row_id}-{column.id}", column)
            rows.append(row)
        return rows

    def coerce(self, raw: Any, part: Part) -> Any:
        if not isinstance(raw, list):
            return []
        return [row for row in raw if isinstance(row, Mapping)]

    def row_limit(self, part: Part) -> int:
        return part.max_rows if part.max_rows is not None else MAX_ROWS

    def content_rows(self, raw: Any, part: Part, ctx: Context) -> list[Mapping[str, Any]]:
        """Rows with something in them, at most the table's maximum (more are never stored now)."""
        rows = self.coerce(raw, part)[:self.row_limit(part)]
        return [row for row in rows if self._row_has_content(row, part, ctx)]

    def is_empty(self, raw: Any, part: Part, ctx: Context) -> bool:
        return not any(self._row_has_content(row, part, ctx) for row in self.coerce(raw, part)[:self.row_limit(part)])

    def _row_has_content(self, row: Mapping[str, Any], part: Part, ctx: Context) -> bool:
        """Whether someone typed or chose something: a cell still at its default does not count,
        so a row just added (with e.g. "confidential: yes" preset) is not checked as if filled."""
        return any(
            not type_of(column).is_empty(row.get(column.id), column, ctx)
            and not _is_default(row.get(column.id), column)
            for column in part.columns
            if type_of(column).stores_value
        )

    def _too_many_rows(self, raw: Any, part: Part) -> Checked:
        result = Checked()
        limit = self.row_limit(part)
        if len(self.coerce(raw, part)) > limit:
            result.add(ngettext("The table can have at most %(num)s row. Remove the rows you do not need.",
                                "The table can have at most %(num)s rows. Remove the rows you do not need.",
                                limit))
        return result

    def limits(self, raw: Any, part: Part) -> Checked:
        result = self._too_many_rows(raw, part)
        if not result.ok:
            return result  # the cells of thousands of rows are not worth checking
        for row in self.coerce(raw, part):
            for column in part.columns:
                if type_of(column).stores_value:
                    result.merge(type_of(column).limits(row.get(column.id), column), f"{row_key(row)}.{column.id}")
        return result

    def check(self, raw: Any, part: Part, ctx: Context) -> Checked:
        result = self._too_many_rows(raw, part)
        if not result.ok:
            return result
        rows = self.coerce(raw, part)[:self.row_limit(part)]
        row_label = part.row_label.get(ctx.locale) if part.row_label else _("Row")
        for index, row in enumerate(rows, 1):
            if not self._row_has_content(row, part, ctx):
                continue
            for column in part.columns:
                if not type_of(column).stores_value:
                    continue
                value = row.get(column.id)
                column_type = type_of(column)
                messages = column_type.check(value, column, ctx).errors.get("", [])
                if column.required and column_type.is_empty(value, column, ctx):
                    messages = [*messages, _required_message(column)]
                place = _("%(row)s %(number)s, %(column)s",
                          row=row_label[:1].upper() + row_label[1:], number=index,
                          column=column.label.get(ctx.locale) if column.label else column.id)
                for message in messages:
                    # The same words at the cell and in the error summary: where, then what.
                    result.add(_("%(place)s: %(message)s", place=place, message=message),
                               f"{row_key(row)}.{column.id}")
        return result

    def required_rows(self, part: Part) -> int:
        return max(part.min_rows, 1)

    def show(self, raw: Any, part: Part, ctx: Context) -> Shown:
        columns = [c for c in part.columns if type_of(c).stores_value]
        headers = tuple(c.label.get(ctx.locale) if c.label else c.id for c in columns)
        rows = tuple(
            tuple(type_of(c).show(row.get(c.id), c, ctx).text for c in columns)
            for row in self.content_rows(raw, part, ctx)
        )
        return Shown(headers=headers, rows=rows, note=self.rows_note(raw, part))

    def rows_note(self, raw: Any, part: Part) -> str:
        stored, limit = len(self.coerce(raw, part)), self.row_limit(part)
        if stored <= limit:
            return ""
        return _("Only the first %(limit)s of %(stored)s rows are shown.",
                 limit=format_decimal(limit), stored=format_decimal(stored))

    def edit_value(self, raw: Any, part: Part) -> Any:
        return self.coerce(raw, part)[:self.row_limit(part)]


def _is_default(value: Any, column: Part) -> bool:
    if column.default is None or isinstance(column.default, tuple):
        return False
    return as_text(value) == str(column.default)


def row_key(row: Mapping[str, Any]) -> str:
    row_id = row.get("_id")
    return row_id if isinstance(row_id, str) and ROW_ID.match(row_id) else ""


REGISTRY: dict[str, PartType] = {
    t.name: t
    for t in (
        YesNo(), YesNoUnknown(), Single(), Multi(), TextType(), NumberType(), DateType(),
        UrlType(), FileType(), TableType(), RefType(), ConfirmType(),
    )
}


def type_of(part: Part) -> PartType:
    return REGISTRY[part.type]


def same_values(parts: Sequence[Part], value: dict[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` with each part typed as already stored keeping the stored form (``same_value``).

    Numbers are stored in one form since they are read in the user's language; an answer
    stored before ("12,5", or copied from an older submission) is shown and posted back as
    "12.5". Without this a save that changed nothing would change the answer, and a copied
    answer would count as changed rather than still awaiting confirmation.
    """
    for part in parts:
        if part.id in value and part.id in previous:
            value[part.id] = type_of(part).same_value(value[part.id], previous[part.id], part)
    return value
