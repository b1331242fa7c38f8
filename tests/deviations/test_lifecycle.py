"""The lifecycle of DOMAIN 5.5: only the allowed transitions, and the supplier's part in it."""

from __future__ import annotations

import io
from datetime import date

import pytest

from portal import clock
from portal.codes import CLOSED_DEVIATION_STATUSES, DEVIATION_STATUSES, DEVIATION_TRANSITIONS
from portal.deviations import services
from portal.models import Attachment, AuditEvent, Deviation, DeviationUpdate
from tests.auth.helpers import flashed, link_in, post, text, tr
from tests.conftest import csrf_token
from tests.deviations.helpers import make_deviation, plan_form

STATUSES = [status.code for status in DEVIATION_STATUSES]
PAIRS = [(before, after) for before in STATUSES for after in STATUSES]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _reload(db, deviation):
    db.session.expire_all()
    return db.session.get(Deviation, deviation.id)


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{b}->{a}" for b, a in PAIRS])
def test_every_transition_of_the_table_and_no_other(db, make, before, after):
    deviation = make_deviation(db, make.supplier(), status=before)
    reviewer = make.user(role="reviewer")
    allowed = after in DEVIATION_TRANSITIONS[before]

    if allowed:
        update = services.change_deviation_status(deviation, after, actor=reviewer,
                                                  today=date(2025, 5, 5), comment="Ok")
        assert deviation.status == after
        assert (update.status_before, update.status_after, update.text) == (before, after, "Ok")
        assert deviation.closed_date == (date(2025, 5, 5) if after in CLOSED_DEVIATION_STATUSES
                                         else None)
        event = db.session.query(AuditEvent).filter_by(action="deviation.status_changed").one()
        assert (event.before, event.after) == (before, after)
    else:
        with pytest.raises(services.TransitionRefused):
            services.change_deviation_status(deviation, after, actor=reviewer,
                                             today=date(2025, 5, 5))
        db.session.rollback()
        stored = _reload(db, deviation)
        assert stored.status == before
        assert stored.closed_date is None
        assert db.session.query(DeviationUpdate).count() == 0
        assert db.session.query(AuditEvent).count() == 0


@pytest.mark.parametrize("before", STATUSES)
def test_the_status_form_allows_exactly_the_table(client, db, make, login_as, sent_mail, before):
    supplier = make.supplier()
    make.user(role="supplier", supplier=supplier)
    login_as("reviewer")
    for after in STATUSES:
        deviation = make_deviation(db, supplier, status=before)
        path = f"/deviations/{deviation.id}"
        reply = client.post(f"{path}/status", data={"csrf_token": csrf_token(client, path),
                                                    "status": after})
        assert reply.status_code == 302
        stored = _reload(db, deviation)
        if after in DEVIATION_TRANSITIONS[before]:
            assert stored.status == after, (before, after)
        else:
            assert stored.status == before, (before, after)
            assert tr("A deviation cannot go from “%(before)s” to “%(after)s”. Nothing was "
                      "changed.", before=DEVIATION_STATUSES.label(before),
                      after=DEVIATION_STATUSES.label(after)) in flashed(client)
            assert stored.updates == []
    assert len(sent_mail) == len(DEVIATION_TRANSITIONS[before])


def test_an_unknown_status_is_refused_by_the_form(client, db, make, login_as):
    deviation = make_deviation(db, make.supplier())
    login_as("reviewer")

    reply = post(client, f"/deviations/{deviation.id}/status", {"status": "DONE"})

    assert reply.status_code == 422
    assert tr("Choose the new status") in text(reply)
    assert _reload(db, deviation).status == "REGISTERED"


