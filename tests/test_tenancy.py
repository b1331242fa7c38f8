"""Buyer isolation in one place (portal/tenancy.py): staff of one buyer see none of another's rows.

Walks every mapped class. A class either belongs to a buyer (listed in OWNER with how to find
its buyer) and must then be filtered, or is listed in SYSTEM with the reason no route reads
it by a buyer's staff. A new model fails here until it is placed in one of the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import (
    Answer,
    Base,
    Clarification,
    ClarificationReply,
    IdentityProvider,
    QuestionReview,
    ReportText,
    ShareReview,
    buyer_supplier,
)
from portal.tenancy import ALL_BUYERS, scope_to
from tests.test_access_matrix import build_world


def _register(buyer_id: int) -> set[int]:
    return set(_db.session.scalars(
        select(buyer_supplier.c.supplier_id).where(buyer_supplier.c.buyer_id == buyer_id)
        .execution_options(**{ALL_BUYERS: True})))


#: How each buyer-owned class finds its buyer: returns True when ``row`` is ``buyer_id``'s.
OWNER: dict[str, Callable[[Any, int], bool]] = {
    "Buyer": lambda row, b: row.id == b,
    "Agreement": lambda row, b: row.buyer_id == b,
    "FollowUpRound": lambda row, b: row.buyer_id == b,
    "PriorityRisk": lambda row, b: row.buyer_id == b,
    "ReportText": lambda row, b: row.buyer_id == b,
    "FollowUpActivity": lambda row, b: row.buyer_id == b,
    "Deviation": lambda row, b: row.buyer_id == b,
    "AuditEvent": lambda row, b: row.buyer_id == b,
    "IdentityProvider": lambda row, b: row.buyer_id == b,
    "Response": lambda row, b: row.agreement.buyer_id == b,
    # A company answer or file (issue 14) has no response: no buyer's (staff read it in submissions).
    "Answer": lambda row, b: row.response is not None and row.response.agreement.buyer_id == b,
    "EvidenceFile": lambda row, b: row.response is not None and row.response.agreement.buyer_id == b,
    "Submission": lambda row, b: row.response.agreement.buyer_id == b,
    "QuestionReview": lambda row, b: row.response.agreement.buyer_id == b,
    "Clarification": lambda row, b: row.response.agreement.buyer_id == b,
    "ClarificationReply": lambda row, b: row.clarification.response.agreement.buyer_id == b,
    "DeviationUpdate": lambda row, b: row.deviation.buyer_id == b,
    "Attachment": lambda row, b: (row.activity or row.deviation_update.deviation).buyer_id == b,
    "PublishedReport": lambda row, b: row.buyer_id == b,
    # A supplier's share belongs to the buyer it was shared with, as do that buyer's verdicts.
    "ResponseShare": lambda row, b: row.buyer_id == b,
    "ShareReview": lambda row, b: row.buyer_id == b,
    "PublishedReportFile": lambda row, b: row.report.buyer_id == b,
    # Shared organisations: a buyer sees those in its register.
    "Supplier": lambda row, b: row.id in _register(b),
    "ProductionSite": lambda row, b: row.supplier_id in _register(b),
    "User": lambda row, b: row.buyer_id == b or row.supplier_id in _register(b),
}

#: Rows no buyer owns, and why a buyer's staff never read them by id.
SYSTEM = {
    "QuestionnaireVersion": "published definitions are shared by every buyer",
    "PendingInput": "a user's own unsaved form, read by its user id only",
    "Attempt": "sign-in attempts, keyed by account and address, read by the sign-in only",
    "StoredObject": "file records, reached only through an evidence file or attachment",
    "MailDelivery": "the mail queue, read by the mail job only",
    "CompanyAnswerSet": "a supplier's company answers: staff never load one (their criteria admit none) "
                        "and read company answers in submissions only",
}


def _review_records(db: Any, world: Any, buyer_id: int) -> None:
    """What a review leaves on a response, and a report text: rows the world lacks."""
    response = world.a.response
    share_id = world.a.share.id
    db.session.add_all([
        Answer(response=response, question_id="B1", value={"answer": "yes"}),
        QuestionReview(response=response, question_id="B1", verdict="meets"),
        Clarification(response=response, number=1, message="Utdyp B1", questions=["B1"],
                      replies=[ClarificationReply(question_id="B1", text="Utdypet")]),
        ReportText(year=2025, key="4A1", text="Tekst", buyer_id=buyer_id),
        IdentityProvider(buyer_id=buyer_id, issuer="https://idporten.no", client_id=f"aktsom-{buyer_id}",
                         email_domains=f"kommune{buyer_id}.example"),
        ShareReview(share_id=share_id, buyer_id=buyer_id, question_id="B1", verdict="meets"),
    ])


@pytest.fixture
def two_buyers(app, make, db):
    home = make.default_buyer
    _review_records(db, build_world(make, db), home.id)
    away = make.buyer(name="Annen kommune")
    make._default_buyer = away
    _review_records(db, build_world(make, db, names=("Gamma", "Delta")), away.id)
    db.session.commit()
    return home.id, away.id


def _classes() -> list[type]:
    return sorted((m.class_ for m in Base.registry.mappers), key=lambda cls: cls.__name__)


def test_every_mapped_class_belongs_to_a_buyer_or_is_a_system_record():
    names = {cls.__name__ for cls in _classes()}

    unplaced = sorted(names - OWNER.keys() - SYSTEM.keys())
    stale = sorted((OWNER.keys() | SYSTEM.keys()) - names)

    assert not unplaced, f"say in {__name__} whose rows these are: {unplaced}"
    assert not stale, stale


@pytest.mark.parametrize("name", sorted(OWNER))
def test_a_buyers_staff_see_exactly_the_buyers_own_rows(two_buyers, db, name):
    cls = next(c for c in _classes() if c.__name__ == name)
    home, away = two_buyers
    everything = db.session.scalars(select(cls).execution_options(**{ALL_BUYERS: True})).all()
    own = {row.id for row in everything if OWNER[name](row, home)}
    foreign = {row.id for row in everything if not OWNER[name](row, home)}
    assert own, f"the test world has no {name} of the buyer"
    assert foreign, f"the test world has no {name} of another buyer"
    db.session.expunge_all()

    scope_to(db.session(), home)
    try:
        listed = {row.id for row in db.session.scalars(select(cls))}
        looked_up = {row_id for row_id in foreign
                     if db.session.get(cls, row_id, populate_existing=True) is not None}
    finally:
        scope_to(db.session(), None)

    assert listed == own
    assert looked_up == set()


# Joint agreements: a participant reads the joint agreement's follow-up, nothing else of the lead's.


def _joint_agreement_id(partner: int) -> int:
    from portal.models import agreement_participant

    return int(_db.session.scalar(select(agreement_participant.c.agreement_id).where(
        agreement_participant.c.buyer_id == partner).execution_options(**{ALL_BUYERS: True})))


def _on_joint(agreement_id: int | None, joint: int) -> bool:
    return agreement_id == joint


#: What of the lead's a participant reads (besides its own rows): ``row`` given the joint
#: agreement's id and the lead's buyer id.
JOINT: dict[str, Callable[[Any, int, int], bool]] = {
    "Buyer": lambda row, j, lead: row.id == lead,
    "Agreement": lambda row, j, lead: row.id == j,
    "FollowUpRound": lambda row, j, lead: any(r.agreement_id == j for r in row.responses),
    "PriorityRisk": lambda row, j, lead: False,
    "ReportText": lambda row, j, lead: False,
    "AuditEvent": lambda row, j, lead: False,
    "FollowUpActivity": lambda row, j, lead: row.agreement_id == j,
    # Proposals stay the lead's working notes.
    "Deviation": lambda row, j, lead: row.agreement_id == j and not row.is_proposed,
    "Response": lambda row, j, lead: row.agreement_id == j,
    "Answer": lambda row, j, lead: row.response is not None and row.response.agreement_id == j,
    "EvidenceFile": lambda row, j, lead: row.response is not None and row.response.agreement_id == j,
    "Submission": lambda row, j, lead: row.response.agreement_id == j,
    "QuestionReview": lambda row, j, lead: row.response.agreement_id == j,
    "Clarification": lambda row, j, lead: row.response.agreement_id == j,
    "ClarificationReply": lambda row, j, lead: row.clarification.response.agreement_id == j,
    "DeviationUpdate": lambda row, j, lead: (
        row.deviation.agreement_id == j and not row.deviation.is_proposed and not row.is_internal),
    "Attachment": lambda row, j, lead: (
        row.activity.agreement_id == j if row.activity is not None
        else JOINT["DeviationUpdate"](row.deviation_update, j, lead)),
    "Supplier": lambda row, j, lead: any(a.id == j for a in row.agreements),
    "User": lambda row, j, lead: False,
    # A supplier's site register: a participant reads only its own suppliers' (sites reach it in answers).
    "ProductionSite": lambda row, j, lead: False,
    # The lead's own: its sign-in settings and its published reports.
    "IdentityProvider": lambda row, j, lead: False,
    "PublishedReport": lambda row, j, lead: False,
    "PublishedReportFile": lambda row, j, lead: False,
    # Shares made to the lead, and the lead's verdicts on them, stay the lead's.
    "ResponseShare": lambda row, j, lead: False,
    "ShareReview": lambda row, j, lead: False,
}


@pytest.mark.parametrize("name", sorted(OWNER))
def test_a_participant_reads_exactly_its_own_rows_and_the_joint_agreements(two_buyers, db, name):
    from portal.models import Buyer

    cls = next(c for c in _classes() if c.__name__ == name)
    home, _away = two_buyers
    partner = db.session.scalar(select(Buyer.id).where(Buyer.name == "Deltakerkommune Alfa"))
    joint = _joint_agreement_id(partner)
    everything = db.session.scalars(select(cls).execution_options(**{ALL_BUYERS: True})).all()
    readable = {row.id for row in everything
                if OWNER[name](row, partner) or JOINT[name](row, joint, home)}
    lead_only = ("PriorityRisk", "ReportText", "AuditEvent", "User", "ProductionSite", "IdentityProvider",
                 "PublishedReport", "PublishedReportFile", "ResponseShare", "ShareReview")
    assert name in lead_only or readable - {partner}, (
        f"the test world has no {name} on the joint agreement")
    db.session.expunge_all()

    scope_to(db.session(), partner, joint_reads=True)
    try:
        listed = {row.id for row in db.session.scalars(select(cls))}
        looked_up = {row.id for row in everything
                     if db.session.get(cls, row.id, populate_existing=True) is not None}
    finally:
        scope_to(db.session(), None)

    assert listed == readable
    assert looked_up == readable


def test_a_participant_never_loads_the_leads_internal_notes_and_cannot_change_its_records(
    two_buyers, db
):
    from portal.models import Buyer, Deviation, FollowUpActivity
    from portal.tenancy import ForeignBuyerWrite

    partner = db.session.scalar(select(Buyer.id).where(Buyer.name == "Deltakerkommune Alfa"))
    joint = _joint_agreement_id(partner)
    db.session.expunge_all()

    scope_to(db.session(), partner, joint_reads=True)
    try:
        deviation = db.session.scalars(select(Deviation).where(Deviation.agreement_id == joint)).one()
        activity = db.session.scalars(select(FollowUpActivity).where(
            FollowUpActivity.agreement_id == joint)).one()
        assert (deviation.internal_note, activity.notes) == ("", "")
        assert deviation.description == "Lønn"
        deviation.status = "CLOSED_OK"
        with pytest.raises(ForeignBuyerWrite):
            db.session.flush()
        db.session.rollback()
    finally:
        scope_to(db.session(), None)

    db.session.expunge_all()
    stored = db.session.scalars(select(Deviation).where(Deviation.agreement_id == joint, Deviation.is_proposed.is_(False)).execution_options(**{ALL_BUYERS: True})).one()
    assert (stored.status, stored.internal_note) == ("NOTIFIED", "Intern merknad Alfa")


def test_joint_reads_scope_every_class_the_own_scope_does():
    """A class forgotten in the participant's criteria would be read unscoped."""
    from portal.tenancy import _criteria, _joint_criteria

    def entities(options: list[Any]) -> set[Any]:
        return {option.entity.class_ if hasattr(option.entity, "class_") else option.entity
                for option in options}

    assert entities(_joint_criteria(1)) == entities(_criteria(1))


def test_staff_never_load_a_suppliers_company_answers(two_buyers, db):
    from portal.models import CompanyAnswerSet

    home, away = two_buyers
    stored = db.session.scalars(select(CompanyAnswerSet).execution_options(**{ALL_BUYERS: True})).all()
    assert stored
    db.session.expunge_all()
    for buyer_id in (home, away):
        scope_to(db.session(), buyer_id)
        try:
            assert db.session.scalars(select(CompanyAnswerSet)).all() == []
            assert all(db.session.get(CompanyAnswerSet, row.id, populate_existing=True) is None for row in stored)
        finally:
            scope_to(db.session(), None)
