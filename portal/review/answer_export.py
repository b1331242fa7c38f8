"""Every answer of a set of responses as one workbook, for the buyer's staff (issue 15).

One row per response on the answers sheet: who, which agreement and round, the status, when
it was submitted and from what the answers are taken, then one column per part of each
question in the questionnaire's order. A table part (C5's production sites, E3's deviations)
gets a sheet of its own: one row per table row, keyed by the response. Values are what a
person reads, in the reader's language: choice labels, dates as dates, numbers as numbers,
files by their names.

The answers are those the review page shows: the latest submission's, or the saved draft's
while nothing has been submitted (a draft's unsaved input is never stored, so never seen).
The responses come from the inbox's own query, so the buyer scoping of ``portal.tenancy``
applies as everywhere (own agreements, and joint agreements read-only); the export is an
internal staff document and may name production sites, and is never offered to suppliers.

Responses of different questionnaire versions (an inbox filter across years) get one set of
sheets per version: a question id may mean something else in another version, so their
columns are never merged. A fixed number of statements, whatever the number of responses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response as HttpResponse

from portal import clock
from portal.extensions import db
from portal.models import Answer, EvidenceFile, QuestionnaireVersion, Response, Submission
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Part, Question
from portal.questionnaires.types import (
    Context,
    TableType,
    answer_of,
    type_of,
)
from portal.reports.exports import XLSX_MIME
from portal.reports.tables import Cell, Table
from portal.reports.xlsx import to_xlsx
from portal.review.services import FileMap, snapshot_files
from portal.security import DOWNLOAD_CSP
from portal.templating import response_status_label

#: Characters of a question's text in a column heading: enough to know it, short enough to read.
HEADING_TEXT = 60
#: The columns before the answers, on the answers sheet and (the first four) on table sheets.
KEY_WIDTHS = (36, 16, 40, 30)
TABLE = TableType()


@dataclass
class ExportedAnswers:
    """What one response's row is made of."""

    response: Response
    answers: Mapping[str, Any]
    files: FileMap
    submission: Submission | None = None


@dataclass
class VersionSheets:
    version: QuestionnaireVersion
    definition: Definition
    rows: list[ExportedAnswers] = field(default_factory=list)


def _latest_submissions(ids: list[int]) -> dict[int, Submission]:
    if not ids:
        return {}
    latest = (
        select(Submission.response_id, func.max(Submission.number).label("number"))
        .where(Submission.response_id.in_(ids))
        .group_by(Submission.response_id)
        .subquery()
    )
    found = db.session.scalars(
        select(Submission).join(latest, (Submission.response_id == latest.c.response_id)
                                & (Submission.number == latest.c.number))
    )
    return {submission.response_id: submission for submission in found}


def load_answers(responses: Sequence[Response]) -> list[ExportedAnswers]:
    """The answers each response's row shows, in three statements for any number of responses."""
    submissions = _latest_submissions([r.id for r in responses])
    drafts = [r.id for r in responses if r.id not in submissions]
    draft_answers: dict[int, dict[str, Any]] = defaultdict(dict)
    draft_files: dict[int, FileMap] = defaultdict(dict)
    if drafts:
        for response_id, question_id, value in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value)
            .where(Answer.response_id.in_(drafts))
        ):
            draft_answers[response_id][question_id] = value if isinstance(value, dict) else {}
        for file in db.session.scalars(
            select(EvidenceFile).where(EvidenceFile.response_id.in_(drafts),
                                       EvidenceFile.removed_at.is_(None))
            .order_by(EvidenceFile.id)
        ):
            if file.response_id is not None:  # always, by the query: the model allows company files
                draft_files[file.response_id].setdefault((file.question_id, file.part_id), []).append(file)
    result = []
    for response in responses:
        submission = submissions.get(response.id)
        if submission is not None:
            stored = submission.answers if isinstance(submission.answers, dict) else {}
            answers = {qid: value for qid, value in stored.items() if isinstance(value, dict)}
            result.append(ExportedAnswers(response, answers, snapshot_files(submission), submission))
        else:
            result.append(ExportedAnswers(response, draft_answers.get(response.id, {}),
                                          draft_files.get(response.id, {})))
    return result


