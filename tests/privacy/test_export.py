"""Access and portability: a person's own download, and an administrator's on request."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal import audit, clock
from portal.models import (
    Answer,
    AuditEvent,
    Clarification,
    ClarificationReply,
    EvidenceFile,
    Response,
    Submission,
)
from tests.auth.helpers import location, post, sign_in, tr

EXPORT = "/privacy/my-data"


@pytest.fixture
def people(make: Any, db: Any) -> dict[str, Any]:
    """Two colleagues at one supplier who both worked on the same response, and one elsewhere."""
    from portal.rounds.services import create_round, ensure_shipped_versions

    version = ensure_shipped_versions()[0]
    round_ = create_round(year=clock.today().year, name_nb="Oppfølging", name_en="Follow-up", version=version,
                          deadline=clock.today() + timedelta(days=10), actor=None,
                          buyer=make.default_buyer)
    supplier = make.supplier(name="Alfa AS")
    kari = make.user(role="supplier", supplier=supplier, email="kari@alfa.example", name="Kari Nordmann",
                     job_title="Innkjøpssjef")
    ola = make.user(role="supplier", supplier=supplier, email="ola@alfa.example", name="Ola Nordmann")
    other = make.user(role="supplier", email="per@beta.example")
    agreement = make.agreement(suppliers=[supplier], reference="LK-1")
    response = Response(round=round_, agreement=agreement, supplier=supplier, status="submitted",
                        deadline=round_.deadline)
    response.answers.append(Answer(question_id="A1", value={"name": "Kari Nordmann"}, updated_by=kari))
    response.answers.append(Answer(question_id="A2", value={"answer": "ja"}, updated_by=ola))
    for user, content, name in ((kari, b"%PDF-1.4 kari\n%%EOF\n", "Sosial dialog – møtereferat.pdf"),
                                (ola, b"%PDF-1.4 ola\n%%EOF\n", "ola.pdf")):
        stored = make.stored_file(content)
        response.files.append(EvidenceFile(
            question_id="B1", part_id="file", original_name=name, stored_name=stored.key,
            size=len(content), sha256=stored.sha256, mimetype="application/pdf", uploaded_by=user))
    receipt = make.stored_file(b"%PDF-1.4 receipt\n%%EOF\n", kind="receipts")
    response.submissions.append(Submission(number=1, answers={"A1": {"name": "Kari Nordmann"}}, files=[],
                                           submitted_by=kari, receipt_name=receipt.key))
    db.session.add(response)
    db.session.add(Clarification(response=response, number=1, message="Utdyp", questions=["A1", "A2"], replies=[
        ClarificationReply(question_id="A1", text="Kari svarer.", updated_by=kari),
        ClarificationReply(question_id="A2", text="Ola svarer.", updated_by=ola)]))
    db.session.flush()
    audit.record("answer.changed", response, actor=kari, supplier_id=supplier.id, field="A1",
                 after={"name": "Kari Nordmann"})
    audit.record("answer.changed", response, actor=ola, supplier_id=supplier.id, field="A2")
    db.session.commit()
    return {"kari": kari, "ola": ola, "other": other, "response": response, "supplier": supplier}


def archive_of(reply: Any) -> tuple[dict[str, Any], zipfile.ZipFile]:
    assert reply.status_code == 200, reply.status_code
    assert reply.mimetype == "application/zip"
    assert "attachment" in reply.headers["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(reply.get_data()))
    return json.loads(zf.read("personal-data.json")), zf


def test_a_user_downloads_what_the_portal_holds_about_them(client, people, db):
    kari = people["kari"]
    assert sign_in(client, kari.email).status_code == 302

    document, zf = archive_of(post(client, EXPORT))

    assert document["profile"]["email"] == "kari@alfa.example"
    assert document["profile"]["name"] == "Kari Nordmann"
    assert document["profile"]["job_title"] == "Innkjøpssjef"
    assert document["profile"]["organisation"]["name"] == "Alfa AS"
    assert "password_hash" not in json.dumps(document)
    assert kari.password_hash not in json.dumps(document)
    assert kari.session_token not in json.dumps(document)
    # The sign-in just made is there.
    assert len(document["sign_ins"]["successful"]) == 1
    assert document["sign_ins"]["last_signed_in_at"] is not None
    # The declaration Kari signed, with its receipt.
    [declaration] = document["declarations_signed"]
    assert declaration["response_id"] == people["response"].id
    assert declaration["agreement"] == "LK-1"
    assert zf.read(declaration["archive_path"]) == b"%PDF-1.4 receipt\n%%EOF\n"
    # Her answers and files, not her colleague's.
    assert [a["question_id"] for a in document["answers_written"]] == ["A1"]
    assert [(r["question_id"], r["text"]) for r in document["clarification_replies_written"]] == [
        ("A1", "Kari svarer.")]
    [upload] = document["files_uploaded"]
    assert upload["original_name"] == "Sosial dialog – møtereferat.pdf"
    assert zf.read(upload["archive_path"]) == b"%PDF-1.4 kari\n%%EOF\n"
    assert upload["archive_path"].endswith("Sosial dialog – møtereferat.pdf")
    assert not any(b"ola" in zf.read(name) for name in zf.namelist() if name.startswith("files/"))
    # Audit events where she is the actor: her answer change and her sign-in, not Ola's.
    actions = [(e["action"], e["field"]) for e in document["audit_events_as_actor"]]
    assert ("answer.changed", "A1") in actions
    assert ("answer.changed", "A2") not in actions
    assert ("user.login", None) in actions


def test_the_export_is_in_the_audit_trail(client, people, db):
    kari = people["kari"]
    sign_in(client, kari.email)

    post(client, EXPORT)

    db.session.expire_all()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.data_exported")).one()
    assert (event.actor_id, event.object_id) == (kari.id, kari.id)


def test_a_missing_file_is_named_not_fatal(client, people, db):
    from portal import storage

    kari = people["kari"]
    storage.backend().delete(next(f for f in people["response"].files if f.uploaded_by_id == kari.id).stored_name)
    sign_in(client, kari.email)

    document, zf = archive_of(post(client, EXPORT))

    [upload] = document["files_uploaded"]
    assert upload["missing_from_storage"] is True
    assert upload["archive_path"] is None
    assert [n for n in zf.namelist() if n.startswith("files/evidence/")] == []


def test_an_administrator_exports_a_person_on_request(app, client, people, make, db):
    admin = make.user(role="admin")
    db.session.commit()
    sign_in(client, admin.email)

    document, zf = archive_of(post(client, f"/admin/users/{people['ola'].id}/personal-data"))

    assert document["profile"]["email"] == "ola@alfa.example"
    assert [a["question_id"] for a in document["answers_written"]] == ["A2"]
    assert document["declarations_signed"] == []
    assert zf.read(document["files_uploaded"][0]["archive_path"]) == b"%PDF-1.4 ola\n%%EOF\n"
    db.session.expire_all()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.data_exported")).one()
    assert (event.actor_id, event.object_id) == (admin.id, people["ola"].id)
    # Ola sees in his own export that an administrator exported his data.
    ola_client = app.test_client()
    sign_in(ola_client, people["ola"].email)
    about = archive_of(post(ola_client, EXPORT))[0]["audit_events_about_account"]
    assert [e["action"] for e in about] == ["user.data_exported"]


def test_an_unknown_person_is_404_for_the_administrator(client, make, db):
    admin = make.user(role="admin")
    db.session.commit()
    sign_in(client, admin.email)

    assert post(client, "/admin/users/999999/personal-data").status_code == 404


@pytest.mark.parametrize("role", ["supplier", "reviewer"])
def test_only_administrators_export_someone_else(client, people, make, db, role):
    visitor = people["ola"] if role == "supplier" else make.user(role="reviewer")
    db.session.commit()
    sign_in(client, visitor.email)

    assert post(client, f"/admin/users/{people['kari'].id}/personal-data").status_code == 403


def test_without_a_valid_form_nothing_is_exported(client, people, db):
    sign_in(client, people["kari"].email)

    reply = client.post(EXPORT, data={})

    assert reply.status_code in (302, 400)
    assert reply.mimetype != "application/zip"


def test_privacy_page_offers_the_download_only_when_signed_in(client, people, db):
    anonymous = client.get("/privacy")
    assert anonymous.status_code == 200
    assert 'action="/privacy/my-data"' not in anonymous.get_data(as_text=True)
    assert tr("Sign in to download your data") in anonymous.get_data(as_text=True)

    sign_in(client, people["kari"].email)
    assert 'action="/privacy/my-data"' in client.get("/privacy").get_data(as_text=True)


def test_every_page_links_to_the_privacy_statement(client, db):
    for path in ("/login", "/accessibility", "/privacy"):
        assert 'href="/privacy"' in client.get(path).get_data(as_text=True), path


def test_a_signed_out_visitor_is_sent_to_sign_in(client, db):
    reply = post(client, EXPORT)

    assert reply.status_code == 302
    assert location(reply).startswith("/login")