def test_the_supplier_proposes_a_plan_reports_and_closes_the_reviewer_approves_and_closes(
    client, db, make, login_as, sent_mail
):
    supplier = make.supplier()
    colleague = make.user(role="supplier", supplier=supplier, locale="en")
    deviation = make_deviation(db, supplier, deadline=date(2030, 1, 1))
    reviewer = make.user(role="reviewer")
    db.session.commit()
    login_as("supplier", supplier=supplier)
    page = f"/deviations/{deviation.id}"

    # Before approval the supplier cannot send evidence of closure.
    early = client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Ferdig", "closure": "y"})
    assert early.status_code == 302
    assert tr("Evidence of closure can be sent only while the correction is in progress, after "
              "the plan is approved.") in flashed(client)

    reply = client.post(f"{page}/plan", data={"csrf_token": csrf_token(client, page),
                                             **plan_form(("Etterbetale innen 1. mai.", "Daglig leder", "2027-05-01"))})
    assert reply.status_code == 302
    stored = _reload(db, deviation)
    assert stored.status == "AWAITING_CAP"
    assert stored.plan_actions == [
        {"action": "Etterbetale innen 1. mai.", "responsible": "Daglig leder", "deadline": "2027-05-01"}]
    assert "Etterbetale innen 1. mai." in stored.supplier_plan
    assert [u.kind for u in stored.updates] == ["plan", "status", "status"]
    # The reviewer is told of the plan; the colleague (not the one who acted) of the status.
    assert [m.to for m in sent_mail] == [reviewer.email, colleague.email]
    assert "Etterbetale innen 1. mai." in sent_mail[0].text
    assert "Awaiting corrective action plan" in sent_mail[1].subject

    services.approve_plan(stored, actor=reviewer, today=clock.today())
    db.session.commit()
    assert _reload(db, deviation).status == "IN_PROGRESS"
    assert _reload(db, deviation).plan_approved_at is not None

    progress = client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Halvveis.",
        "files": [(io.BytesIO(PDF), "lonnslister.pdf")]}, content_type="multipart/form-data")
    assert progress.status_code == 302
    assert _reload(db, deviation).status == "IN_PROGRESS"

    closure = client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Alle er etterbetalt.", "closure": "y",
        "files": [(io.BytesIO(PDF), "kvitteringer.pdf")]}, content_type="multipart/form-data")
    assert closure.status_code == 302
    stored = _reload(db, deviation)
    assert stored.status == "VERIFYING"
    kinds = [(u.kind, [a.original_name for a in u.attachments]) for u in stored.updates]
    assert ("progress", ["lonnslister.pdf"]) in kinds
    assert ("closure", ["kvitteringer.pdf"]) in kinds
    attachment = db.session.query(Attachment).filter_by(original_name="kvitteringer.pdf").one()
    download = client.get(f"{page}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")


def test_the_contract_manager_hears_of_each_plan_progress_and_closure_in_their_language(
    client, db, make, login_as, sent_mail
):
    supplier = make.supplier()
    manager = make.user(role="reviewer", locale="en")
    make.user(role="reviewer")  # another reviewer, not on this agreement
    agreement = make.agreement(suppliers=[supplier], contract_manager=manager)
    deviation = make_deviation(db, supplier, agreement_id=agreement.id, deadline=date(2030, 1, 1))
    login_as("supplier", supplier=supplier)
    page = f"/deviations/{deviation.id}"

    client.post(f"{page}/plan", data={"csrf_token": csrf_token(client, page),
                                     **plan_form(("Etterbetale innen 1. mai.", "Daglig leder", "2027-05-01"))})
    services.approve_plan(_reload(db, deviation), actor=manager, today=clock.today())
    db.session.commit()
    client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Halvveis.",
        "files": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]},
        content_type="multipart/form-data")
    client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Alle er etterbetalt.", "closure": "y"})

    assert [m.to for m in sent_mail] == [manager.email] * 3
    plan, progress, closure = sent_mail
    assert plan.subject == f"Corrective action plan from {supplier.name}"
    assert "Approve it or get back to the supplier.\n\nType of deviation:" in plan.text
    assert "Etterbetale innen 1. mai." in plan.text
    assert progress.subject == f"Progress report from {supplier.name}"
    assert "2 files are attached to the deviation." in progress.text
    assert closure.subject == f"Evidence of closure from {supplier.name}"
    assert "Verify it and close the deviation." in closure.text
    assert "Status: Remediated – pending verification" in closure.text
    assert link_in(closure) == page
    assert 'lang="en"' in closure.html


