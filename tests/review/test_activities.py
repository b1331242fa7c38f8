"""Follow-up activities recorded by hand, with files, and listed by year, kind and party."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from portal import clock
from portal.models import Attachment, AuditEvent, FollowUpActivity
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post(client, data, files=()):
    form = {"csrf_token": csrf_token(client, "/review/activities/new"), **data}
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/review/activities/new", data=form, content_type="multipart/form-data")


def test_an_activity_is_recorded_with_files_and_audited(client, db, make, login_as):
    supplier = make.supplier(name="Møte AS")
    agreement = make.agreement(suppliers=[supplier])
    reviewer = login_as("reviewer")

    reply = _post(client, {"kind": "status_meeting", "date": "2025-03-04",
                           "agreement_id": agreement.id, "supplier_id": supplier.id,
                           "notes": "Gikk gjennom tiltaksplanen."},
                  files=[("referat.pdf", PDF), ("notat.txt", b"Kort notat")])

    assert reply.status_code == 302, text(reply)
    activity = db.session.query(FollowUpActivity).one()
    assert (activity.kind, activity.date, activity.created_by_id) == (
        "status_meeting", date(2025, 3, 4), reviewer.id)
    assert sorted(a.original_name for a in activity.attachments) == ["notat.txt", "referat.pdf"]
    event = db.session.query(AuditEvent).filter_by(action="activity.created").one()
    assert event.after["kind"] == "status_meeting"
    assert len(event.after["files"]) == 2
    page = client.get(f"/review/activities/{activity.id}")
    assert "Gikk gjennom tiltaksplanen." in text(page)
    assert "referat.pdf" in text(page)
    attachment = next(a for a in activity.attachments if a.original_name == "referat.pdf")
    download = client.get(f"/review/activities/{activity.id}/files/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "coffee"}, "Choose the kind of activity"),
        ({"date": ""}, "Enter the date as yyyy-mm-dd"),
        ({"date": "31.02.2025"}, "Enter the date as yyyy-mm-dd"),
        ({"date": (clock.today() + timedelta(days=2)).isoformat()},
         "The date cannot be in the future: record activities that took place"),
        ({"agreement_id": "0"}, "Choose the agreement the activity concerns"),
        ({"supplier_id": "999999"}, "Choose the supplier the activity concerns"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, db, make, login_as, changes, message):
    supplier = make.supplier()
    agreement = make.agreement(suppliers=[supplier])
    login_as("reviewer")
    data = {"kind": "site_audit", "date": "2025-03-04", "agreement_id": agreement.id,
            "supplier_id": supplier.id, **changes}

    reply = _post(client, data)

    assert reply.status_code == 422
    assert tr(message) in text(reply)
    assert db.session.query(FollowUpActivity).count() == 0


def test_the_supplier_must_be_on_the_agreement(client, db, make, login_as):
    agreement = make.agreement()
    outsider = make.supplier()
    login_as("reviewer")

    reply = _post(client, {"kind": "spot_check", "date": "2025-03-04",
                           "agreement_id": agreement.id, "supplier_id": outsider.id})

    assert reply.status_code == 422
    assert tr("The supplier is not on this agreement. Choose one of the supplier's "
              "agreements.") in (
        text(reply))
    assert db.session.query(FollowUpActivity).count() == 0


def test_a_refused_file_refuses_the_activity(client, db, make, login_as, app):
    supplier = make.supplier()
    agreement = make.agreement(suppliers=[supplier])
    login_as("reviewer")

    reply = _post(client, {"kind": "document_review", "date": "2025-03-04",
                           "agreement_id": agreement.id, "supplier_id": supplier.id},
                  files=[("ok.pdf", PDF), ("evil.pdf", b"<html><script>x</script>")])

    assert reply.status_code == 422
    assert "evil.pdf" in text(reply)
    assert db.session.query(FollowUpActivity).count() == 0
    assert db.session.query(Attachment).count() == 0


def test_activities_are_listed_and_filtered(client, db, make, login_as):
    supplier, other = make.supplier(name="Første AS"), make.supplier(name="Andre AS")
    agreement = make.agreement(suppliers=[supplier, other])
    for kind, day, who in (("site_audit", date(2024, 5, 1), supplier),
                           ("spot_check", date(2025, 2, 1), supplier),
                           ("spot_check", date(2025, 3, 1), other)):
        db.session.add(FollowUpActivity(kind=kind, date=day, agreement_id=agreement.id,
                                        supplier_id=who.id))
    db.session.commit()
    login_as("reviewer")

    def count(query: str) -> int:
        page = client.get(f"/review/activities{query}").get_data(as_text=True)
        return page.count("/review/activities/") - page.count("/review/activities/new")

    assert count("") == 3
    assert count("?year=2025") == 2
    assert count("?kind=spot_check") == 2
    assert count(f"?supplier={other.id}") == 1
    assert count(f"?agreement={agreement.id}&year=2024") == 1
    assert count("?year=abc&kind=nope") == 3
