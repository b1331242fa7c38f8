"""Filling in and submitting a response: every change is kept and audited.

Drafts keep the raw input exactly as typed. A save based on an older revision
of an answer that someone else has changed since is a conflict: nothing is
overwritten, and both values are returned for the user to choose. That holds also
when two saves arrive at the same moment: the database settles the race (see
``save_answers``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, storage
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    CompanyAnswerSet,
    EvidenceFile,
    FollowUpRound,
    PendingInput,
    Response,
    ResponseStatus,
    Submission,
    User,
    utcnow,
)
from portal.pdf import render_pdf
from portal.questionnaires import engine, mapping
from portal.questionnaires.definition import Definition, Question, Section
from portal.questionnaires.types import type_of
from portal.uploads import StoredFile


class ResponseStateError(Exception):
    """The response is not in a state that allows this action."""


@dataclass
class Conflict:
    question_id: str
    mine: dict[str, Any]
    theirs: dict[str, Any]
    revision: int
    updated_by: str
    updated_at: datetime | None


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


#: What answers and files belong to: a response, or a supplier's company answers for a year.
AnswerHolder = Response | CompanyAnswerSet


def _state_of(holder: AnswerHolder) -> str:
    return holder.status if isinstance(holder, Response) else "company"


def owns(holder: AnswerHolder, evidence: EvidenceFile) -> bool:
    if isinstance(holder, Response):
        return evidence.response_id == holder.id
    return evidence.company_set_id == holder.id


def _blank(value: Mapping[str, Any]) -> bool:
    return all(v in (None, "", [], {}) for v in value.values())


def answers_of(response: AnswerHolder) -> dict[str, dict[str, Any]]:
    # Any stored shape is read (a hand-written value may not be a mapping); see types.answer_of.
    return {a.question_id: dict(a.value) if isinstance(a.value, dict) else {} for a in response.answers}


def files_of(response: AnswerHolder) -> dict[tuple[str, str], list[EvidenceFile]]:
    grouped: dict[tuple[str, str], list[EvidenceFile]] = defaultdict(list)
    for f in response.files:
        if f.removed_at is None:
            grouped[(f.question_id, f.part_id)].append(f)
    return dict(grouped)


def load_response(response_id: int, *, files: bool = True, submissions: bool = True) -> Response | None:
    """A response with everything the fill-in and review pages need, in a fixed number of queries.

    The round (with its questionnaire), the agreement and the supplier come in the response's
    own statement; the collections in one statement each. A page that does not show the
    files or the submissions leaves them out (``files=False``, ``submissions=False``): they
    then load if something touches them (a save that removes or uploads a file).
    """
    collections = [selectinload(Response.answers)]
    if files:
        collections.append(selectinload(Response.files))
    if submissions:
        collections.append(selectinload(Response.submissions))
    return db.session.scalar(
        select(Response)
        .where(Response.id == response_id)
        .options(
            joinedload(Response.round).joinedload(FollowUpRound.questionnaire_version),
            joinedload(Response.agreement),
            joinedload(Response.supplier),
            *collections,
        )
    )


def _mark_started(response: AnswerHolder) -> None:
    if isinstance(response, Response) and response.status == ResponseStatus.NOT_STARTED:
        response.status = ResponseStatus.IN_PROGRESS.value
        response.started_at = utcnow()


def save_answers(
    response: AnswerHolder,
    values: Mapping[str, dict[str, Any]],
    base_revisions: Mapping[str, int | None],
    confirmed: set[str],
    *,
    actor: User,
) -> SaveResult:
    """Store exactly what was typed for the given questions; report conflicts instead of overwriting.

    ``base_revisions`` holds, per question on the page the user saw, the revision of the
    answer shown, or None when there was no answer yet; a question missing from it is not
    checked. The check reads what was committed when the request began, so two saves at
    the same moment both pass it. The database settles that race: an answer's UPDATE only
    matches the revision it was read with (``version_id_col``) and an answer is unique per
    question, so the later writer fails inside a savepoint, reads the answers again and
    reports the conflict.
    """
    try:
        with db.session.begin_nested():
            return _save_answers(response, values, base_revisions, confirmed, actor=actor)
    except (StaleDataError, IntegrityError):
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Answer):
                db.session.expire(obj)
        db.session.expire(response, ["answers"])
        with db.session.begin_nested():
            return _save_answers(response, values, base_revisions, confirmed, actor=actor)


def _save_answers(
    response: AnswerHolder,
    values: Mapping[str, dict[str, Any]],
    base_revisions: Mapping[str, int | None],
    confirmed: set[str],
    *,
    actor: User,
) -> SaveResult:
    if not response.can_edit(actor):
        raise ResponseStateError(_state_of(response))
    existing = {a.question_id: a for a in response.answers}
    result = SaveResult()
    now = utcnow()
    for question_id, value in values.items():
        if not response.can_edit_question(actor, question_id):
            continue
        answer = existing.get(question_id)
        if answer is None:
            if _blank(value):
                continue
            answer = Answer(question_id=question_id, value=value, revision=1, updated_at=now, updated_by=actor)
            response.answers.append(answer)
            audit.record("answer.changed", response, actor=actor, supplier_id=response.supplier_id,
                         field=question_id, before=None, after=value)
            result.saved.append(question_id)
            continue
        # A revision of None: the user saw no answer, and a colleague has written one since.
        stale = question_id in base_revisions and (base_revisions[question_id] or 0) != answer.revision
        if value != answer.value and stale:
            result.conflicts.append(Conflict(
                question_id=question_id, mine=value, theirs=dict(answer.value or {}),
                revision=answer.revision,
                updated_by=answer.updated_by.display_name if answer.updated_by else "",
                updated_at=answer.updated_at,
            ))
            continue
        if value != answer.value:
            before, after = audit.changed_parts(answer.value, value)
            audit.record("answer.changed", response, actor=actor, supplier_id=response.supplier_id,
                         field=question_id, before=before, after=after)
            answer.value = value
            answer.revision += 1
            answer.is_copied = False
            answer.copied_from_submission_id = None  # no longer the earlier answer
            answer.updated_at = now
            answer.updated_by = actor
            result.saved.append(question_id)
        elif answer.is_copied and question_id in confirmed:
            answer.is_copied = False
            answer.revision += 1
            answer.updated_at = now
            answer.updated_by = actor
            audit.record("answer.confirmed", response, actor=actor, supplier_id=response.supplier_id,
                         field=question_id)
            result.saved.append(question_id)
    if result.saved:
        _mark_started(response)
    return result


def add_evidence(
    response: AnswerHolder, question_id: str, part_id: str, stored: StoredFile, tag: str, *, actor: User
) -> EvidenceFile:
    if not response.can_edit_question(actor, question_id):
        raise ResponseStateError(_state_of(response))
    evidence = EvidenceFile(
        question_id=question_id, part_id=part_id, original_name=stored.original_name,
        stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
        mimetype=stored.mimetype, tag=tag[:200], uploaded_by=actor, uploaded_at=utcnow(),
    )
    response.files.append(evidence)
    _mark_started(response)
    db.session.flush()
    audit.record("file.uploaded", response, actor=actor, supplier_id=response.supplier_id,
                 field=question_id, after={"file_id": evidence.id, "name": stored.original_name,
                                           "sha256": stored.sha256, "size": stored.size})
    return evidence


def remove_evidence(response: AnswerHolder, evidence: EvidenceFile, *, actor: User) -> None:
    """Detach a file from a draft. The stored file stays: earlier submissions may list it."""
    if not owns(response, evidence) or not response.can_edit_question(actor, evidence.question_id):
        raise ResponseStateError(_state_of(response))
    evidence.removed_at = utcnow()
    audit.record("file.removed", response, actor=actor, supplier_id=response.supplier_id,
                 field=evidence.question_id, before={"file_id": evidence.id, "name": evidence.original_name})


@dataclass
class CopySource:
    """An earlier submission the supplier may copy from, and how many of its answers fit here."""

    submission: Submission
    fits: int
    #: Of those, how many belong to a question with another id here (another version renumbered it).
    renumbered: int = 0

    @property
    def response(self) -> Response:
        return self.submission.response


@dataclass
class CopyItem:
    section: Section
    question: Question
    value: dict[str, Any]
    files: list[dict[str, Any]]
    #: The id of the question in the earlier submission (another version may have renumbered it).
    source_id: str = ""

    @property
    def renumbered(self) -> bool:
        return bool(self.source_id) and self.source_id != self.question.id


@dataclass
class CopyPlan:
    """What copying ``source`` into a response would do: fill, keep, and never copy."""

    source: Submission
    fill: list[CopyItem] = field(default_factory=list)
    kept: list[CopyItem] = field(default_factory=list)  # answered here already: left as they are
    declarations: list[Question] = field(default_factory=list)  # never copied


def version_mapping(source: Submission, response: AnswerHolder) -> mapping.VersionMapping:
    """How the questions of ``source``'s questionnaire version map onto the response's (or the
    company answers')."""
    target = (response.round.questionnaire_version if isinstance(response, Response)
              else response.questionnaire_version)
    return mapping.map_versions(engine.definition_of(source.response.round.questionnaire_version),
                                engine.definition_of(target))


def _fitting(links: mapping.VersionMapping, source: Submission, question: Question) -> dict[str, Any]:
    """The parts of the earlier answer that fit this question (another version may differ); {} if none."""
    return links.value(question.id, source.answers if isinstance(source.answers, dict) else {})


def _source_files(links: mapping.VersionMapping, source: Submission, question: Question) -> list[dict[str, Any]]:
    return [f for f in (source.files or []) if isinstance(f, dict) and isinstance(f.get("id"), int)
            and links.file_part(question.id, str(f.get("question_id")), str(f.get("part_id"))) is not None]


def copy_sources(response: AnswerHolder, sections: Sequence[Section], *, limit: int | None = None) -> list[CopySource]:
    """Every submission of the response's supplier (any buyer, round and agreement, but not this
    response's own), newest first: the first is the one to suggest. ``limit``: only the newest.
    Answers fit through the versions' mapping (portal/questionnaires/mapping.py)."""
    own = response.id if isinstance(response, Response) else None
    submissions = db.session.scalars(
        select(Submission)
        .join(Response, Submission.response_id == Response.id)
        .where(Response.supplier_id == response.supplier_id, Response.id != (own or 0))
        .options(
            joinedload(Submission.response).joinedload(Response.round)
            .joinedload(FollowUpRound.questionnaire_version),
            joinedload(Submission.response).joinedload(Response.agreement).joinedload(Agreement.buyer),
        )
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(limit)
    ).unique().all()
    questions = [q for s in sections for q in s.questions
                 if not q.is_declaration and not (isinstance(response, Response) and q.is_company)]
    sources = []
    for submission in submissions:
        links = version_mapping(submission, response)
        fitting = [q for q in questions
                   if _fitting(links, submission, q) or _source_files(links, submission, q)]
        sources.append(CopySource(submission, len(fitting),
                                  sum(1 for q in fitting if links.source_id(q.id) != q.id)))
    return sources


def copy_source(response: AnswerHolder, submission_id: int | None) -> Submission | None:
    """One of the supplier's own earlier submissions, or None (another supplier's, this response's
    own, or none at all)."""
    if submission_id is None:
        return None
    submission = db.session.get(Submission, submission_id)
    if submission is None or (isinstance(response, Response) and submission.response_id == response.id):
        return None
    if submission.response.supplier_id != response.supplier_id:
        return None
    return submission


def plan_copy(response: AnswerHolder, source: Submission, sections: Sequence[Section], *, actor: User) -> CopyPlan:
    """Which questions copying ``source`` fills: those with a fitting earlier answer that are not
    answered here yet (answers and files already given are kept); a declaration never."""
    plan = CopyPlan(source)
    links = version_mapping(source, response)
    answered = {a.question_id for a in response.answers if not _blank(a.value or {})}
    answered |= {question_id for (question_id, _part), files in files_of(response).items() if files}
    for section in sections:
        for question in section.questions:
            if question.is_declaration:
                # A declaration speaks for the person who gives it, on the day they submit.
                plan.declarations.append(question)
                continue
            if isinstance(response, Response) and question.is_company:
                continue  # answered once in the company answers, copied there
            value = _fitting(links, source, question)
            files = _source_files(links, source, question)
            if not value and not files:
                continue
            item = CopyItem(section, question, value, files, links.source_id(question.id) or question.id)
            if question.id in answered or not response.can_edit_question(actor, question.id):
                plan.kept.append(item)
            else:
                plan.fill.append(item)
    return plan


def copy_answers(response: AnswerHolder, plan: CopyPlan, *, actor: User) -> int:
    """Fill the plan's questions from its earlier submission; each copy is marked, with its source,
    until it is confirmed or changed."""
    if not response.can_edit(actor):
        raise ResponseStateError(_state_of(response))
    source = plan.source
    now = utcnow()
    existing = {a.question_id: a for a in response.answers}
    for item in plan.fill:
        answer = existing.get(item.question.id)
        if answer is None:
            response.answers.append(Answer(question_id=item.question.id, value=item.value, is_copied=True,
                                           copied_from_submission=source, updated_at=now, updated_by=actor))
        else:
            answer.value, answer.is_copied, answer.copied_from_submission = item.value, True, source
            answer.revision += 1
            answer.updated_at, answer.updated_by = now, actor
    # A file goes to the question it belongs to here (another version may have renumbered it).
    old_files = {f["id"]: item.question.id for item in plan.fill for f in item.files}
    if old_files:
        originals = db.session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(old_files))).all()
        for original in originals:
            response.files.append(EvidenceFile(
                question_id=old_files[original.id], part_id=original.part_id,
                original_name=original.original_name, stored_name=original.stored_name,
                size=original.size, sha256=original.sha256, mimetype=original.mimetype,
                tag=original.tag, uploaded_by=actor, uploaded_at=now, copied_from_id=original.id,
            ))
    if plan.fill:
        _mark_started(response)
        audit.record("answers.copied", response, actor=actor, supplier_id=response.supplier_id,
                     after={"from_response": source.response_id, "submission": source.number,
                            "submission_id": source.id, "questions": len(plan.fill),
                            "question_ids": [item.question.id for item in plan.fill],
                            "renumbered": {item.question.id: item.source_id for item in plan.fill
                                           if item.renumbered},
                            "kept": [item.question.id for item in plan.kept]})
    return len(plan.fill)


