"""Filling in a response: drafts keep what was typed, tables, references, files and submission."""

from __future__ import annotations

import io

from portal.models import Answer, AuditEvent, EvidenceFile, Response
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _supplier_with_response(make, make_response, db, login_as, **kwargs):
    user = login_as("supplier")
    response = make_response(user.supplier, **kwargs)
    db.session.commit()
    return user, response


def test_supplier_home_lists_response_with_progress(client, make, make_response, db, login_as):
    _user, response = _supplier_with_response(make, make_response, db, login_as)
    page = client.get("/company/").get_data(as_text=True)
    assert f"/responses/{response.id}" in page
    assert "0 of" in page or "0 av" in page


def test_save_keeps_invalid_input_and_shows_the_message(client, make, make_response, db, login_as):
    _user, response = _supplier_with_response(make, make_response, db, login_as)
    path = f"/responses/{response.id}/sections/B"
    token = csrf_token(client, path)
    reply = client.post(path, data={
        "csrf_token": token, "present-B5": "1", "q-B5-trained": "tolv", "q-B5-total": "-3",
        "present-B4": "1", "q-B4-answer": "Vi har en rutine.",
    })
    assert reply.status_code == 302
    answers = {a.question_id: a.value for a in db.session.query(Answer).all()}
    assert answers["B4"]["answer"] == "Vi har en rutine."
    assert answers["B5"]["trained"] == "tolv"
    page = client.get(path).get_data(as_text=True)
    assert 'value="tolv"' in page
    assert "aria-invalid" in page
    assert db.session.get(Response, response.id).status == "in_progress"


def test_table_rows_are_added_and_removed_without_javascript(client, make, make_response, db, login_as):
    _user, response = _supplier_with_response(make, make_response, db, login_as)
    path = f"/responses/{response.id}/sections/C"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-C5": "1",
                                    "action": "add_row:C5:sites"})
    assert reply.status_code == 302
    rows = db.session.query(Answer).filter_by(question_id="C5").one().value["sites"]
    assert len(rows) == 1
    row_id = rows[0]["_id"]
    reply = client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-C5": "1", "rev-C5": "1",
        "q-C5-sites-rows": row_id, f"q-C5-sites-{row_id}-site_name": "Dhaka Garments Ltd",
        f"q-C5-sites-{row_id}-country": "BD", f"q-C5-sites-{row_id}-workers_total": "1200",
    })
    assert reply.status_code == 302
    db.session.expire_all()
    value = db.session.query(Answer).filter_by(question_id="C5").one().value
    assert value["sites"][0]["site_name"] == "Dhaka Garments Ltd"
    reply = client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-C5": "1", "rev-C5": "2",
        "q-C5-sites-rows": row_id, f"q-C5-sites-{row_id}-site_name": "Dhaka Garments Ltd",
        "action": f"remove_row:C5:sites:{row_id}",
    })
    db.session.expire_all()
    assert db.session.query(Answer).filter_by(question_id="C5").one().value["sites"] == []


def test_reference_offers_rows_of_the_referenced_table(client, make, make_response, db, login_as):
    user, response = _supplier_with_response(make, make_response, db, login_as, social_dialogue=True)
    db.session.add(Answer(response=response, question_id="C5", updated_by=user,
                          value={"sites": [{"_id": "abcd1234", "site_name": "Fabrikk Nord", "country": "CN"}]}))
    db.session.commit()
    page = client.get(f"/responses/{response.id}/sections/H").get_data(as_text=True)
    assert "Fabrikk Nord" in page
    assert 'value="abcd1234"' in page


