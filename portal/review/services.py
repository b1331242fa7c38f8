"""The review of a response: verdicts, clarification rounds, acceptance, follow-up activities.

Functions take the acting user, enforce the response's state, audit every change
with its value before and after, flush and never commit. Routes commit once and
send the e-mails in ``portal.review.notify`` afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.codes import RECORDABLE_ACTIVITY_KINDS, VERDICTS
from portal.deviations import services as deviations
from portal.extensions import db
from portal.models import (
    Agreement,
    Attachment,
    AuditEvent,
    Clarification,
    ClarificationReply,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    QuestionReview,
    Response,
    ResponseStatus,
    Submission,
    Supplier,
    User,
    agreement_supplier,
    utcnow,
)
from portal.questionnaires import engine, mapping
from portal.questionnaires.definition import Definition, Question, Section
from portal.questionnaires.types import answer_of
from portal.review import rollup
from portal.uploads import StoredFile

# Comments to the supplier are shown once the reviewer has returned or accepted the response.
COMMENTS_VISIBLE = (ResponseStatus.RETURNED.value, ResponseStatus.ACCEPTED.value)
VERDICT_FIELDS = ("verdict", "comment_to_supplier", "internal_note")
# A reply to the reviewer on one question: a few paragraphs, not a second answer.
MAX_REPLY = 2000


class ReviewError(Exception):
    """The review cannot do this now; ``reason`` says why (routes word it for the user)."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# The questionnaire as the reviewer sees it


def definition_and_sections(response: Response) -> tuple[Definition, tuple[Section, ...]]:
    definition = engine.definition_of(response.round.questionnaire_version)
    return definition, engine.sections_for_agreement(definition, response.agreement)


def question_ids(sections: Iterable[Section]) -> list[str]:
    return [question.id for section in sections for question in section.questions]


def section_facts(sections: Iterable[Section]) -> tuple[rollup.SectionFacts, ...]:
    return tuple(
        rollup.SectionFacts(section.id, tuple(
            rollup.QuestionFacts(q.id, gate=q.gate, required=q.required, scored=q.scored,
                                 conditional=q.condition is not None)
            for q in section.questions
        ))
        for section in sections
    )


@dataclass(frozen=True)
class SnapshotFile:
    """A file as a submission listed it; shown and downloaded like an evidence file."""

    id: int
    original_name: str
    size: int
    sha256: str
    tag: str


FileMap = dict[tuple[str, str], list[Any]]


def snapshot_files(submission: Submission) -> FileMap:
    grouped: FileMap = {}
    for item in submission.files or []:
        key = (str(item.get("question_id")), str(item.get("part_id")))
        grouped.setdefault(key, []).append(SnapshotFile(
            id=int(item["id"]), original_name=str(item.get("name", "")),
            size=int(item.get("size") or 0), sha256=str(item.get("sha256", "")),
            tag=str(item.get("tag") or ""),
        ))
    return grouped


@dataclass
class ReviewedAnswers:
    """What the reviewer judges: the latest submission, and the one before it.

    The one before is this response's previous submission or, for a response submitted
    once, the supplier's latest submission on the same agreement in an earlier round,
    which may answer another questionnaire version. Its answers and files are then read
    through the versions' mapping (portal/questionnaires/mapping.py), keyed by this
    version's questions: ``new`` are the questions it has no earlier question for,
    ``dropped`` the earlier version's questions this one no longer asks.
    """

    answers: dict[str, dict[str, Any]]
    files: FileMap
    submission: Submission | None
    previous_answers: dict[str, dict[str, Any]] | None = None
    previous_files: FileMap = field(default_factory=dict)
    previous: Submission | None = None
    #: The earlier round's year when the previous submission is another response's.
    previous_year: int | None = None
    #: This version's question id → the earlier version's, where they differ.
    renumbered: dict[str, str] = field(default_factory=dict)
    new: set[str] = field(default_factory=set)
    dropped: list[Question] = field(default_factory=list)

    def is_new(self, question_id: str) -> bool:
        return question_id in self.new

    def changed(self, question_id: str) -> bool:
        """Whether the answer or its files differ from the previous submission."""
        if self.previous_answers is None or self.is_new(question_id):
            return False
        if (self.answers.get(question_id) or {}) != (self.previous_answers.get(question_id) or {}):
            return True
        # Another response's files are other records: the same content is the same file.
        by_content = self.previous_year is not None
        return (_file_ids(self.files, question_id, by_content)
                != _file_ids(self.previous_files, question_id, by_content))