def copied_sources(response: AnswerHolder) -> dict[str, Submission]:
    """The earlier submission each still unconfirmed copy came from, by question, where the viewer
    may read it (a buyer's staff do not see another buyer's submissions)."""
    ids = {a.copied_from_submission_id for a in response.answers if a.is_copied and a.copied_from_submission_id}
    if not ids:
        return {}
    found = {s.id: s for s in db.session.scalars(
        select(Submission).where(Submission.id.in_(ids))
        .options(joinedload(Submission.response).joinedload(Response.round),
                 joinedload(Submission.response).joinedload(Response.agreement).joinedload(Agreement.buyer))
    ).unique()}
    return {a.question_id: found[a.copied_from_submission_id] for a in response.answers
            if a.is_copied and a.copied_from_submission_id in found}


def confirm_section_copies(
    response: AnswerHolder,
    section: Section,
    values: Mapping[str, dict[str, Any]],
    base_revisions: Mapping[str, int | None],
    confirmed: set[str],
    *,
    actor: User,
) -> SaveResult:
    """Save the section as typed and confirm every copied answer on it that was not changed:
    "everything in this part is still correct"."""
    copied = {a.question_id: dict(a.value or {}) for a in response.answers
              if a.is_copied and a.question_id in values}
    result = save_answers(response, values, base_revisions, confirmed | set(copied), actor=actor)
    still = {a.question_id for a in response.answers if a.is_copied}
    done = sorted(qid for qid, value in copied.items()
                  if qid in result.saved and qid not in still and values.get(qid) == value)
    if done:
        audit.record("answers.section_confirmed", response, actor=actor, supplier_id=response.supplier_id,
                     field=section.id, after={"questions": done})
    return result