def test_upload_checks_content_and_keeps_other_answers(client, make, make_response, db, login_as):
    _user, response = _supplier_with_response(make, make_response, db, login_as)
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-B1": "1", "q-B1-answer": "yes",
        "q-B1-file-upload": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "policy.pdf"),
    }, content_type="multipart/form-data")
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "policy.pdf" in page
    assert db.session.query(Answer).filter_by(question_id="B1").one().value["answer"] == "yes"
    assert db.session.query(EvidenceFile).count() == 0
    reply = client.post(path, data={
        "csrf_token": csrf_token(client, path), "present-B1": "1", "q-B1-answer": "yes", "rev-B1": "1",
        "q-B1-file-upload": (io.BytesIO(PDF), "policy.pdf"),
    }, content_type="multipart/form-data")
    assert reply.status_code == 302
    evidence = db.session.query(EvidenceFile).one()
    download = client.get(f"/responses/{response.id}/files/{evidence.id}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.data == PDF


def test_conflicting_save_overwrites_nothing(client, make, make_response, db, login_as):
    user, response = _supplier_with_response(make, make_response, db, login_as)
    colleague = make.user(role="supplier", supplier=user.supplier, name="Kari Kollega")
    db.session.add(Answer(response=response, question_id="B4", value={"answer": "Kari sin tekst"},
                          revision=2, updated_by=colleague))
    db.session.commit()
    path = f"/responses/{response.id}/sections/B"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1", "rev-B4": "1",
                                    "q-B4-answer": "Min tekst"})
    assert reply.status_code == 409
    page = reply.get_data(as_text=True)
    assert "Kari sin tekst" in page
    assert "Min tekst" in page
    db.session.expire_all()
    assert db.session.query(Answer).filter_by(question_id="B4").one().value["answer"] == "Kari sin tekst"


def test_submit_requires_required_answers_then_freezes_snapshot(client, make, make_response, db, login_as, sent_mail):
    user, response = _supplier_with_response(make, make_response, db, login_as, variant="simplified")
    path = f"/responses/{response.id}/submit"
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
                                    "q-I1-confirm-name": "Per", "q-I1-confirm-title": "Daglig leder"})
    assert reply.status_code == 422
    assert db.session.get(Response, response.id).status in ("not_started", "in_progress")
    assert AuditEvent.__table__ is not None


def _fill_all(db, response, user):
    from portal.questionnaires import engine
    from portal.questionnaires.samples import sample_answers

    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    for question_id, value in sample_answers(sections).items():
        if question_id != "I1":
            db.session.add(Answer(response=response, question_id=question_id, value=value, updated_by=user))
    db.session.commit()


def test_submit_freezes_snapshot_and_stores_receipt(client, make, make_response, db, login_as, sent_mail):
    user, response = _supplier_with_response(make, make_response, db, login_as, variant="simplified")
    user.name = "Per Hansen"  # the declaration is signed with the profile's name
    _fill_all(db, response, user)
    path = f"/responses/{response.id}/submit"
    assert client.get(path).status_code == 200
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
                                    "q-I1-confirm-name": "Per Hansen", "q-I1-confirm-title": "Daglig leder",
                                    "q-I1-confirm-date": "2025-03-01"})
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.status == "submitted"
    submission = stored.submissions[0]
    assert submission.answers["I1"]["confirm"]["name"] == "Per Hansen"
    assert submission.receipt_sha256
    receipt = client.get(f"/responses/{response.id}/submissions/1/receipt.pdf")
    assert receipt.status_code == 200
    assert receipt.data.startswith(b"%PDF")
    assert "attachment" in receipt.headers["Content-Disposition"]
    assert sent_mail[-1].to == user.email
    assert sent_mail[-1].attachments[0].content == receipt.data
    # Read-only now: a save is refused and changes nothing.
    section = f"/responses/{response.id}/sections/B"
    reply = client.post(section, data={"csrf_token": csrf_token(client, section), "present-B1": "1",
                                       "q-B1-answer": "no"})
    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.query(Answer).filter_by(question_id="B1").one().value["answer"] == "yes"


