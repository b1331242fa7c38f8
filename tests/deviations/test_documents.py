"""Staff attach files to a deviation (an audit report received by e-mail), internal or for the supplier."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.models import Attachment, AuditEvent, Deviation, DeviationUpdate, StoredObject
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token
from tests.deviations.helpers import make_deviation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _attach(client, deviation_id, files, note="", internal=True, token_from=None):
    page = f"/deviations/{deviation_id}"
    data = {"csrf_token": csrf_token(client, token_from or page), "document_note": note,
            "documents": [(io.BytesIO(content), name) for name, content in files]}
    if internal:
        data["document_internal"] = "y"
    return client.post(f"{page}/documents", data=data, content_type="multipart/form-data")


def _stored(db):
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Attachment.id))),
            db.session.scalar(select(func.count(StoredObject.key))),
            db.session.scalar(select(func.count(DeviationUpdate.id))))


@pytest.fixture
def case(db, make):
    supplier = make.supplier(name="Alfa AS")
    agreement = make.agreement(suppliers=[supplier], reference="LK-Alfa")
    deviation = make_deviation(db, supplier, agreement_id=agreement.id, status="IN_PROGRESS")
    return deviation, supplier, agreement


def test_staff_attach_several_files_for_the_supplier_to_see(client, db, make, case, login_as):
    deviation, supplier, _agreement = case
    reviewer = login_as("reviewer", locale="en")

    reply = _attach(client, deviation.id, [("revisjon.pdf", PDF), ("bilder.pdf", PDF)],
                    note="Revisjonsrapport fra Amfori, mottatt på e-post 3.12.", internal=False)

    assert reply.status_code == 302
    db.session.expire_all()
    [update] = db.session.scalars(select(DeviationUpdate).where(DeviationUpdate.deviation_id == deviation.id))
    assert (update.kind, update.is_internal, update.author_id) == ("documents", False, reviewer.id)
    assert update.text == "Revisjonsrapport fra Amfori, mottatt på e-post 3.12."
    assert sorted(a.original_name for a in update.attachments) == ["bilder.pdf", "revisjon.pdf"]
    assert all(a.uploaded_by_id == reviewer.id and a.stored is not None for a in update.attachments)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deviation.documents_added"))
    assert event.actor_id == reviewer.id
    page = text(client.get(f"/deviations/{deviation.id}"))
    assert "Files from the municipality" in page
    assert "revisjon.pdf" in page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("supplier", supplier=supplier, locale="en")
    shown = text(client.get(f"/deviations/{deviation.id}"))
    assert "Revisjonsrapport fra Amfori" in shown
    assert "revisjon.pdf" in shown
    attachment = next(a for a in update.attachments if a.original_name == "revisjon.pdf")
    download = client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]


def test_internal_files_are_never_shown_to_the_supplier(client, db, make, case, login_as):
    deviation, supplier, _agreement = case
    login_as("reviewer")

    reply = _attach(client, deviation.id, [("intern-rapport.pdf", PDF)], note="HEMMELIG-VEDLEGG")

    assert reply.status_code == 302
    attachment = db.session.scalar(select(Attachment).where(Attachment.original_name == "intern-rapport.pdf"))
    assert attachment.deviation_update.is_internal
    assert client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("supplier", supplier=supplier)
    page = client.get(f"/deviations/{deviation.id}").get_data(as_text=True)
    assert "intern-rapport.pdf" not in page
    assert "HEMMELIG-VEDLEGG" not in page
    assert client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}").status_code == 404


def test_the_form_is_internal_unless_staff_choose_otherwise(client, db, case, login_as):
    deviation, _supplier, _agreement = case
    login_as("reviewer")

    page = client.get(f"/deviations/{deviation.id}").get_data(as_text=True)

    [checkbox] = re.findall(r'<input[^>]*id="document_internal"[^>]*>', page)
    assert " checked" in checkbox


def test_a_refused_file_stores_nothing_and_says_why(client, db, case, login_as):
    deviation, _supplier, _agreement = case
    login_as("reviewer")
    before = _stored(db)

    reply = _attach(client, deviation.id, [("rapport.pdf", PDF), ("virus.exe", b"MZ\x90\x00binary")],
                    note="Se vedlegg")

    assert reply.status_code == 422
    page = text(reply)
    assert "virus.exe" in page
    refused = tr("Files of this type cannot be uploaded. Use PDF, an image (PNG, JPG), an office document "
                 "(Word, Excel, PowerPoint, OpenDocument), CSV or plain text.", "nb")
    assert refused.startswith("Filer av denne typen")
    assert refused in page
    assert _stored(db) == before


def test_a_file_whose_content_is_not_its_type_is_refused(client, db, case, login_as):
    deviation, _supplier, _agreement = case
    login_as("reviewer", locale="en")
    before = _stored(db)

    reply = _attach(client, deviation.id, [("rapport.pdf", b"MZ\x90\x00 not a pdf")])

    assert reply.status_code == 422
    assert "rapport.pdf" in text(reply)
    assert _stored(db) == before


def test_no_file_chosen_is_a_translated_error(client, db, case, login_as):
    deviation, _supplier, _agreement = case
    login_as("reviewer")
    before = _stored(db)

    reply = _attach(client, deviation.id, [], note="Glemte vedlegget")

    assert reply.status_code == 422
    assert tr("Choose at least one file to attach", "nb") in text(reply)
    assert tr("Choose at least one file to attach", "nb") != "Choose at least one file to attach"
    assert "Glemte vedlegget" in reply.get_data(as_text=True)  # what was typed stays
    assert _stored(db) == before


def test_suppliers_cannot_attach_and_another_suppliers_files_are_not_found(client, db, make, case, login_as):
    deviation, supplier, _agreement = case
    login_as("reviewer")
    assert _attach(client, deviation.id, [("synlig.pdf", PDF)], internal=False).status_code == 302
    attachment = db.session.scalar(select(Attachment).where(Attachment.original_name == "synlig.pdf"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    before = _stored(db)

    login_as("supplier", supplier=supplier)
    assert _attach(client, deviation.id, [("egen.pdf", PDF)], token_from="/company/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("supplier", supplier=make.supplier(name="Beta AS"))
    assert client.get(f"/deviations/{deviation.id}").status_code == 404
    assert client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}").status_code == 404
    assert _stored(db) == before


def test_staff_of_another_buyer_get_404(client, db, make, case, login_as):
    deviation, _supplier, _agreement = case
    login_as("reviewer")
    assert _attach(client, deviation.id, [("synlig.pdf", PDF)], internal=False).status_code == 302
    attachment = db.session.scalar(select(Attachment).where(Attachment.original_name == "synlig.pdf"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    before = _stored(db)

    login_as("admin", buyer=make.buyer(name="Annen kommune"))
    reply = _attach(client, deviation.id, [("annen.pdf", PDF)], token_from="/deviations")

    assert reply.status_code == 404
    assert client.get(f"/deviations/{deviation.id}/attachments/{attachment.id}").status_code == 404
    assert _stored(db) == before


def test_a_participant_of_the_joint_agreement_reads_and_cannot_attach(client, db, make, case, login_as):
    deviation, _supplier, agreement = case
    partner = make.buyer(name="Deltakerkommune")
    agreement.participants.append(partner)
    db.session.commit()
    login_as("reviewer")
    assert _attach(client, deviation.id, [("synlig.pdf", PDF)], internal=False).status_code == 302
    assert _attach(client, deviation.id, [("intern.pdf", PDF)]).status_code == 302
    visible, internal = (db.session.scalar(select(Attachment).where(Attachment.original_name == name))
                         for name in ("synlig.pdf", "intern.pdf"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    before = _stored(db)

    login_as("reviewer", buyer=partner)
    page = client.get(f"/deviations/{deviation.id}")
    assert page.status_code == 200
    assert "synlig.pdf" in text(page)
    assert "intern.pdf" not in text(page)
    assert 'id="documents-heading"' not in page.get_data(as_text=True)  # no form to attach
    assert client.get(f"/deviations/{deviation.id}/attachments/{visible.id}").status_code == 200
    assert client.get(f"/deviations/{deviation.id}/attachments/{internal.id}").status_code == 404
    reply = _attach(client, deviation.id, [("deltaker.pdf", PDF)], token_from=f"/deviations/{deviation.id}")
    assert reply.status_code == 404
    assert _stored(db) == before
    assert db.session.get(Deviation, deviation.id).updates[-1].attachments[0].original_name == "intern.pdf"