@dataclass(frozen=True)
class ImportedFile:
    """A file of an answer package, checked as an upload is (portal/uploads.check_content)."""

    question_id: str
    part_id: str
    name: str
    data: bytes
    mimetype: str
    tag: str = ""


@dataclass
class ImportResult:
    imported: list[str] = field(default_factory=list)  # questions that received answers or files
    kept: list[str] = field(default_factory=list)  # already answered here: left as they were
    not_open: list[str] = field(default_factory=list)  # declarations, and questions not open for editing
    files: int = 0


def import_answers(
    response: Response,
    values: Mapping[str, dict[str, Any]],
    files: Sequence[ImportedFile],
    *,
    actor: User,
    source: Mapping[str, Any],
) -> ImportResult:
    """Fill unanswered questions from a checked answer package (portal/responses/package.py).

    The one place imported answers are written. Each lands marked "copied until confirmed",
    as ``copy_answers`` does; a question already answered here (an answer typed,
    or a file attached) is left exactly as it is, and so are its files; a declaration is
    never imported. Files are stored through portal/storage.py. One audit record per place
    written says what came from where (``source``: the package's questionnaire and submission).

    In a version with company scope (issue 14) the agreement questions land in the response and
    the company questions in the supplier's company answers of the year, which the draft makes
    editable; a question already answered there is kept, as here.
    """
    from portal.company.services import set_for_response

    if not response.can_edit(actor):
        raise ResponseStateError(response.status)
    company_ids = company_question_ids(response)
    declarations = declaration_ids(response)
    result = _import_into(response, values, files, actor=actor, source=source,
                          refused=declarations | company_ids)
    if not company_ids:
        return result
    wanted = {*values, *(f.question_id for f in files)} & company_ids
    if not wanted:
        return result
    result.not_open = [q for q in result.not_open if q not in company_ids]
    company = set_for_response(response, create=True)
    if company is None or not company.can_edit(actor):
        result.not_open += sorted(wanted)
        return result
    into_company = _import_into(
        company, {q: v for q, v in values.items() if q in company_ids},
        [f for f in files if f.question_id in company_ids], actor=actor, source=source,
        refused=declarations)
    result.imported += into_company.imported
    result.kept += into_company.kept
    result.not_open += into_company.not_open
    result.files += into_company.files
    return result


