"""Filling in and submitting a response: every change is kept and audited.

Drafts keep the raw input exactly as typed. A save based on an older revision
of an answer that someone else has changed since is a conflict: nothing is
overwritten, and both values are returned for the user to choose. That holds also
when two saves arrive at the same moment: the database settles the race (see
``save_answers``).
"""

from __future__ import annotations

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
    Answer,
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
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Question, Section
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


def _blank(value: Mapping[str, Any]) -> bool:
    return all(v in (None, "", [], {}) for v in value.values())


def answers_of(response: Response) -> dict[str, dict[str, Any]]:
    # Any stored shape is read (a hand-written value may not be a mapping); see types.answer_of.
    return {a.question_id: dict(a.value) if isinstance(a.value, dict) else {} for a in response.answers}


def files_of(response: Response) -> dict[tuple[str, str], list[EvidenceFile]]:
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


def _mark_started(response: Response) -> None:
    if response.status == ResponseStatus.NOT_STARTED:
        response.status = ResponseStatus.IN_PROGRESS.value
        response.started_at = utcnow()


def save_answers(
    response: Response,
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
    response: Response,
    values: Mapping[str, dict[str, Any]],
    base_revisions: Mapping[str, int | None],
    confirmed: set[str],
    *,
    actor: User,
) -> SaveResult:
    if not response.can_edit(actor):
        raise ResponseStateError(response.status)
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
    response: Response, question_id: str, part_id: str, stored: StoredFile, tag: str, *, actor: User
) -> EvidenceFile:
    if not response.can_edit_question(actor, question_id):
        raise ResponseStateError(response.status)
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


def remove_evidence(response: Response, evidence: EvidenceFile, *, actor: User) -> None:
    """Detach a file from a draft. The stored file stays: earlier submissions may list it."""
    if evidence.response_id != response.id or not response.can_edit_question(actor, evidence.question_id):
        raise ResponseStateError(response.status)
    evidence.removed_at = utcnow()
    audit.record("file.removed", response, actor=actor, supplier_id=response.supplier_id,
                 field=evidence.question_id, before={"file_id": evidence.id, "name": evidence.original_name})


def previous_submission(response: Response) -> Submission | None:
    """The supplier's latest submission in an earlier round: same agreement first, else any."""
    base = (
        select(Submission)
        .join(Response, Submission.response_id == Response.id)
        .where(Response.supplier_id == response.supplier_id, Response.id != response.id,
               Response.round_id != response.round_id)
        .order_by(Submission.submitted_at.desc())
        .limit(1)
    )
    same = db.session.scalar(base.where(Response.agreement_id == response.agreement_id))
    return same or db.session.scalar(base)


def copy_previous_answers(response: Response, questions: Sequence[Question], *, actor: User) -> int:
    """Fill unanswered questions from last year's submission; each copy is marked until confirmed."""
    if not response.can_edit(actor):
        raise ResponseStateError(response.status)
    source = previous_submission(response)
    if source is None:
        return 0
    answered = {a.question_id for a in response.answers if not _blank(a.value or {})}
    # A declaration speaks for the person who gives it, on the day they submit: never copied.
    wanted = {q.id for q in questions if not q.is_declaration} - answered
    now = utcnow()
    copied = 0
    for question_id, value in source.answers.items():
        if question_id not in wanted or not isinstance(value, dict) or _blank(value):
            continue
        existing = next((a for a in response.answers if a.question_id == question_id), None)
        if existing is None:
            response.answers.append(Answer(question_id=question_id, value=value, is_copied=True,
                                           updated_at=now, updated_by=actor))
        else:
            existing.value, existing.is_copied = value, True
            existing.revision += 1
        copied += 1
    old_files = {f["id"]: f for f in source.files if f.get("question_id") in wanted}
    if old_files:
        originals = db.session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(old_files))).all()
        for original in originals:
            response.files.append(EvidenceFile(
                question_id=original.question_id, part_id=original.part_id,
                original_name=original.original_name, stored_name=original.stored_name,
                size=original.size, sha256=original.sha256, mimetype=original.mimetype,
                tag=original.tag, uploaded_by=actor, uploaded_at=now, copied_from_id=original.id,
            ))
    if copied:
        _mark_started(response)
        audit.record("answers.copied", response, actor=actor, supplier_id=response.supplier_id,
                     after={"from_response": source.response_id, "submission": source.number,
                            "questions": copied})
    return copied


def snapshot_files(response: Response) -> list[dict[str, Any]]:
    return [
        {"id": f.id, "question_id": f.question_id, "part_id": f.part_id, "name": f.original_name,
         "size": f.size, "sha256": f.sha256, "tag": f.tag,
         "uploaded_at": f.uploaded_at.isoformat() if f.uploaded_at else None,
         "uploaded_by": f.uploaded_by.display_name if f.uploaded_by else ""}
        for f in response.files if f.removed_at is None
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
        given = result.get(part.id)
        if part.type == "confirm" and isinstance(given, dict) and given:
            result[part.id] = {**given, "date": day.isoformat() if day else "",
                               "confirmed": given.get("confirmed", "") if ticked else ""}
    return result


def unconfirmed_copies(
    response: Response, sections: Sequence[Section], *, actor: User
) -> list[tuple[Section, Question]]:
    """Shown answers copied from last year that were neither confirmed nor changed: they block submission."""
    copied = {a.question_id for a in response.answers if a.is_copied}
    if not copied:
        return []
    answers = answers_of(response)
    return [(s, q) for s in sections for q in s.questions
            if q.id in copied and engine.is_shown(q, answers) and response.can_edit_question(actor, q.id)]


def is_declared(question: Question, value: Mapping[str, Any]) -> bool:
    """Whether a declaration is ticked and names who gives it, with their title."""
    for part in question.parts:
        if part.type == "confirm":
            given = value.get(part.id) or {}
            if given.get("confirmed") != "yes" or not given.get("name") or not given.get("title"):
                return False
    return True


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
    if not response.can_submit(actor):
        raise ResponseStateError(response.status)
    current = answers_of(response)
    declarations = [q for q in declaration_questions(sections) if engine.is_shown(q, current)]
    given = {q.id: declaration_as_given(q, declaration.get(q.id) or {}, day=today) for q in declarations}
    if not all(is_declared(q, given[q.id]) for q in declarations):
        raise ResponseStateError("declaration not given")
    if unconfirmed_copies(response, sections, actor=actor):
        raise ResponseStateError("copied answers not confirmed")
    for question_id, value in given.items():
        _write_answer(response, question_id, value, actor=actor)
    shown_ids = {q.id for s in sections for q in s.questions}
    answers = {a.question_id: a.value for a in response.answers if a.question_id in shown_ids}
    submission = Submission(
        number=len(response.submissions) + 1, submitted_at=utcnow(), submitted_by=actor,
        answers=answers, files=snapshot_files(response), locale=locale,
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
                     files=files_of(response), engine=engine)
    stored = storage.save(pdf, kind="receipts", content_type="application/pdf")
    submission.receipt_name = stored.key
    submission.receipt_sha256 = stored.sha256