def _file_ids(files: FileMap, question_id: str, by_content: bool = False) -> set[int | str]:
    return {(f.sha256 or f.id) if by_content else f.id
            for (qid, _part), items in files.items() if qid == question_id for f in items}


def _answers(stored: Any) -> dict[str, dict[str, Any]]:
    """A submission's answers, whatever shape was stored (see types.answer_of)."""
    if not isinstance(stored, dict):
        return {}
    return {qid: value for qid, value in stored.items() if isinstance(value, dict)}


def earlier_round_submission(response: Response) -> Submission | None:
    """The supplier's latest submission on the same agreement in an earlier round (any version)."""
    return db.session.scalar(
        select(Submission)
        .join(Response, Submission.response_id == Response.id)
        .join(FollowUpRound, Response.round_id == FollowUpRound.id)
        .where(Response.agreement_id == response.agreement_id, Response.supplier_id == response.supplier_id,
               Response.id != response.id, FollowUpRound.year < response.round.year)
        .order_by(FollowUpRound.year.desc(), Submission.submitted_at.desc(), Submission.id.desc())
        .limit(1)
    )


def reviewed_answers(response: Response, *, earlier_round: bool = False) -> ReviewedAnswers:
    """The latest submission's answers (the live draft when nothing is submitted yet).

    ``earlier_round``: for a response submitted once, compare with the earlier round's
    submission on the same agreement (the review page; the other callers need only the answers).
    """
    from portal.responses.services import answers_of, files_of

    submissions = list(response.submissions)
    if not submissions:
        return ReviewedAnswers(answers_of(response), dict(files_of(response)), None)
    latest = submissions[-1]
    result = ReviewedAnswers(_answers(latest.answers), snapshot_files(latest), latest)
    if len(submissions) > 1:
        previous = submissions[-2]
        result.previous = previous
        result.previous_answers = _answers(previous.answers)
        result.previous_files = snapshot_files(previous)
    elif earlier_round and (earlier := earlier_round_submission(response)) is not None:
        _compare_with_earlier_round(result, response, earlier)
    return result


def _compare_with_earlier_round(result: ReviewedAnswers, response: Response, earlier: Submission) -> None:
    links = mapping.map_versions(engine.definition_of(earlier.response.round.questionnaire_version),
                                 engine.definition_of(response.round.questionnaire_version))
    result.previous = earlier
    result.previous_year = earlier.response.round.year
    result.previous_answers = links.answers(_answers(earlier.answers))
    files: FileMap = {}
    for (question_id, part_id), items in snapshot_files(earlier).items():
        target = links.target_of(question_id)
        if target is not None and links.file_part(target, question_id, part_id) is not None:
            files.setdefault((target, part_id), []).extend(items)
    result.previous_files = files
    result.renumbered = {qid: link.source.id for qid, link in links.links.items() if link.renumbered}
    result.new = {q.id for q in links.new}
    result.dropped = list(links.dropped)


def copied_unconfirmed(response: Response, answers: Mapping[str, Any]) -> set[str]:
    """Answers copied from an earlier submission that the supplier neither changed nor confirmed.

    Submitting clears the copy marks, so for a submitted response this is read from the
    audit trail: a copied answer still equals its source and was never saved by hand.
    """
    marked = {a.question_id for a in response.answers if a.is_copied}
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.field, AuditEvent.after)
        .where(AuditEvent.object_type == "Response", AuditEvent.object_id == response.id,
               AuditEvent.action.in_(("answers.copied", "answer.changed", "answer.confirmed")))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    copies = [after for action, _field, after in events if action == "answers.copied"]
    if not copies:
        return marked
    touched = {qid for action, qid, _after in events if action != "answers.copied"}
    source_ref = copies[-1] or {}
    source = db.session.scalar(
        select(Submission).where(Submission.response_id == source_ref.get("from_response"),
                                 Submission.number == source_ref.get("submission"))
    )
    if source is None:
        return marked
    inferred = {
        qid for qid, value in (source.answers or {}).items()
        if qid not in touched and value and answers.get(qid) == value
    }
    return marked | inferred