def _import_into(holder: AnswerHolder, values: Mapping[str, dict[str, Any]], files: Sequence[ImportedFile],
                 *, actor: User, source: Mapping[str, Any], refused: set[str]) -> ImportResult:
    """Write the package's answers to ``holder`` (a response or company answers), except the
    ``refused`` questions, which are listed as not open."""
    existing = {a.question_id: a for a in holder.answers}
    with_files = {f.question_id for f in holder.files if f.removed_at is None}
    result = ImportResult()
    now = utcnow()
    wanted = list(dict.fromkeys([*values, *(f.question_id for f in files)]))
    for question_id in wanted:
        answer = existing.get(question_id)
        if not holder.can_edit_question(actor, question_id) or question_id in refused:
            result.not_open.append(question_id)
        elif (answer is not None and not _blank(answer.value or {})) or question_id in with_files:
            result.kept.append(question_id)
        else:
            result.imported.append(question_id)
    imported = set(result.imported)
    for question_id in result.imported:
        # A question given only files gets an empty answer, so that it, too, waits for a confirmation.
        value = dict(values.get(question_id) or {})
        answer = existing.get(question_id)
        if answer is None:
            holder.answers.append(Answer(question_id=question_id, value=value, revision=1, is_copied=True,
                                         updated_at=now, updated_by=actor))
        else:
            answer.value, answer.is_copied = value, True
            answer.revision += 1
            answer.updated_at, answer.updated_by = now, actor
    for imported_file in files:
        if imported_file.question_id not in imported:
            continue
        record = storage.save(imported_file.data, kind="uploads", content_type=imported_file.mimetype)
        holder.files.append(EvidenceFile(
            question_id=imported_file.question_id, part_id=imported_file.part_id,
            original_name=imported_file.name, stored_name=record.key, stored=record,
            size=len(imported_file.data), sha256=hashlib.sha256(imported_file.data).hexdigest(),
            mimetype=imported_file.mimetype,
            tag=imported_file.tag[:200], uploaded_by=actor, uploaded_at=now,
        ))
        result.files += 1
    if result.imported:
        _mark_started(holder)
    if result.imported or isinstance(holder, Response):
        audit.record("answers.imported", holder, actor=actor, supplier_id=holder.supplier_id,
                     after={"source": dict(source), "questions": len(result.imported), "files": result.files,
                            "kept": result.kept, "not_open": result.not_open})
    return result