def test_foreign_supplier_gets_404_everywhere(client, make, make_response, db, login_as):
    login_as("supplier")
    other = make_response()
    evidence = EvidenceFile(response=other, question_id="B1", part_id="file", original_name="x.pdf",
                            stored_name=make.stored_file().key, size=3, sha256="0" * 64,
                            mimetype="application/pdf")
    db.session.add(evidence)
    db.session.commit()
    for path in (f"/responses/{other.id}", f"/responses/{other.id}/sections/B", f"/responses/{other.id}/submit",
                 f"/responses/{other.id}/files/{evidence.id}", f"/responses/{other.id}/submissions/1/receipt.pdf"):
        assert client.get(path).status_code == 404, path
    for path in (f"/responses/{other.id}/copy", f"/responses/{other.id}/copy/preview?submission=1"):
        assert client.get(path).status_code == 404, path
    path = f"/responses/{other.id}/copy"
    assert client.post(path, data={"csrf_token": csrf_token(client, "/company/")}).status_code == 404


def test_a_number_too_large_to_store_is_refused_at_save_and_shown_as_typed(client, make, make_response, db,
                                                                          login_as):
    _user, response = _supplier_with_response(make, make_response, db, login_as)
    path = f"/responses/{response.id}/sections/B"
    huge = "9" * 40
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B5": "1",
                                    "q-B5-total": huge, "q-B5-trained": "12"})

    assert reply.status_code == 422
    assert db.session.query(Answer).filter_by(question_id="B5").one().value == {"trained": "12"}
    page = reply.get_data(as_text=True)
    assert huge in page
    assert "aria-invalid" in page
    assert client.get(path).status_code == 200
    assert client.get(f"/responses/{response.id}").status_code == 200


def test_a_receipt_the_job_has_not_made_yet_is_made_when_the_supplier_asks(
        app, client, make, make_response, db, login_as, sent_mail):
    from sqlalchemy import func, select

    from portal.models import MailDelivery, Submission

    user, response = _supplier_with_response(make, make_response, db, login_as, variant="simplified")
    _fill_all(db, response, user)
    path = f"/responses/{response.id}/submit"
    client.post(path, data={"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
                            "q-I1-confirm-name": "Per Hansen", "q-I1-confirm-title": "Daglig leder",
                            "q-I1-confirm-date": "2025-03-01"})
    submission = db.session.scalars(select(Submission).where(Submission.response_id == response.id)).one()
    submission.receipt_name = None  # as if the worker had not come to it yet
    db.session.commit()
    mails_before = db.session.scalar(select(func.count(MailDelivery.id)))

    assert f"/responses/{response.id}/submissions/1/receipt.pdf" in client.get(
        f"/responses/{response.id}").get_data(as_text=True)
    receipt = client.get(f"/responses/{response.id}/submissions/1/receipt.pdf")

    assert receipt.status_code == 200
    assert receipt.data.startswith(b"%PDF")
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).receipt_name is not None
    # The receipt mail went with the submit; making the file again does not send it again.
    assert db.session.scalar(select(func.count(MailDelivery.id))) == mails_before


def test_staff_never_make_a_missing_receipt(app, client, make, make_response, db, login_as):
    from sqlalchemy import select

    from portal.models import Submission
    from tests.auth.helpers import sign_in

    user, response = _supplier_with_response(make, make_response, db, login_as, variant="simplified")
    _fill_all(db, response, user)
    path = f"/responses/{response.id}/submit"
    client.post(path, data={"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
                            "q-I1-confirm-name": "Per Hansen", "q-I1-confirm-title": "Daglig leder",
                            "q-I1-confirm-date": "2025-03-01"})
    submission = db.session.scalars(select(Submission).where(Submission.response_id == response.id)).one()
    submission.receipt_name = None
    db.session.commit()
    reviewer = make.user(role="reviewer")
    db.session.commit()
    staff = app.test_client()
    sign_in(staff, reviewer.email)

    assert staff.get(f"/responses/{response.id}/submissions/1/receipt.pdf").status_code == 404
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).receipt_name is None