# Verdicts


def verdicts_of(response: Response) -> dict[str, QuestionReview]:
    rows = db.session.scalars(
        select(QuestionReview).where(QuestionReview.response_id == response.id)
    )
    return {row.question_id: row for row in rows}


def fingerprint(verdict: str | None, comment: str, note: str) -> str:
    """A short digest of a verdict as shown, so a save can tell what the reviewer changed."""
    raw = json.dumps([verdict or "", comment or "", note or ""], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def fingerprint_of(review: QuestionReview | None) -> str:
    if review is None:
        return fingerprint(None, "", "")
    return fingerprint(review.verdict, review.comment_to_supplier, review.internal_note)


@dataclass(frozen=True)
class VerdictInput:
    question_id: str
    verdict: str | None
    comment_to_supplier: str = ""
    internal_note: str = ""
    # The fingerprint of the verdict as the page showed it ("" = do not check).
    base: str = ""


def rest_meets(entries: Sequence[VerdictInput], sections: Iterable[Section], section_id: str
               ) -> list[VerdictInput]:
    """"Meets, except …" for one part: the part's scored questions the reviewer left without a
    verdict on the page get "meets"; the exceptions (any verdict chosen) and every other part
    stay as posted."""
    scored = {q.id for s in sections if s.id == section_id for q in s.questions if q.scored}
    return [replace(e, verdict=rollup.MEETS) if e.question_id in scored and not e.verdict else e
            for e in entries]


@dataclass
class SaveVerdictsResult:
    saved: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    proposed: list[Deviation] = field(default_factory=list)


def save_verdicts(
    response: Response, entries: Sequence[VerdictInput], *, actor: User, today: date
) -> SaveVerdictsResult:
    """Store the verdicts of a section or a whole page in one go.

    A question that is not in the response's questionnaire, or a verdict outside the
    list, refuses the whole save before anything changes. An entry the reviewer did not
    touch is skipped; one that someone else changed since the page was shown is a
    conflict and is left as it is. A "does not meet" on a question that carries a
    deviation type proposes a draft deviation.
    """
    if not response.can_review(actor):
        raise ReviewError("state", status=response.status)
    _definition, sections = definition_and_sections(response)
    known = {q.id: q for section in sections for q in section.questions}
    unknown = sorted({e.question_id for e in entries if e.question_id not in known})
    if unknown:
        raise ReviewError("unknown_question", questions=unknown)
    wrong = sorted({e.question_id for e in entries if e.verdict and e.verdict not in VERDICTS})
    if wrong:
        raise ReviewError("unknown_verdict", questions=wrong)
    existing = verdicts_of(response)
    result = SaveVerdictsResult()
    now = utcnow()
    newly_not_met: set[str] = set()
    for entry in entries:
        review = existing.get(entry.question_id)
        wanted = {"verdict": entry.verdict or None,
                  "comment_to_supplier": entry.comment_to_supplier,
                  "internal_note": entry.internal_note}
        if entry.base and fingerprint(entry.verdict, entry.comment_to_supplier,
                                      entry.internal_note) == entry.base:
            continue  # shown and sent back unchanged
        if entry.base and entry.base != fingerprint_of(review):
            result.conflicts.append(entry.question_id)
            continue
        current = {name: getattr(review, name) if review else (None if name == "verdict" else "")
                   for name in VERDICT_FIELDS}
        if current == wanted:
            continue
        if review is None:
            review = QuestionReview(response_id=response.id, question_id=entry.question_id,
                                    comment_to_supplier="", internal_note="")
            db.session.add(review)
            existing[entry.question_id] = review
        for name in VERDICT_FIELDS:
            if current[name] != wanted[name]:
                audit.record("verdict.changed", response, actor=actor,
                             supplier_id=response.supplier_id, field=f"{entry.question_id}.{name}",
                             before=current[name], after=wanted[name])
                setattr(review, name, wanted[name])
        review.updated_at = now
        review.updated_by_id = actor.id
        result.saved.append(entry.question_id)
        if wanted["verdict"] == rollup.NOT_MET and current["verdict"] != rollup.NOT_MET:
            newly_not_met.add(entry.question_id)
    db.session.flush()
    result.proposed = propose_deviations(response, sections, reviewed_answers(response).answers,
                                         newly_not_met, actor=actor, today=today)
    return result


def _gate_said_no(question: Question, answers: Mapping[str, Mapping[str, Any]]) -> bool:
    return question.gate and answer_of(answers, question.id).get(question.parts[0].id) == "no"


def _discarded_since(response: Response, question_id: str, since: datetime | None) -> bool:
    query = select(AuditEvent.id).where(
        AuditEvent.object_type == "Response", AuditEvent.object_id == response.id,
        AuditEvent.action == "deviation.discarded", AuditEvent.field == question_id,
    )
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return db.session.scalar(query.limit(1)) is not None


def propose_deviations(
    response: Response,
    sections: Sequence[Section],
    answers: Mapping[str, Mapping[str, Any]],
    not_met: Iterable[str] = (),
    *,
    actor: User | None,
    today: date,
) -> list[Deviation]:
    """Draft deviations for breaches: a "No" to a gate question, or a new "does not meet"
    on a question whose definition names a deviation type (gates, C5, H5 …).

    Idempotent: a question that already has a deviation gets no second one, and a gate
    "No" whose proposal a reviewer discarded is not proposed again for the same submission.
    """
    not_met = set(not_met)
    latest = response.latest_submission
    since = latest.submitted_at if latest is not None else None
    proposed: list[Deviation] = []
    for section in sections:
        for question in section.questions:
            kind = question.deviation_on_not_met
            if kind is None:
                continue
            wanted = question.id in not_met or (
                _gate_said_no(question, answers)
                and not _discarded_since(response, question.id, since)
            )
            if not wanted:
                continue
            deviation = deviations.propose_deviation(response, question.id, kind, actor=actor,
                                                     today=today)
            if deviation is not None:
                proposed.append(deviation)
    return proposed


# Clarification rounds


def return_response(
    response: Response, questions: Sequence[str], message: str, *, actor: User
) -> Clarification:
    """Send the response back with a message; only the chosen questions open again."""
    if not response.can_review(actor):
        raise ReviewError("state", status=response.status)
    if not message.strip():
        raise ReviewError("no_message")
    _definition, sections = definition_and_sections(response)
    order = question_ids(sections)
    unknown = sorted(set(questions) - set(order))
    if unknown:
        raise ReviewError("unknown_question", questions=unknown)
    chosen = [qid for qid in order if qid in set(questions)]
    if not chosen:
        raise ReviewError("no_questions")
    number = (db.session.scalar(
        select(func.max(Clarification.number)).where(Clarification.response_id == response.id)
    ) or 0) + 1
    clarification = Clarification(response_id=response.id, number=number, message=message,
                                  questions=chosen, returned_at=utcnow(), returned_by_id=actor.id)
    db.session.add(clarification)
    before = response.status
    response.status = ResponseStatus.RETURNED.value
    response.reopened_questions = chosen
    db.session.flush()
    audit.record("response.returned", response, actor=actor, supplier_id=response.supplier_id,
                 field="status", before=before, after=response.status)
    audit.record("clarification.created", response, actor=actor, supplier_id=response.supplier_id,
                 field=f"clarification.{number}",
                 after={"number": number, "message": message, "questions": chosen})
    return clarification


def open_clarification(response: Response) -> Clarification | None:
    return db.session.scalar(
        select(Clarification)
        .where(Clarification.response_id == response.id,
               Clarification.answered_submission_id.is_(None))
        .order_by(Clarification.number.desc()).limit(1)
    )


def record_resubmission(
    response: Response, submission: Submission, *, actor: User | None = None
) -> Clarification | None:
    """Link the open clarification round to the submission that answers it."""
    clarification = open_clarification(response)
    if clarification is None:
        return None
    db.session.flush()  # the submission needs its id
    clarification.answered_submission_id = submission.id
    audit.record("clarification.answered", response, actor=actor or submission.submitted_by,
                 supplier_id=response.supplier_id, field=f"clarification.{clarification.number}",
                 after={"submission": submission.number})
    return clarification


def record_submission(
    response: Response, submission: Submission, *, actor: User | None, today: date
) -> list[Deviation]:
    """Everything the review needs when a response is submitted or resubmitted.

    Answers the open clarification round (if any) and proposes draft deviations for every
    gate question answered "No". Call it right after ``submit_response``, before commit.
    """
    record_resubmission(response, submission, actor=actor)
    _definition, sections = definition_and_sections(response)
    return propose_deviations(response, sections, _answers(submission.answers), actor=actor,
                              today=today)


def draft_replies(response: Response) -> dict[str, str]:
    """The supplier's replies on the open clarification round, by question id (still changeable)."""
    clarification = open_clarification(response)
    if clarification is None:
        return {}
    return {r.question_id: r.text for r in clarification.replies if r.text}


def save_replies(response: Response, replies: Mapping[str, str], *, actor: User) -> list[str]:
    """Keep the supplier's replies to the reviewer on the open round, like a draft answer.

    Only the response's own supplier, while it is returned, on the questions the round
    reopened; anything else in ``replies`` is ignored. An empty reply clears one. Returns
    the questions whose reply changed. Once a resubmission answers the round
    (``record_resubmission``) the round is no longer open and its replies are frozen.
    """
    if response.status != ResponseStatus.RETURNED or not response.can_edit(actor):
        raise ReviewError("state", status=response.status)
    clarification = open_clarification(response)
    if clarification is None:  # returned before rounds were recorded: no round to reply to
        return []
    existing = {r.question_id: r for r in clarification.replies}
    changed: list[str] = []
    for question_id, text in replies.items():
        if question_id not in (clarification.questions or ()) or not response.can_reply(actor, question_id):
            continue
        if len(text) > MAX_REPLY:
            raise ReviewError("reply_too_long", question=question_id)
        reply = existing.get(question_id)
        before = reply.text if reply else ""
        if text == before:
            continue
        if reply is None:
            reply = _new_reply(clarification, question_id)
        reply.text = text
        reply.updated_at = utcnow()
        reply.updated_by_id = actor.id
        audit.record("clarification.replied", response, actor=actor, supplier_id=response.supplier_id,
                     field=f"clarification.{clarification.number}.{question_id}",
                     before=before or None, after=text or None)
        changed.append(question_id)
    db.session.flush()
    return changed


def _new_reply(clarification: Clarification, question_id: str) -> ClarificationReply:
    """A reply row for the question; a colleague's row written at the same moment is reused."""
    reply = ClarificationReply(question_id=question_id, text="", updated_at=utcnow())
    try:
        with db.session.begin_nested():
            clarification.replies.append(reply)
            db.session.flush()
    except IntegrityError:
        db.session.expire(clarification, ["replies"])
        return next(r for r in clarification.replies if r.question_id == question_id)
    return reply


@dataclass(frozen=True)
class ClarificationRound:
    """One round of clarification, as plain data for either side's page."""

    number: int
    returned_at: datetime
    message: str
    questions: tuple[str, ...]
    answered_at: datetime | None
    answered_submission: int | None
    # The supplier's replies by question, in the round's question order: only once the
    # resubmission froze them, so the reviewer never reads a draft.
    replies: tuple[tuple[str, str], ...] = ()


def clarification_history(response: Response) -> list[ClarificationRound]:
    """Every return for clarification with its message, questions, when it was answered and
    the supplier's replies sent with that answer.

    Safe to show the supplier: it holds the message sent to it, its own replies and nothing
    internal.
    """
    rows = db.session.execute(
        select(Clarification, Submission.submitted_at, Submission.number)
        .outerjoin(Submission, Clarification.answered_submission_id == Submission.id)
        .where(Clarification.response_id == response.id)
        .order_by(Clarification.number)
    ).all()
    frozen = sent_replies([c for c, _at, _number in rows])
    return [
        ClarificationRound(number=c.number, returned_at=c.returned_at, message=c.message,
                           questions=tuple(c.questions or ()), answered_at=answered_at,
                           answered_submission=answered_number,
                           replies=tuple((qid, frozen[c.id][qid]) for qid in c.questions or ()
                                         if qid in frozen.get(c.id, {})))
        for c, answered_at, answered_number in rows
    ]


def sent_replies(clarifications: Sequence[Clarification]) -> dict[int, dict[str, str]]:
    """The frozen replies of the answered rounds among ``clarifications``, by round id and question."""
    answered = [c.id for c in clarifications if c.is_answered]
    if not answered:
        return {}
    found: dict[int, dict[str, str]] = {}
    for reply in db.session.scalars(
        select(ClarificationReply).where(ClarificationReply.clarification_id.in_(answered),
                                         ClarificationReply.text != "")
    ):
        found.setdefault(reply.clarification_id, {})[reply.question_id] = reply.text
    return found


def latest_replies(rounds: Sequence[ClarificationRound]) -> dict[str, tuple[int, str]]:
    """For the review page: per question, the newest sent reply and the round it answered."""
    latest: dict[str, tuple[int, str]] = {}
    for round_ in rounds:
        for question_id, text in round_.replies:
            latest[question_id] = (round_.number, text)
    return latest


def comments_for_supplier(response: Response) -> dict[str, str]:
    """The reviewer's comments to the supplier, by question id; never the internal notes.

    Shown only while the response is returned or after it is accepted, so drafts the
    reviewer is still writing stay with the reviewer.
    """
    if response.status not in COMMENTS_VISIBLE:
        return {}
    rows = db.session.execute(
        select(QuestionReview.question_id, QuestionReview.comment_to_supplier)
        .where(QuestionReview.response_id == response.id, QuestionReview.comment_to_supplier != "")
    ).all()
    return {qid: comment for qid, comment in rows if comment.strip()}


# Acceptance


@dataclass(frozen=True)
class AcceptanceGaps:
    """What an acceptance would leave unjudged: shown scored questions without a verdict,
    and answers copied from an earlier submission that the supplier never confirmed."""

    unassessed: tuple[tuple[Section, Question], ...]
    unconfirmed: tuple[tuple[Section, Question], ...]

    def __bool__(self) -> bool:
        return bool(self.unassessed or self.unconfirmed)

    def as_record(self) -> dict[str, list[str]]:
        return {"unassessed": [q.id for _s, q in self.unassessed],
                "unconfirmed_copies": [q.id for _s, q in self.unconfirmed]}

    @property
    def fingerprint(self) -> str:
        """Names exactly these gaps: a confirmation given for other gaps does not count."""
        return hashlib.sha256(json.dumps(self.as_record(), sort_keys=True).encode()).hexdigest()[:32]


def acceptance_gaps(response: Response) -> AcceptanceGaps:
    """The questions an acceptance of the latest submission would leave without a real review."""
    _definition, sections = definition_and_sections(response)
    reviewed = reviewed_answers(response)
    verdicts = verdicts_of(response)
    copied = copied_unconfirmed(response, reviewed.answers)
    unassessed: list[tuple[Section, Question]] = []
    unconfirmed: list[tuple[Section, Question]] = []
    for section in sections:
        for question in section.questions:
            if question.is_declaration or not engine.is_shown(question, reviewed.answers):
                continue
            review = verdicts.get(question.id)
            if question.scored and (review is None or not review.verdict):
                unassessed.append((section, question))
            if question.id in copied:
                unconfirmed.append((section, question))
    return AcceptanceGaps(tuple(unassessed), tuple(unconfirmed))


def default_acceptance_day(round: FollowUpRound, today: date) -> date:
    """A historical round's acceptance date unless the reviewer gives one: today within the
    round's year, else its 31 December."""
    return today if today.year == round.year else date(round.year, 12, 31)


def check_acceptance_day(response: Response, day: date, today: date) -> None:
    """A historical round's acceptance is dated within the round's year, never after today."""
    round_ = response.round
    if not round_.is_historical:
        raise ReviewError("not_historical")
    if day.year != round_.year or day > today:
        raise ReviewError("acceptance_date", year=round_.year)


def accept_response(response: Response, *, actor: User, today: date,
                    day: date | None = None, accepted_gaps: AcceptanceGaps | None = None) -> FollowUpActivity:
    """Close the review and record the follow-up activity it counts as (DOMAIN 7.2).

    ``day`` dates the acceptance of a historical round's response (within the round's year,
    not after today); the activity is then marked as backfilled, here and in the audit trail.
    ``accepted_gaps`` are the unjudged questions the reviewer was shown and accepted anyway;
    they go into the audit trail with the acceptance, so the 4.A.2 figure can be traced to
    what the review covered.
    """
    if not response.can_review(actor):
        raise ReviewError("state", status=response.status)
    if day is not None:
        check_acceptance_day(response, day, today)
    before = response.status
    response.status = ResponseStatus.ACCEPTED.value
    # The day it was done, for a report as of a date (portal.reports.queries.response_status_at).
    response.accepted_at = utcnow() if day is None else datetime.combine(day, time(12), tzinfo=UTC)
    audit.record("response.accepted", response, actor=actor, supplier_id=response.supplier_id,
                 field="status", before=before, after=response.status)
    if accepted_gaps:
        audit.record("response.accepted_with_gaps", response, actor=actor,
                     supplier_id=response.supplier_id, after=accepted_gaps.as_record())
    if day is not None:
        audit.record("response.accepted", response, actor=actor, supplier_id=response.supplier_id,
                     field="accepted_on", after={"accepted_on": day.isoformat(), "backfilled": True})
    activity = FollowUpActivity(kind="questionnaire_reviewed", date=day or today,
                                backfilled=day is not None,
                                agreement_id=response.agreement_id,
                                buyer_id=response.agreement.buyer_id,
                                supplier_id=response.supplier_id, response_id=response.id,
                                notes="", created_by_id=actor.id)
    db.session.add(activity)
    db.session.flush()
    # Recorded by Aktsom on the acceptance; the activity itself names the reviewer.
    audit.record("activity.created", activity, actor=actor, supplier_id=response.supplier_id,
                 by_system=True, after=_activity_snapshot(activity))
    return activity


def reopen_response(response: Response, reason: str, *, actor: User) -> str:
    """Take an accepted review up again; the activity its acceptance recorded stays."""
    if not response.can_reopen(actor):
        raise ReviewError("state", status=response.status)
    if not reason.strip():
        raise ReviewError("no_reason")
    submissions = db.session.scalar(
        select(func.count(Submission.id)).where(Submission.response_id == response.id)
    ) or 0
    after = (ResponseStatus.RESUBMITTED if submissions > 1 else ResponseStatus.SUBMITTED).value
    before = response.status
    response.status = after
    response.accepted_at = None
    audit.record("response.reopened", response, actor=actor, supplier_id=response.supplier_id,
                 field="status", before=before, after=after)
    audit.record("response.reopened", response, actor=actor, supplier_id=response.supplier_id,
                 field="reason", after=reason)
    return after


# Follow-up activities


def _activity_snapshot(activity: FollowUpActivity) -> dict[str, Any]:
    return {"kind": activity.kind, "date": activity.date.isoformat(),
            "agreement_id": activity.agreement_id, "supplier_id": activity.supplier_id,
            "response_id": activity.response_id, "notes": activity.notes,
            **({"backfilled": True} if activity.backfilled else {})}


def supplier_is_on_agreement(supplier_id: int, agreement_id: int) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(agreement_supplier).where(
            agreement_supplier.c.supplier_id == supplier_id,
            agreement_supplier.c.agreement_id == agreement_id,
        )
    ) == 1