def declaration_ids(response: Response) -> set[str]:
    """The declarations of the response's questionnaire: given anew at each submission, never imported."""
    definition = engine.definition_of(response.round.questionnaire_version)
    return {q.id for q in definition.questions() if q.is_declaration}


def company_question_ids(response: Response) -> set[str]:
    """The questions of the response's questionnaire answered in the company answers (issue 14)."""
    definition = engine.definition_of(response.round.questionnaire_version)
    return {q.id for q in definition.questions() if q.is_company}


def snapshot_files(response: Response) -> list[dict[str, Any]]:
    return _file_entries([f for f in response.files if f.removed_at is None])


def _file_entries(files: Sequence[EvidenceFile]) -> list[dict[str, Any]]:
    """Files as a submission's snapshot lists them (by the id of a row the response owns)."""
    return [
        {"id": f.id, "question_id": f.question_id, "part_id": f.part_id, "name": f.original_name,
         "size": f.size, "sha256": f.sha256, "tag": f.tag,
         "uploaded_at": f.uploaded_at.isoformat() if f.uploaded_at else None,
         "uploaded_by": f.uploaded_by.display_name if f.uploaded_by else ""}
        for f in files
    ]


def declaration_questions(sections: Sequence[Section]) -> list[Question]:
    return [q for s in sections for q in s.questions if q.is_declaration]