def by_version(rows: Iterable[ExportedAnswers]) -> list[VersionSheets]:
    """The rows grouped by questionnaire version, in the order the versions first appear."""
    groups: dict[int, VersionSheets] = {}
    for row in rows:
        version = row.response.round.questionnaire_version
        if version.id not in groups:
            groups[version.id] = VersionSheets(version, engine.definition_of(version))
        groups[version.id].rows.append(row)
    return list(groups.values())


def _short(text: str, limit: int = HEADING_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _heading(question: Question, part: Part, locale: str) -> str:
    heading = f"{question.id} – {_short(question.text.get(locale))}"
    if len(question.parts) > 1 and part.label:
        heading = f"{heading}: {_short(part.label.get(locale), 40)}"
    elif len(question.parts) > 1 and part is not question.parts[0]:
        heading = f"{heading}: {part.id}"  # an unlabelled further part: its id keeps columns apart
    return heading


@dataclass(frozen=True)
class _Column:
    question: Question
    part: Part


def _columns(definition: Definition) -> list[_Column]:
    return [_Column(q, p) for q in definition.questions() for p in q.parts]


def _asked(response: Response, definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """The questions this response's supplier was shown: its variant's, whose condition holds."""
    questions = engine.sections_for_agreement(definition, response.agreement)
    return {q.id for s in questions for q in s.questions if engine.is_shown(q, answers)}


def _source(row: ExportedAnswers) -> str:
    if row.submission is not None:
        return _("Submission %(number)s", number=row.submission.number)
    if not row.answers:
        return _("Nothing answered yet")
    return _("Draft, not submitted: the answers saved so far")


def _submitted_on(row: ExportedAnswers) -> date | None:
    when = row.submission.submitted_at if row.submission is not None else None
    return clock.day_of(when) if when else None


def _key(response: Response) -> tuple[Cell, ...]:
    return (response.supplier.name, response.supplier.identifier, response.agreement.name,
            response.round.name)


def _key_headers() -> tuple[str, ...]:
    return (_("Supplier"), _("Organisation number"), _("Agreement"), _("Round"))


def _version_label(version: QuestionnaireVersion, locale: str) -> str:
    title = version.title_en if locale == "en" else version.title_nb
    return f"{title} ({version.version})"


def version_tables(group: VersionSheets, locale: str, suffix: str = "") -> list[Table]:
    """The answers sheet and one sheet per table part, for the responses of one version."""
    definition = group.definition
    columns = _columns(definition)
    tables = [c for c in columns if c.part.type == "table"]
    table_rows: dict[str, list[tuple[Cell, ...]]] = {c.question.id + "." + c.part.id: [] for c in tables}
    rows = []
    for row in group.rows:
        response = row.response
        asked = _asked(response, definition, row.answers)
        cells: list[Cell] = [*_key(response), response.agreement.reference,
                             response_status_label(response.status), _submitted_on(row), _source(row)]
        for column in columns:
            question, part = column.question, column.part
            if question.id not in asked:
                cells.append(None)
                continue
            ctx = Context(locale=locale, answers=row.answers, files=row.files, question_id=question.id)
            raw = answer_of(row.answers, question.id).get(part.id)
            if part.type != "table":
                cells.append(type_of(part).cell(raw, part, ctx))
                continue
            content = TABLE.content_rows(raw, part, ctx)
            cells.append(len(content) if raw is not None else None)  # 0 rows, or not answered
            shown = [c for c in part.columns if c.type != "file"]
            for number, table_row in enumerate(content, 1):
                table_rows[question.id + "." + part.id].append((
                    *_key(response), number,
                    *(type_of(c).cell(table_row.get(c.id), c, ctx) for c in shown),
                ))
        rows.append(tuple(cells))
    headings = tuple(
        _("%(heading)s: number of rows (each row on the table's own sheet)", heading=_heading(c.question, c.part, locale))
        if c.part.type == "table" else _heading(c.question, c.part, locale)
        for c in columns
    )
    answers = Table(
        key=f"answers{suffix}",
        title=_("Answers: %(version)s", version=_version_label(group.version, locale)),
        headers=(*_key_headers(), _("Reference"), _("Status"), _("Submitted"),
                 _("Answers from"), *headings),
        rows=tuple(rows),
        widths=(*KEY_WIDTHS, 14, 18, 12, 24, *(30 for _column in columns)),
    )
    result = [answers]
    for column in tables:
        part, question = column.part, column.question
        shown = [c for c in part.columns if c.type != "file"]
        row_label = part.row_label.get(locale) if part.row_label else _("Row")
        result.append(Table(
            key=f"{question.id}.{part.id}{suffix}",
            title=_heading(question, part, locale),
            headers=(*_key_headers(), _("%(row)s (number)", row=row_label[:1].upper() + row_label[1:]),
                     *(c.label.get(locale) if c.label else c.id for c in shown)),
            rows=tuple(table_rows[question.id + "." + part.id]),
            widths=(*KEY_WIDTHS, 10, *(24 for _column in shown)),
        ))
    return result


def sheet_names(groups: Sequence[VersionSheets], locale: str) -> dict[str, str]:
    """Tab names by table key: "Svar" and "C5 Produksjonssted", with the version's number
    after them when the workbook holds more than one version."""
    names = {"about": _("About the export")}
    several = len(groups) > 1
    for index, group in enumerate(groups):
        suffix = f"-{index}" if several else ""
        tail = f" {group.version.version}" if several else ""
        names[f"answers{suffix}"] = _("Answers") + tail
        for question in group.definition.questions():
            for part in question.parts:
                if part.type == "table":
                    label = part.row_label or part.label
                    name = f"{question.id} {label.get(locale) if label else part.id}"
                    names[f"{question.id}.{part.id}{suffix}"] = name[:31 - len(tail)] + tail
    return names


def answers_workbook(responses: Sequence[Response], locale: str, buyer_name: str,
                     subject: str, today: date) -> bytes:
    """The workbook of the responses' answers (call under the reader's locale); ``subject``
    says what was exported ("Round …", "The inbox's filter …")."""
    groups = by_version(load_answers(responses))
    several = len(groups) > 1
    tables = [
        table
        for index, group in enumerate(groups)
        for table in version_tables(group, locale, f"-{index}" if several else "")
    ]
    about: list[tuple[str, Cell]] = [
        (_("Export"), _("Answers of the responses")),
        (_("Organisation"), buyer_name),
        (_("Responses"), subject),
        (_("Number of responses"), len(responses)),
        (_("Exported"), today),
        (_("Language"), locale),
        (_("Answers"), _("Each response's latest submission; a response not yet submitted shows "
                         "the answers saved so far, and says so in the column “Answers from”.")),
        (_("Confidential"), _("For internal use by the buyer's staff: the workbook may name "
                              "production sites and sub-suppliers, which are never published.")),
    ]
    if several:
        about.append((_("Questionnaire versions"),
                      _("The responses answer %(count)s questionnaire versions: each has its own "
                        "sheets, since a question may differ between versions.", count=len(groups))))
    return to_xlsx(tables, about, sheet_names(groups, locale))


def too_many(count: int) -> str | None:
    """Why ``count`` responses are too many for one workbook, or None when they are not."""
    limit = int(current_app.config["ANSWERS_EXPORT_MAX_RESPONSES"])
    if count <= limit:
        return None
    # More than ``limit`` (at least one): always several responses, so no plural forms needed.
    return _("The answers of %(num)s responses are too many for one download: at most "
             "%(limit)s can be downloaded at a time. Narrow the filter, for example to one "
             "round or one agreement, and download again.",
             num=format_decimal(count), limit=format_decimal(limit))


def download(body: bytes, filename: str) -> HttpResponse:
    reply = HttpResponse(body, content_type=XLSX_MIME)
    reply.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    reply.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return reply