def create_activity(
    kind: str,
    day: date,
    agreement: Agreement,
    supplier: Supplier,
    notes: str,
    files: Sequence[StoredFile],
    *,
    actor: User,
    backfilled: bool = False,
) -> FollowUpActivity:
    """Record a dated follow-up activity for an agreement and one of its suppliers;
    ``backfilled``: done before Aktsom was used or outside it, recorded afterwards."""
    if kind not in RECORDABLE_ACTIVITY_KINDS:
        raise ReviewError("kind")
    if not supplier_is_on_agreement(supplier.id, agreement.id):
        raise ReviewError("not_on_agreement")
    activity = FollowUpActivity(kind=kind, date=day, agreement_id=agreement.id,
                                buyer_id=agreement.buyer_id, backfilled=backfilled,
                                supplier_id=supplier.id, notes=notes, created_by_id=actor.id)
    db.session.add(activity)
    for stored in files:
        activity.attachments.append(Attachment(
            original_name=stored.original_name, stored_name=stored.stored_name, size=stored.size,
            sha256=stored.sha256, mimetype=stored.mimetype, uploaded_by_id=actor.id,
            uploaded_at=utcnow(),
        ))
    db.session.flush()
    audit.record("activity.created", activity, actor=actor, supplier_id=supplier.id,
                 after={**_activity_snapshot(activity),
                        "files": [{"name": f.original_name, "sha256": f.sha256} for f in files]})
    return activity