def declaration_as_given(question: Question, value: Mapping[str, Any], *, ticked: bool = True,
                         day: date | None = None) -> dict[str, Any]:
    """A declaration's value with the date the server gives it (none before submission).

    The date is never typed: it is the day of the submission. ``ticked=False`` drops the
    tick, for a declaration kept as a draft: it is given only with a submission.
    """
    result = dict(value)
    for part in question.parts:
        if part.id in result:
            result[part.id] = type_of(part).dated(result[part.id], day, ticked=ticked)
    return result


def unconfirmed_copies(
    response: Response, sections: Sequence[Section], *, actor: User
) -> list[tuple[Section, Question]]:
    """Shown copied answers that were neither confirmed nor changed: they block submission."""
    copied = {a.question_id for a in response.answers if a.is_copied}
    if not copied:
        return []
    answers = answers_of(response)
    return [(s, q) for s in sections for q in s.questions
            if q.id in copied and engine.is_shown(q, answers) and response.can_edit_question(actor, q.id)]


def is_declared(question: Question, value: Mapping[str, Any]) -> bool:
    """Whether a declaration is ticked and names who gives it, with their title."""
    return all(type_of(part).is_given(value.get(part.id)) for part in question.parts if type_of(part).signs)


def _write_answer(response: Response, question_id: str, value: dict[str, Any], *, actor: User) -> None:
    """Store a declaration (also when other questions are locked after a return)."""
    answer = next((a for a in response.answers if a.question_id == question_id), None)
    before = answer.value if answer else None
    if answer is not None and answer.value == value and not answer.is_copied:
        return
    if answer is None:
        answer = Answer(question_id=question_id, value=value, revision=1, updated_at=utcnow(), updated_by=actor)
        response.answers.append(answer)
    else:
        answer.value, answer.is_copied = value, False
        answer.revision += 1
        answer.updated_at, answer.updated_by = utcnow(), actor
    audit.record("answer.changed", response, actor=actor, supplier_id=response.supplier_id,
                 field=question_id, before=before, after=value)


def keep_declaration(response: Response, sections: Sequence[Section], given: Mapping[str, Mapping[str, Any]],
                     *, actor: User) -> None:
    """After a refused submission, keep who was named as declaring; the tick is given only with a submission."""
    if not response.can_submit(actor):
        raise ResponseStateError(response.status)
    for question in declaration_questions(sections):
        value = declaration_as_given(question, given.get(question.id) or {}, ticked=False)
        existing = next((a for a in response.answers if a.question_id == question.id), None)
        if existing is not None or not _blank(value):
            _write_answer(response, question.id, value, actor=actor)


