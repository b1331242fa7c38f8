"""The portal's own file flows on each backend: evidence upload and download, the receipt."""

from __future__ import annotations

import io

from sqlalchemy import select

from portal import storage
from portal.models import EvidenceFile, Response, StoredObject
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_all(db, response, user):
    from portal.models import Answer
    from portal.questionnaires import engine
    from portal.questionnaires.samples import sample_answers

    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    for question_id, value in sample_answers(sections).items():
        if question_id != "I1":
            db.session.add(Answer(response=response, question_id=question_id, value=value, updated_by=user))
    db.session.commit()


def upload_evidence(client, response, content=PDF, name="policy.pdf"):
    path = f"/responses/{response.id}/sections/B"
    return client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-B1": "1", "q-B1-answer": "yes",
        "q-B1-file-upload": (io.BytesIO(content), name),
    }, content_type="multipart/form-data")


def submit(client, response):
    path = f"/responses/{response.id}/submit"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
                                   "q-I1-confirm-name": "Per Hansen", "q-I1-confirm-title": "Daglig leder",
                                   "q-I1-confirm-date": "2025-03-01"})


def test_evidence_is_uploaded_to_and_downloaded_from_storage(storage_url, client, db, login_as, make_response):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()

    reply = upload_evidence(client, response)

    assert reply.status_code == 302
    evidence = db.session.scalar(select(EvidenceFile))
    record = db.session.scalar(select(StoredObject).where(StoredObject.key == evidence.stored_name))
    assert record.backend == storage_url.split(":")[0]
    assert storage.read_bytes(evidence.stored_name) == PDF
    download = client.get(f"/responses/{response.id}/files/{evidence.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"] == "attachment; filename=policy.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")


def test_a_refused_upload_leaves_nothing_in_storage(storage_url, client, db, login_as, make_response):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()

    reply = upload_evidence(client, response, content=b"<html><script>alert(1)</script></html>")

    assert reply.status_code == 200
    assert db.session.scalar(select(StoredObject)) is None
    assert [i.key for i in storage.backend().list("uploads")] == []


def test_another_supplier_cannot_download_the_evidence(storage_url, client, db, login_as, make, make_response):
    owner = make.user(role="supplier", supplier=make.supplier())
    response = make_response(owner.supplier)
    key = make.stored_file().key
    evidence = EvidenceFile(response=response, question_id="B1", part_id="file", original_name="x.pdf",
                            stored_name=key, size=len(PDF), sha256="0" * 64, mimetype="application/pdf")
    db.session.add(evidence)
    db.session.commit()
    login_as("supplier")

    assert client.get(f"/responses/{response.id}/files/{evidence.id}").status_code == 404


def test_the_receipt_is_stored_and_served_from_storage(storage_url, client, db, login_as, make_response,
                                                       sent_mail):
    user = login_as("supplier")
    response = make_response(user.supplier, variant="simplified")
    fill_all(db, response, user)

    reply = submit(client, response)

    assert reply.status_code == 302, reply.get_data(as_text=True)[:1000]
    db.session.expire_all()
    submission = db.session.get(Response, response.id).submissions[0]
    assert submission.receipt_name.startswith("receipts/")
    stored = storage.read_bytes(submission.receipt_name)
    assert stored.startswith(b"%PDF")
    receipt = client.get(f"/responses/{response.id}/submissions/1/receipt.pdf")
    assert receipt.status_code == 200
    assert receipt.data == stored
    assert receipt.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in receipt.headers["Content-Disposition"]
    assert sent_mail[-1].attachments[0].content == stored


def test_a_receipt_missing_from_storage_answers_404(storage_url, client, db, login_as, make_response,
                                                    sent_mail):
    user = login_as("supplier")
    response = make_response(user.supplier, variant="simplified")
    fill_all(db, response, user)
    assert submit(client, response).status_code == 302
    db.session.expire_all()
    storage.backend().delete(db.session.get(Response, response.id).submissions[0].receipt_name)

    assert client.get(f"/responses/{response.id}/submissions/1/receipt.pdf").status_code == 404
