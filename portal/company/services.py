"""A supplier's company answers: the company-scope questions, answered once per year (issue 14).

A questionnaire version that declares scopes (see ``Question.scope``) splits each response in
two: the agreement questions are answered in the response, the company questions once in the
supplier's ``CompanyAnswerSet`` for the round's year and version, which every response of that
year and version uses, whatever the buyer. The set's answers and files are ordinary ``Answer``
and ``EvidenceFile`` rows, so portal/responses/services.py saves, copies and checks them as a
response's. A response's pages read the two merged (``merged_answers``, ``merged_files``); its
submission freezes the company answers and files it used in its own snapshot
(``freeze_company_files``), so later edits of the set never change what a buyer received.

The set is the supplier's own: staff never load it (portal/tenancy.py) and read company
answers only in submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import (
    Agreement,
    CompanyAnswerSet,
    EvidenceFile,
    FollowUpRound,
    QuestionnaireVersion,
    Response,
    User,
    utcnow,
)
from portal.questionnaires import engine
from portal.questionnaires.definition import Definition, Question, Section
from portal.responses.services import answers_of, files_of


def find_set(supplier_id: int, year: int, version_id: int) -> CompanyAnswerSet | None:
    return db.session.scalar(
        select(CompanyAnswerSet)
        .where(CompanyAnswerSet.supplier_id == supplier_id, CompanyAnswerSet.year == year,
               CompanyAnswerSet.questionnaire_version_id == version_id)
        .options(selectinload(CompanyAnswerSet.answers), selectinload(CompanyAnswerSet.files),
                 joinedload(CompanyAnswerSet.questionnaire_version))
    )


def ensure_set(supplier_id: int, year: int, version: QuestionnaireVersion) -> CompanyAnswerSet:
    """The supplier's one set for the year and version, created on first use (also when two
    requests create it at the same moment: the unique constraint settles it)."""
    existing = find_set(supplier_id, year, version.id)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            created = CompanyAnswerSet(supplier_id=supplier_id, year=year, questionnaire_version=version)
            db.session.add(created)
            db.session.flush()
            return created
    except IntegrityError:
        found = find_set(supplier_id, year, version.id)
        if found is None:
            raise
        return found


def uses_company_answers(response: Response) -> bool:
    return engine.definition_of(response.round.questionnaire_version).has_company_scope


def set_for_response(response: Response, *, create: bool = False) -> CompanyAnswerSet | None:
    """The company answers a response uses, or None (a version without scopes, or none yet).

    Staff never find a set (portal/tenancy.py): they read company answers in submissions."""
    if not uses_company_answers(response):
        return None
    round_ = response.round
    if create:
        return ensure_set(response.supplier_id, round_.year, round_.questionnaire_version)
    return find_set(response.supplier_id, round_.year, round_.questionnaire_version_id)


def company_ids(sections: Sequence[Section]) -> set[str]:
    return {q.id for s in sections for q in s.questions if q.is_company}


def merged_answers(response: Response, company: CompanyAnswerSet | None,
                   sections: Sequence[Section]) -> dict[str, dict[str, Any]]:
    """The response's agreement answers with the company answers it uses (company questions are
    read from the set only)."""
    ids = company_ids(sections)
    merged = {qid: value for qid, value in answers_of(response).items() if qid not in ids}
    if company is not None:
        merged.update({qid: value for qid, value in answers_of(company).items() if qid in ids})
    return merged


def merged_files(response: Response, company: CompanyAnswerSet | None,
                 sections: Sequence[Section]) -> dict[tuple[str, str], list[EvidenceFile]]:
    ids = company_ids(sections)
    merged = {key: files for key, files in files_of(response).items() if key[0] not in ids}
    if company is not None:
        merged.update({key: files for key, files in files_of(company).items() if key[0] in ids})
    return merged


def unconfirmed_company_copies(company: CompanyAnswerSet | None, sections: Sequence[Section],
                               answers: dict[str, dict[str, Any]], *, actor: User
                               ) -> list[tuple[Section, Question]]:
    """Company answers copied from an earlier submission and not yet confirmed: they block the
    submission of every response that uses them, as the response's own copies do."""
    if company is None:
        return []
    copied = {a.question_id for a in company.answers if a.is_copied}
    return [(s, q) for s in sections for q in s.questions
            if q.is_company and q.id in copied and engine.is_shown(q, answers)
            and company.can_edit_question(actor, q.id)]


def freeze_company_files(response: Response, company: CompanyAnswerSet, question_ids: set[str]
                         ) -> list[EvidenceFile]:
    """The company files a submission uses, as frozen copies owned by the response.

    A frozen copy has the company file's storage key, ``copied_from_id`` the company file and
    ``removed_at`` set (it is never part of the draft); the snapshot lists it by its own id, so
    the review, the receipt, the answer package and sharing read and download it through the
    response's own access checks. A company file already frozen for this response is reused.
    """
    frozen = {f.copied_from_id: f for f in response.files
              if f.removed_at is not None and f.copied_from_id is not None}
    now = utcnow()
    result = []
    for original in company.files:
        if original.removed_at is not None or original.question_id not in question_ids:
            continue
        copy = frozen.get(original.id)
        if copy is None:
            copy = EvidenceFile(
                question_id=original.question_id, part_id=original.part_id,
                original_name=original.original_name, stored_name=original.stored_name,
                size=original.size, sha256=original.sha256, mimetype=original.mimetype, tag=original.tag,
                uploaded_by_id=original.uploaded_by_id, uploaded_at=original.uploaded_at,
                copied_from_id=original.id, removed_at=now,
            )
            response.files.append(copy)
        result.append(copy)
    db.session.flush()
    return result


@dataclass
class CompanyYear:
    """One set of company answers a supplier is asked for: a year, a version and the responses
    (of every buyer) that use it."""

    year: int
    version: QuestionnaireVersion
    responses: list[Response]

    @property
    def is_editable(self) -> bool:
        return any(r.is_editable for r in self.responses)


def company_years(supplier_id: int) -> list[CompanyYear]:
    """Every year and version for which the supplier has responses that use company answers,
    newest first."""
    responses = db.session.scalars(
        select(Response).where(Response.supplier_id == supplier_id)
        .options(joinedload(Response.round).joinedload(FollowUpRound.questionnaire_version),
                 joinedload(Response.agreement).joinedload(Agreement.buyer))
        .order_by(Response.deadline, Response.id)
    ).unique().all()
    grouped: dict[tuple[int, int], CompanyYear] = {}
    for response in responses:
        version = response.round.questionnaire_version
        if not engine.definition_of(version).has_company_scope:
            continue
        key = (response.round.year, version.id)
        grouped.setdefault(key, CompanyYear(response.round.year, version, [])).responses.append(response)
    return sorted(grouped.values(), key=lambda c: (-c.year, -c.version.id))


def company_year(supplier_id: int, year: int, version_id: int) -> CompanyYear | None:
    return next((c for c in company_years(supplier_id) if c.year == year and c.version.id == version_id), None)


def definition_of(company: CompanyAnswerSet) -> Definition:
    return engine.definition_of(company.questionnaire_version)

