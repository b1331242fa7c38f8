"""Sharing a submitted response with another buyer: consent, the receiver's own review,
revocation, isolation between buyers and suppliers, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, FollowUpActivity, ResponseShare, ShareReview
from portal.sharing import services
from portal.tenancy import ALL_BUYERS
from tests.auth.helpers import sign_in, sign_out, text, tr
from tests.conftest import csrf_token
from tests.sharing.conftest import (
    RECEIVER,
    SOURCE,
    SOURCE_COMMENT,
    SOURCE_DEVIATION,
    SOURCE_NOTE,
    THIRD,
    Sharing,
)


def _shares(db: Any) -> list[ResponseShare]:
    db.session.expire_all()
    return list(db.session.scalars(select(ResponseShare).execution_options(**{ALL_BUYERS: True})))


def _activities(db: Any) -> list[FollowUpActivity]:
    db.session.expire_all()
    return list(db.session.scalars(select(FollowUpActivity)
                                   .execution_options(**{ALL_BUYERS: True})))


def _events(db: Any, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .execution_options(**{ALL_BUYERS: True})))


def share(client: Any, w: Sharing, buyer_id: int, consent: bool = True) -> Any:
    path = f"/responses/{w.response.id}/sharing"
    data = {"csrf_token": csrf_token(client, path), "buyer_id": str(buyer_id)}
    if consent:
        data["consent"] = "y"
    return client.post(f"{path}/new", data=data)


def shared(client: Any, db: Any, w: Sharing) -> ResponseShare:
    assert sign_in(client, w.supplier_user.email).status_code == 302
    assert share(client, w, w.receiver.id).status_code == 302
    sign_out(client)
    (made,) = _shares(db)
    return made


def test_the_supplier_shares_with_a_buyer_it_has_an_agreement_with(client, db, sharing):
    w = sharing
    assert sign_in(client, w.supplier_user.email).status_code == 302

    page = client.get(f"/responses/{w.response.id}/sharing")
    assert page.status_code == 200
    assert RECEIVER in text(page)
    assert THIRD not in text(page)  # no agreement with the supplier: not offered

    reply = share(client, w, w.receiver.id)

    assert reply.status_code == 302
    (made,) = _shares(db)
    assert (made.buyer_id, made.supplier_id, made.submission_number, made.granted_by_id) == (
        w.receiver.id, w.supplier.id, 1, w.supplier_user.id)
    assert made.source_buyer_id == w.source.id
    (granted,) = _events(db, "share.granted")
    assert (granted.buyer_id, granted.actor_id, granted.object_id) == (
        w.receiver.id, w.supplier_user.id, made.id)
    listed = text(client.get(f"/responses/{w.response.id}/sharing"))
    assert RECEIVER in listed
    assert tr("Revoke the share with %(buyer)s", buyer=RECEIVER) in listed


def test_sharing_needs_consent_and_a_buyer_with_an_agreement(client, db, sharing):
    w = sharing
    assert sign_in(client, w.supplier_user.email).status_code == 302

    no_consent = share(client, w, w.receiver.id, consent=False)
    assert no_consent.status_code == 422
    assert tr("Tick the box to give your consent, or do not share") in text(no_consent)

    no_agreement = share(client, w, w.third.id)
    assert no_agreement.status_code == 422
    assert tr("Choose one of the buyers listed: a response can be shared only with a buyer "
              "that has an agreement with your company") in text(no_agreement)
    assert _shares(db) == []


def test_the_service_refuses_a_buyer_without_an_agreement_and_an_unsubmitted_response(
        db, sharing, make_response):
    w = sharing
    with pytest.raises(services.ShareError) as no_agreement:
        services.grant_share(w.response, w.third.id, actor=w.supplier_user)
    assert no_agreement.value.reason == "no_agreement"
    draft = make_response(w.supplier, agreement=w.source_agreement, year=2026)
    with pytest.raises(services.ShareError) as not_submitted:
        services.grant_share(draft, w.receiver.id, actor=w.supplier_user)
    assert not_submitted.value.reason == "not_submitted"
    assert _shares(db) == []


def test_the_receiver_reads_the_snapshot_with_its_own_verdicts_only(client, db, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302

    listing = client.get("/review/received")
    assert listing.status_code == 200
    assert "Delt Arbeidsklær AS" in text(listing)
    page = client.get(f"/review/received/{made.id}")

    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "policy.pdf" in body
    assert f"/review/received/{made.id}/files/{w.evidence.id}" in body
    assert SOURCE_NOTE not in body
    assert SOURCE_COMMENT not in body
    assert SOURCE_DEVIATION not in body
    # Only the share admits the submission: the source's own pages stay the source's.
    assert client.get(f"/review/responses/{w.response.id}").status_code == 404
    assert client.get(f"/responses/{w.response.id}/files/{w.evidence.id}").status_code == 404
    assert SOURCE_DEVIATION not in client.get("/deviations").get_data(as_text=True)
    (viewed,) = _events(db, "share.viewed")
    assert (viewed.buyer_id, viewed.actor_id) == (w.receiver.id, w.receiver_reviewer.id)

    download = client.get(f"/review/received/{made.id}/files/{w.evidence.id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    token = csrf_token(client, f"/review/received/{made.id}")
    reply = client.post(f"/review/received/{made.id}/verdicts", data={
        "csrf_token": token, "verdicts-0-question_id": "B1", "verdicts-0-verdict": "meets",
        "verdicts-0-comment": "Mottakers egen vurdering",
    })
    assert reply.status_code == 302
    db.session.expire_all()
    (mine,) = db.session.scalars(select(ShareReview).execution_options(**{ALL_BUYERS: True}))
    assert (mine.share_id, mine.buyer_id, mine.question_id, mine.verdict) == (
        made.id, w.receiver.id, "B1", "meets")
    assert "Mottakers egen vurdering" in client.get(f"/review/received/{made.id}").get_data(as_text=True)
    sign_out(client)

    # The source buyer's review page never shows the receiver's verdicts, nor the share.
    assert sign_in(client, w.source_reviewer.email).status_code == 302
    source_page = client.get(f"/review/responses/{w.response.id}").get_data(as_text=True)
    assert "Mottakers egen vurdering" not in source_page
    assert client.get(f"/review/received/{made.id}").status_code == 404
    assert "Delt Arbeidsklær AS" not in text(client.get("/review/received"))


def test_an_unknown_question_or_verdict_saves_nothing(client, db, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")

    unknown = client.post(f"/review/received/{made.id}/verdicts", data={
        "csrf_token": token, "verdicts-0-question_id": "B1", "verdicts-0-verdict": "meets",
        "verdicts-1-question_id": "Z99", "verdicts-1-verdict": "meets"})
    bad = client.post(f"/review/received/{made.id}/verdicts", data={
        "csrf_token": token, "verdicts-0-question_id": "B1", "verdicts-0-verdict": "great"})

    assert unknown.status_code == 302
    assert bad.status_code == 422
    assert tr("Choose one of the verdicts in the list") in text(bad)
    db.session.expire_all()
    assert list(db.session.scalars(select(ShareReview).execution_options(**{ALL_BUYERS: True}))) == []


def test_a_third_buyer_and_other_suppliers_see_nothing(client, db, sharing):
    w = sharing
    made = shared(client, db, w)

    assert sign_in(client, w.third_reviewer.email).status_code == 302
    assert client.get(f"/review/received/{made.id}").status_code == 404
    assert client.get(f"/review/received/{made.id}/files/{w.evidence.id}").status_code == 404
    assert "Delt Arbeidsklær AS" not in text(client.get("/review/received"))
    token = csrf_token(client, "/review/received")
    assert client.post(f"/review/received/{made.id}/accept",
                       data={"csrf_token": token}).status_code == 404
    # Staff cannot share a response, not even their own buyer's.
    sign_out(client)
    assert sign_in(client, w.source_reviewer.email).status_code == 302
    assert client.get(f"/responses/{w.response.id}/sharing").status_code == 403
    assert client.post(f"/responses/{w.response.id}/sharing/new",
                       data={"csrf_token": csrf_token(client, "/review")}).status_code == 403
    sign_out(client)

    assert sign_in(client, w.other_supplier_user.email).status_code == 302
    assert client.get(f"/responses/{w.response.id}/sharing").status_code == 404
    token = csrf_token(client, "/company/")
    assert client.post(f"/responses/{w.response.id}/sharing/{made.id}/revoke",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/responses/{w.response.id}/sharing/new",
                       data={"csrf_token": token, "buyer_id": str(w.receiver.id),
                             "consent": "y"}).status_code == 404
    assert _shares(db)[0].revoked_at is None
    assert len(_shares(db)) == 1


def test_revoking_stops_access_and_keeps_what_was_recorded(client, db, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")
    accepted = client.post(f"/review/received/{made.id}/accept",
                           data={"csrf_token": token, "agreement_id": str(w.receiver_agreement.id)})
    assert accepted.status_code == 302
    sign_out(client)

    assert sign_in(client, w.supplier_user.email).status_code == 302
    token = csrf_token(client, f"/responses/{w.response.id}/sharing")
    assert client.post(f"/responses/{w.response.id}/sharing/{made.id}/revoke",
                       data={"csrf_token": token}).status_code == 302
    sign_out(client)

    (revoked,) = _shares(db)
    assert revoked.revoked_by_id == w.supplier_user.id
    (event,) = _events(db, "share.revoked")
    assert event.buyer_id == w.receiver.id
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    assert client.get(f"/review/received/{made.id}").status_code == 404
    assert client.get(f"/review/received/{made.id}/files/{w.evidence.id}").status_code == 404
    assert "Delt Arbeidsklær AS" not in text(client.get("/review/received"))
    activities = client.get("/review/activities")
    assert tr("Shared self-assessment") in text(activities)
    (activity,) = _activities(db)
    page = client.get(f"/review/activities/{activity.id}")
    assert page.status_code == 200
    assert SOURCE in text(page)
    assert f"/review/activities/{activity.id}/edit" not in page.get_data(as_text=True)
    # Its kind rests on the share: correcting it by hand is refused, nothing changes.
    edit = client.get(f"/review/activities/{activity.id}/edit")
    assert edit.status_code == 302
    assert _activities(db)[0].kind == "shared_self_assessment"