# Bulk actions from the inbox


@dataclass(frozen=True)
class BulkResult:
    done: int
    emails: int
    skipped: int


def send_reminders(responses: Sequence[Response], *, actor: User, today: date) -> BulkResult:
    """Remind the supplier of each response that still awaits its answer, now, whatever the
    scheduled reminders have done; a submitted or accepted response is skipped."""
    from portal import notifications
    from portal.rounds import notify

    waiting = [r for r in responses if r.is_editable]
    recipients = notifications.supplier_users({r.supplier_id for r in waiting})
    emails = 0
    # One e-mail per supplier user and round, listing that supplier's responses chosen.
    for group in notify.group_by_round_and_supplier(waiting):
        stage = "overdue" if all(r.deadline < today for r in group) else notify.MANUAL
        sent = notify.send_reminders(group, stage, today, recipients.get(group[0].supplier_id, []),
                                     by_hand=True)
        emails += sent
        for response in group:
            audit.record("response.reminder_sent", response, actor=actor,
                         supplier_id=response.supplier_id,
                         after={"deadline": response.deadline.isoformat(), "emails": sent,
                                "responses_in_email": len(group)})
    return BulkResult(len(waiting), emails, len(responses) - len(waiting))


def extend_deadlines(responses: Sequence[Response], new_deadline: date, *, actor: User,
                     reason: str, today: date) -> BulkResult:
    """Move each response's deadline to ``new_deadline`` and tell its supplier; a response
    already submitted, or whose deadline is that day or later, is skipped."""
    from portal.rounds import notify
    from portal.rounds import services as rounds

    done = emails = 0
    for response in responses:
        if not response.is_editable or new_deadline <= response.deadline:
            continue
        rounds.extend_deadline(response, new_deadline, actor=actor, reason=reason, today=today)
        emails += notify.send_deadline_extended(response)
        done += 1
    return BulkResult(done, emails, len(responses) - done)