def submit_response(
    response: Response,
    sections: Sequence[Section],
    *,
    actor: User,
    locale: str,
    declaration: Mapping[str, Mapping[str, Any]],
    today: date,
) -> Submission:
    """Freeze an immutable snapshot of the shown answers and files; the response becomes read-only.

    The declaration is the one given with this request, dated today by the server. Copied
    answers that nobody confirmed or changed block the submission and keep their mark.
    """
    from portal.company import services as company_services

    if not response.can_submit(actor):
        raise ResponseStateError(response.status)
    # A version with company questions: those are read from (and frozen out of) the company answers.
    company = company_services.set_for_response(response)
    company_ids = company_services.company_ids(sections)
    current = company_services.merged_answers(response, company, sections)
    declarations = [q for q in declaration_questions(sections) if engine.is_shown(q, current)]
    given = {q.id: declaration_as_given(q, declaration.get(q.id) or {}, day=today) for q in declarations}
    if not all(is_declared(q, given[q.id]) for q in declarations):
        raise ResponseStateError("declaration not given")
    if unconfirmed_copies(response, sections, actor=actor) or company_services.unconfirmed_company_copies(
            company, sections, current, actor=actor):
        raise ResponseStateError("copied answers not confirmed")
    for question_id, value in given.items():
        _write_answer(response, question_id, value, actor=actor)
    shown_ids = {q.id for s in sections for q in s.questions}
    answers = {a.question_id: a.value for a in response.answers
               if a.question_id in shown_ids and a.question_id not in company_ids}
    files = [f for f in snapshot_files(response) if f["question_id"] not in company_ids]
    if company is not None:
        answers.update({a.question_id: a.value for a in company.answers if a.question_id in shown_ids & company_ids})
        files += _file_entries(company_services.freeze_company_files(response, company, shown_ids & company_ids))
    submission = Submission(
        number=len(response.submissions) + 1, submitted_at=utcnow(), submitted_by=actor,
        answers=answers, files=files, locale=locale,
    )
    response.submissions.append(submission)
    before = response.status
    response.status = (ResponseStatus.RESUBMITTED if before == ResponseStatus.RETURNED
                       else ResponseStatus.SUBMITTED).value
    response.submitted_at = submission.submitted_at
    response.submitted_by = actor
    response.reopened_questions = []
    db.session.flush()
    audit.record("response.submitted", response, actor=actor, supplier_id=response.supplier_id,
                 field="status", before=before, after=response.status)
    return submission


def submit_with_receipt(response: Response, sections: Sequence[Section], *, actor: User,
                        declaration: Mapping[str, Mapping[str, Any]], today: date) -> Submission:
    """The whole submit as one operation in one transaction: the submission, the review's
    bookkeeping, the reviewer's e-mail queued, and a job enqueued that makes the receipt
    PDF and e-mails it, all after the commit (neither the PDF nor the mail server is
    waited for)."""
    from portal import jobs
    from portal.responses.jobs import make_receipt
    from portal.review import notify as review_notify
    from portal.review import services as review_services

    submission = submit_response(response, sections, actor=actor, locale=actor.locale,
                                 declaration=declaration, today=today)
    review_services.record_submission(response, submission, actor=actor, today=today)
    review_notify.response_submitted(response, submission)
    db.session.flush()
    jobs.enqueue(make_receipt, submission_id=submission.id)
    return submission


def keep_pending_input(user: User, path: str, form: dict[str, list[str]]) -> None:
    """Keep what was posted when the session had expired, so it can be restored after sign-in."""
    for existing in db.session.scalars(select(PendingInput).where(PendingInput.user_id == user.id,
                                                                  PendingInput.path == path)):
        db.session.delete(existing)
    db.session.add(PendingInput(user_id=user.id, path=path,
                                form={k: v for k, v in form.items() if k != "csrf_token"}))


def pending_input(user: User, path: str) -> PendingInput | None:
    return db.session.scalar(
        select(PendingInput).where(PendingInput.user_id == user.id, PendingInput.path == path)
        .order_by(PendingInput.created_at.desc()).limit(1)
    )


def discard_pending_input(user: User, path: str) -> None:
    db.session.execute(delete(PendingInput).where(PendingInput.user_id == user.id, PendingInput.path == path))


def store_receipt(response: Response, definition: Definition, sections: Sequence[Section],
                  submission: Submission) -> None:
    """Render the receipt once, in the submitter's language, and keep it with its hash."""
    pdf = render_pdf("pdf/receipt.html", submission.locale, response=response, definition=definition,
                     sections=sections, submission=submission, answers=submission.answers,
                     files=_submitted_files(submission), engine=engine)
    stored = storage.save(pdf, kind="receipts", content_type="application/pdf")
    submission.receipt_name = stored.key
    submission.receipt_sha256 = stored.sha256


def _submitted_files(submission: Submission) -> dict[tuple[str, str], list[Any]]:
    """The files as the submission lists them (company files included), as the review reads them."""
    from portal.review.services import snapshot_files as listed_files

    return listed_files(submission)
