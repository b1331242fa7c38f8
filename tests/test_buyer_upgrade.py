"""An installation of one municipality upgrades in place to buyers and keeps its figures.

The database is built at head with the demo municipality's data (the second demo buyer, the
purchasing cooperation with its joint agreement, and the platform administrator removed, so it holds what a one-municipality installation
holds), its 2023 and 2024 year reports are read as JSON, the schema is taken back to the
revision before buyers existed and upgraded again: the migration makes the municipality
the first buyer from OPERATOR_NAME and puts every record under it. Every key of both
reports keeps its value (``generated_at`` aside).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, select

from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.extensions import db as _db
from portal.models import Agreement, AuditEvent, Buyer, User, buyer_supplier
from tests.auth.helpers import isolate_requests, sign_in
from tests.test_migrations import (  # noqa: F401 - fixtures used by name
    _alembic_config,
    _keep_logging,
    empty_database_app,
)

BEFORE_BUYERS = "5fdaa190ccf0"
REVIEWER = "fagansvarlig@kommune.example"
YEARS = (2023, 2024)


def _one_municipality() -> None:
    """Remove what only a multi-buyer installation has: the second buyer and the platform."""
    lillestrom = _db.session.scalar(select(Buyer).where(Buyer.name == "Lillestrøm kommune"))
    others = [b.id for b in _db.session.scalars(select(Buyer).where(Buyer.id != lillestrom.id))]
    agreements = select(Agreement.id).where(Agreement.buyer_id.in_(others))
    from portal.models import (
        Answer,
        Attachment,
        Clarification,
        Deviation,
        DeviationUpdate,
        EvidenceFile,
        FollowUpActivity,
        FollowUpRound,
        QuestionReview,
        Response,
        ResponseShare,
        ShareReview,
        Submission,
        agreement_participant,
        agreement_supplier,
    )

    # Responses shared with another buyer (a supplier's consent names two buyers).
    shares = select(ResponseShare.id).where(ResponseShare.buyer_id.in_(others))
    _db.session.execute(delete(ShareReview).where(ShareReview.share_id.in_(shares)))
    _db.session.execute(delete(ResponseShare).where(ResponseShare.buyer_id.in_(others)))
    # The cooperation's joint agreement and its follow-up.
    _db.session.execute(delete(agreement_participant))
    deviations = select(Deviation.id).where(Deviation.buyer_id.in_(others))
    activities = select(FollowUpActivity.id).where(FollowUpActivity.buyer_id.in_(others))
    _db.session.execute(delete(Attachment).where(Attachment.activity_id.in_(activities)))
    _db.session.execute(delete(DeviationUpdate).where(DeviationUpdate.deviation_id.in_(deviations)))
    _db.session.execute(delete(Deviation).where(Deviation.buyer_id.in_(others)))
    _db.session.execute(delete(FollowUpActivity).where(FollowUpActivity.buyer_id.in_(others)))
    responses = select(Response.id).where(Response.agreement_id.in_(agreements))
    for entity in (Clarification, QuestionReview, Answer, EvidenceFile, Submission):
        _db.session.execute(delete(entity).where(entity.response_id.in_(responses)))
    _db.session.execute(delete(Response).where(Response.agreement_id.in_(agreements)))
    _db.session.execute(delete(FollowUpRound).where(FollowUpRound.buyer_id.in_(others)))
    _db.session.execute(delete(agreement_supplier).where(agreement_supplier.c.agreement_id.in_(agreements)))
    _db.session.execute(delete(AuditEvent).where(AuditEvent.buyer_id.in_(others)))
    _db.session.execute(delete(Agreement).where(Agreement.buyer_id.in_(others)))
    _db.session.execute(delete(User).where(User.buyer_id.in_(others)))
    _db.session.execute(delete(User).where(User.role == "platform_admin"))
    _db.session.execute(delete(buyer_supplier).where(buyer_supplier.c.buyer_id.in_(others)))
    _db.session.execute(delete(Buyer).where(Buyer.id.in_(others)))
    _db.session.commit()


def _reports(app: Any) -> dict[int, dict[str, Any]]:
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    assert sign_in(client, REVIEWER, DEMO_PASSWORD).status_code == 302
    documents = {}
    for year in YEARS:
        reply = client.get(f"/reports/{year}.json")
        assert reply.status_code == 200
        document = json.loads(reply.get_data(as_text=True))
        document.pop("generated_at", None)
        documents[year] = document
    return documents


@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_an_upgraded_installation_reports_the_same_figures(empty_database_app, monkeypatch):  # noqa: F811
    app = empty_database_app
    isolate_requests(app, monkeypatch)
    config = _alembic_config()
    command.upgrade(config, "head")
    load_demo_data()
    _db.session.commit()
    _one_municipality()
    before = _reports(app)
    _db.session.remove()

    command.downgrade(config, BEFORE_BUYERS)
    command.upgrade(config, "head")

    buyers = _db.session.scalars(select(Buyer)).all()
    assert [(b.name, b.org_number) for b in buyers] == [("Lillestrøm kommune", None)]
    reviewer = _db.session.scalar(select(User).where(User.email == REVIEWER))
    assert reviewer.buyer_id == buyers[0].id
    after = _reports(app)
    assert after == before