def edit_activity(activity: FollowUpActivity, *, kind: str, day: date, notes: str, reason: str,
                  actor: User) -> FollowUpActivity:
    """Correct an activity's kind, date or notes; the trail keeps before, after and why."""
    if activity.is_withdrawn:
        raise ReviewError("withdrawn")
    if activity.share_id is not None:
        raise ReviewError("shared_activity")
    if kind not in RECORDABLE_ACTIVITY_KINDS:
        raise ReviewError("kind")
    before = _activity_snapshot(activity)
    activity.kind, activity.date, activity.notes = kind, day, notes
    after = _activity_snapshot(activity)
    if after == before:
        return activity
    db.session.flush()
    audit.record("activity.edited", activity, actor=actor, supplier_id=activity.supplier_id,
                 before=before, after={**after, "reason": reason})
    return activity


def withdraw_activity(activity: FollowUpActivity, reason: str, *, actor: User) -> FollowUpActivity:
    """Withdraw an activity recorded in error: it leaves the figures and stays in the history."""
    if activity.is_withdrawn:
        raise ReviewError("withdrawn")
    activity.withdrawn_at = utcnow()
    activity.withdrawn_by_id = actor.id
    activity.withdrawn_reason = reason
    db.session.flush()
    audit.record("activity.withdrawn", activity, actor=actor, supplier_id=activity.supplier_id,
                 before=_activity_snapshot(activity),
                 after={**_activity_snapshot(activity), "withdrawn": True, "reason": reason})
    return activity