def test_a_plan_is_refused_once_approved_and_progress_needs_text(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="IN_PROGRESS", supplier_plan="Plan A")
    login_as("supplier", supplier=supplier)
    page = f"/deviations/{deviation.id}"

    plan = client.post(f"{page}/plan", data={"csrf_token": csrf_token(client, page),
                                            **plan_form(("Plan B", "Innkjøpssjef", "2027-06-01"))})
    empty = client.post(f"{page}/progress", data={"csrf_token": csrf_token(client, page),
                                                 "text": " "})

    assert plan.status_code == 302
    assert empty.status_code == 422
    assert tr("Describe what has been done") in text(empty)
    stored = _reload(db, deviation)
    assert stored.supplier_plan == "Plan A"
    assert stored.updates == []


def test_a_refused_file_sends_nothing(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="IN_PROGRESS")
    login_as("supplier", supplier=supplier)
    page = f"/deviations/{deviation.id}"

    reply = client.post(f"{page}/progress", data={
        "csrf_token": csrf_token(client, page), "text": "Se vedlegg", "closure": "y",
        "files": [(io.BytesIO(b"MZ\x90\x00binary"), "virus.exe")]},
        content_type="multipart/form-data")

    assert reply.status_code == 422
    assert "virus.exe" in text(reply)
    stored = _reload(db, deviation)
    assert stored.status == "IN_PROGRESS"
    assert stored.updates == []


def test_approving_needs_a_proposed_plan(client, db, make, login_as, sent_mail):
    supplier = make.supplier()
    make.user(role="supplier", supplier=supplier)
    without = make_deviation(db, supplier, status="AWAITING_CAP")
    with_plan = make_deviation(db, supplier, status="AWAITING_CAP", supplier_plan="Plan")
    login_as("reviewer")

    refused = post(client, f"/deviations/{without.id}/approve-plan")
    assert refused.status_code == 302
    assert _reload(db, without).status == "AWAITING_CAP"
    approved = post(client, f"/deviations/{with_plan.id}/approve-plan", {"comment": "Godkjent."})
    assert approved.status_code == 302
    assert _reload(db, with_plan).status == "IN_PROGRESS"
    assert "Godkjent." in sent_mail[-1].text
    assert link_in(sent_mail[-1]) == f"/deviations/{with_plan.id}"


def test_a_proposed_deviation_is_confirmed_only_with_a_description(client, db, make, submitted,
                                                                   login_as, sent_mail):
    user = make.user(role="supplier")
    submitted(user=user, answers={"E1": {"answer": "no"}})
    proposal = db.session.query(Deviation).one()
    login_as("reviewer")

    status = post(client, f"/deviations/{proposal.id}/status", {"status": "NOTIFIED"})
    assert status.status_code == 302
    assert _reload(db, proposal).status == "REGISTERED"
    refused = post(client, f"/deviations/{proposal.id}/confirm")
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"/deviations/{proposal.id}/edit")
    assert _reload(db, proposal).is_proposed
    assert sent_mail == []

    proposal.description = "Ingen oppfølging av tiltak."
    db.session.commit()
    confirmed = post(client, f"/deviations/{proposal.id}/confirm")

    assert confirmed.status_code == 302
    stored = _reload(db, proposal)
    assert not stored.is_proposed
    assert stored.status == "REGISTERED"
    assert [m.to for m in sent_mail] == [user.email]
    assert db.session.query(AuditEvent).filter_by(action="deviation.confirmed").one().after is False
    again = post(client, f"/deviations/{proposal.id}/confirm")
    assert again.status_code == 302
    assert len(sent_mail) == 1


def test_staff_notes_are_internal_unless_marked_for_the_supplier(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier)
    login_as("reviewer")

    post(client, f"/deviations/{deviation.id}/notes", {"text": "Kun for oss.", "is_internal": "y"})
    post(client, f"/deviations/{deviation.id}/notes", {"text": "Til leverandøren."})
    empty = post(client, f"/deviations/{deviation.id}/notes", {"text": ""})

    assert empty.status_code == 422
    notes = {u.text: u.is_internal for u in _reload(db, deviation).updates}
    assert notes == {"Kun for oss.": True, "Til leverandøren.": False}
