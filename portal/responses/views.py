"""View models for the questionnaire pages: everything a part template needs, precomputed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.i18n import collation_key
from portal.i18n import gettext as _
from portal.models import Submission
from portal.questionnaires.definition import Definition, Part, Question
from portal.questionnaires.engine import QuestionState, condition_text, show_answer
from portal.questionnaires.types import (
    Context,
    FileLike,
    Shown,
    TableType,
    answer_of,
    key_for,
    options_of,
    row_key,
    row_name,
    type_of,
)


@dataclass
class PartView:
    question: Question
    part: Part
    key: str
    label: str
    raw: Any
    locale: str
    editable: bool
    label_hidden: bool = False
    optional: bool = False
    hint: str = ""
    messages: list[str] = field(default_factory=list)
    sub_messages: dict[str, list[str]] = field(default_factory=dict)
    upload_messages: list[str] = field(default_factory=list)
    files: Sequence[FileLike] = ()
    response_id: int = 0
    # Set on the company answers' page: files download from there (portal/company/routes.py).
    company_download: str = ""
    in_table: bool = False
    ref_choices: list[tuple[str, str]] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)
    note: str = ""  # e.g. that only the first rows of a table are shown
    # For a declaration on the check page: who signs (from the profile) and the day it is dated.
    signer: Mapping[str, str] = field(default_factory=dict)
    signed_on: Any = None

    @property
    def template(self) -> str:
        return type_of(self.part).template

    @property
    def options(self) -> list[tuple[str, str]]:
        options = [(o.value, o.label.get(self.locale)) for o in options_of(self.part)]
        if self.part.options_from == "iso3166":  # a code list: by name in the reader's alphabet
            options.sort(key=lambda option: collation_key(option[1], self.locale))
        return options

    @property
    def row_label(self) -> str:
        return self.part.row_label.get(self.locale) if self.part.row_label else _("row")

    def cell_messages(self, name: str) -> list[str]:
        return self.sub_messages.get(name, [])


@dataclass
class RowView:
    id: str
    key: str
    title: str
    cells: list[PartView]


@dataclass
class QuestionView:
    question: Question
    state: QuestionState
    parts: list[PartView]
    shown: list[tuple[Part, Shown]]
    editable: bool
    revision: int | None
    is_copied: bool
    text: str
    help: str
    condition_text: str = ""
    # The earlier submission a still unconfirmed copy came from (None: not known to this viewer).
    copied_from: Submission | None = None


def _label(part: Part, question: Question, locale: str) -> tuple[str, bool]:
    if part.label is not None:
        return part.label.get(locale), False
    return question.text.get(locale), True


def build_question(
    definition: Definition,
    question: Question,
    state: QuestionState,
    answers: Mapping[str, Mapping[str, Any]],
    files: Mapping[tuple[str, str], Sequence[FileLike]],
    *,
    locale: str,
    editable: bool,
    response_id: int,
    revision: int | None,
    is_copied: bool,
    upload_errors: Mapping[str, str],
    copied_from: Submission | None = None,
    company_download: str = "",
) -> QuestionView:
    ctx = Context(locale=locale, answers=answers, files=files, question_id=question.id)
    raw_answer = answer_of(answers, question.id)
    parts: list[PartView] = []
    single = len(question.parts) == 1
    for part in question.parts:
        kind = type_of(part)
        key = key_for(question.id, part.id)
        label, from_question = _label(part, question, locale)
        checked = state.errors.get(part.id)
        errors = checked.errors if checked else {}
        view = PartView(
            question=question, part=part, key=key, label=label,
            raw=kind.edit_value(raw_answer.get(part.id), part),
            locale=locale, editable=editable, label_hidden=from_question,
            optional=not part.required and not (question.required and single),
            messages=list(errors.get("", [])),
            sub_messages={k: v for k, v in errors.items() if k and "." not in k},
            upload_messages=[upload_errors[f"{key}-upload"]] if f"{key}-upload" in upload_errors else [],
            files=ctx.files_for(part), response_id=response_id, company_download=company_download,
            hint=kind.hint(part, locale),
        )
        view.ref_choices = kind.row_choices(part, ctx)
        if isinstance(kind, TableType):
            view.rows = _rows(question, part, view, errors, ctx, locale, editable, response_id)
            view.note = kind.rows_note(raw_answer.get(part.id), part)
        parts.append(view)
    return QuestionView(
        question=question, state=state, parts=parts,
        shown=show_answer(question, answers, files, locale), editable=editable,
        revision=revision, is_copied=is_copied, text=question.text.get(locale),
        help=question.help.get(locale) if question.help else "",
        condition_text=condition_text(definition, question, locale), copied_from=copied_from,
    )


def _rows(
    question: Question, part: Part, table: PartView, errors: Mapping[str, list[str]], ctx: Context,
    locale: str, editable: bool, response_id: int,
) -> list[RowView]:
    rows: list[RowView] = []
    for index, row in enumerate(table.raw or [], 1):
        row_id = row_key(row)
        cells: list[PartView] = []
        for column in part.columns:
            if not type_of(column).stores_value:
                continue
            cell = PartView(
                question=question, part=column, key=key_for(question.id, part.id, row_id, column.id),
                label=column.label.get(locale) if column.label else column.id,
                raw=type_of(column).edit_value(row.get(column.id), column),
                locale=locale, editable=editable, optional=not column.required,
                messages=list(errors.get(f"{row_id}.{column.id}", [])), in_table=True,
                response_id=response_id,
            )
            cell.ref_choices = type_of(column).row_choices(column, ctx)
            cells.append(cell)
        title = f"{table.row_label.capitalize()} {index}"
        name = row_name(row, part.columns)
        if name:
            title = f"{title}: {name}"
        rows.append(RowView(id=row_id, key=key_for(question.id, part.id, row_id), title=title, cells=cells))
    return rows
