"""Erasure: a person who has left is replaced by a neutral label everywhere, figures unchanged."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal import audit, clock, storage
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.models import (
    Agreement,
    Answer,
    AuditEvent,
    Clarification,
    ClarificationReply,
    Deviation,
    MailDelivery,
    Response,
    Submission,
    User,
)
from portal.tokens import INVITATION, PASSWORD_RESET, make_token
from tests.auth.helpers import flashed, location, post, reloaded, sign_in, text, tr

ADMIN = "admin@kommune.example"
FJORDVIK_ADMIN = "admin@fjordvik.example"
CONTACT = "leverandor@arbeidsklaer.example"
CONTACT_NAME = "Per Hansen (demo)"
YEARS = (2023, 2024)


def _user(db: Any, email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _everything(client: Any, db: Any, contact_id: int) -> dict[str, str]:
    """What an administrator can read about the contact's work: pages, JSON, audit viewer."""
    seen: dict[str, str] = {}
    # The administrator's own buyer's responses (the contact also answers Fjordvik's, which
    # this administrator never reads).
    admin_buyer = select(User.buyer_id).where(User.email == ADMIN).scalar_subquery()
    responses = db.session.scalars(
        select(Response.id).join(Agreement, Agreement.id == Response.agreement_id)
        .where(Response.submitted_by_id == contact_id, Agreement.buyer_id == admin_buyer)).all()
    paths = [f"/admin/users/{contact_id}", "/admin/users", "/review/audit",
             f"/review/audit?actor={contact_id}", *(f"/reports/{year}.json" for year in YEARS),
             *(f"/responses/{rid}" for rid in responses)]
    for path in paths:
        reply = client.get(path)
        assert reply.status_code == 200, path
        seen[path] = reply.get_data(as_text=True)
    return seen


def _report_documents(client: Any) -> dict[int, Any]:
    found = {}
    for year in YEARS:
        document = json.loads(client.get(f"/reports/{year}.json").get_data(as_text=True))
        document.pop("generated_at", None)
        found[year] = document
    return found


def _pdf_text(data: bytes, tmp_path: Any) -> str:
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,  # noqa: S603, S607
                          text=True).stdout


@pytest.fixture
def demo(db: Any) -> None:
    load_demo_data()
    db.session.commit()


def test_erasing_a_supplier_contact_removes_them_everywhere_and_keeps_every_figure(client, db, demo, tmp_path):
    contact = _user(db, CONTACT)
    contact_id = contact.id
    signed = db.session.scalars(select(Submission).where(Submission.submitted_by_id == contact_id,
                                                         Submission.receipt_name.is_not(None))).all()
    assert signed, "the demo contact signed declarations with receipts"
    old_receipts = {s.id: s.receipt_name for s in signed}
    if shutil.which("pdftotext"):
        assert CONTACT_NAME in _pdf_text(storage.read_bytes(signed[0].receipt_name), tmp_path)
    links = {"/password/reset/": make_token(PASSWORD_RESET, contact), "/invitation/": make_token(INVITATION, contact)}
    own_session = client.application.test_client()
    assert sign_in(own_session, CONTACT, DEMO_PASSWORD).status_code == 302
    assert sign_in(client, ADMIN, DEMO_PASSWORD).status_code == 302
    before = _report_documents(client)
    seen_before = _everything(client, db, contact_id)
    assert any(CONTACT_NAME in page for page in seen_before.values())

    reply = post(client, f"/admin/users/{contact_id}/erase", {"confirm": "y", "last_user_confirmed": "y"})

    assert reply.status_code == 302, text(reply)[:2000]
    label = tr("Former contact #%(id)s", id=contact_id)
    assert label == f"Tidligere kontakt #{contact_id}"
    assert _report_documents(client) == before
    for path, page in _everything(client, db, contact_id).items():
        assert CONTACT_NAME not in page, path
        assert CONTACT not in page, path
    assert label in client.get(f"/admin/users/{contact_id}").get_data(as_text=True)
    db.session.remove()
    erased = db.session.get(User, contact_id)
    assert erased.is_erased
    assert not erased.is_active
    assert erased.password_hash is None
    assert (erased.name, erased.job_title) == ("", "")
    # Receipts were made again by the receipt job, without the name.
    for submission_id, old_key in old_receipts.items():
        submission = db.session.get(Submission, submission_id)
        assert submission.receipt_name not in (None, old_key)
        assert not storage.exists(old_key)
        if shutil.which("pdftotext"):
            receipt = _pdf_text(storage.read_bytes(submission.receipt_name), tmp_path)
            assert CONTACT_NAME not in receipt
            assert CONTACT not in receipt
            assert label in receipt
    # Nothing kept in the database names the person any more.
    for event in db.session.scalars(select(AuditEvent)):
        assert CONTACT not in json.dumps([event.before, event.after], ensure_ascii=False)
        assert CONTACT_NAME not in json.dumps([event.before, event.after], ensure_ascii=False)
    for delivery in db.session.scalars(select(MailDelivery)):
        assert CONTACT not in delivery.recipient + delivery.text_body + delivery.html_body
        assert CONTACT_NAME not in delivery.subject + delivery.text_body + delivery.html_body
    erasure_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.erased"))
    assert erasure_event.object_id == contact_id
    assert erasure_event.actor_id == _user(db, ADMIN).id
    # Signed out everywhere; no sign-in, no password reset, no invitation link.
    assert location(own_session.get("/")).startswith("/login")
    fresh = client.application.test_client()
    assert sign_in(fresh, CONTACT, DEMO_PASSWORD).status_code == 200
    for path, token in links.items():
        assert fresh.get(path + token).status_code == 404, path


def test_a_staff_member_with_open_reviews_needs_a_new_owner(client, db, demo):
    reviewer = _user(db, "fagansvarlig@kommune.example")
    waiting = db.session.scalars(select(Agreement.id).join(Response, Response.agreement_id == Agreement.id)
                                 .where(Agreement.contract_manager_id == reviewer.id,
                                        Response.status.in_(["submitted", "resubmitted"]))).all()
    assert waiting, "the demo reviewer manages agreements with responses waiting for review"
    colleague = _user(db, ADMIN)
    assert sign_in(client, ADMIN, DEMO_PASSWORD).status_code == 302
    before = _report_documents(client)
    path = f"/admin/users/{reviewer.id}/erase"

    page = client.get(path)
    assert tr("Choose a colleague") in page.get_data(as_text=True)
    refused = post(client, path, {"confirm": "y", "new_owner_id": "0"})

    empty = post(client, path, {})

    assert refused.status_code == 200
    assert tr("Choose who takes over the open reviews") in refused.get_data(as_text=True)
    # Every problem at once, each tied to its field.
    assert tr("Choose who takes over the open reviews") in text(empty)
    assert tr("Tick the box to confirm the erasure") in text(empty)
    db.session.remove()
    assert not db.session.get(User, reviewer.id).is_erased

    done = post(client, path, {"confirm": "y", "new_owner_id": str(colleague.id)})

    assert done.status_code == 302
    db.session.remove()
    assert db.session.get(User, reviewer.id).is_erased
    managers = set(db.session.scalars(select(Agreement.contract_manager_id).where(Agreement.id.in_(waiting))))
    assert managers == {colleague.id}
    after = _report_documents(client)
    assert _figures(after) == _figures(before)


def test_erasing_a_staff_member_drops_the_identity_providers_link(client, db, login_as, make):
    leaver = make.user(role="reviewer", email="slutta@kommune.example")
    leaver.oidc_issuer, leaver.oidc_subject = "https://login.kommune.example", "entra-sub-4711"
    login_as("admin")

    done = post(client, f"/admin/users/{leaver.id}/erase", {"confirm": "y"})

    assert done.status_code == 302
    erased = reloaded(db, User, leaver.id)
    assert erased.is_erased
    assert (erased.oidc_issuer, erased.oidc_subject) == (None, None)


def _figures(value: Any) -> Any:
    """Only the numbers of a report document, in place (texts such as titles may change)."""
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def test_erasing_the_last_active_user_of_a_supplier_warns_first(client, db, login_as, make):
    login_as("admin")
    supplier = make.supplier(name="Alfa AS")
    make.agreement(suppliers=[supplier])
    only = make.user(role="supplier", supplier=supplier, name="Kari Nordmann", email="kari@alfa.example")
    db.session.commit()
    path = f"/admin/users/{only.id}/erase"

    page = client.get(path).get_data(as_text=True)
    reply = post(client, path, {"confirm": "y"})

    assert tr("I understand that the supplier will have no user who can sign in") in page
    assert reply.status_code == 200
    assert tr("Tick the box to confirm that the supplier will have no user who can sign in") in text(reply)
    db.session.remove()
    assert not db.session.get(User, only.id).is_erased
    confirmed = post(client, path, {"confirm": "y", "last_user_confirmed": "y"})
    assert confirmed.status_code == 302
    db.session.remove()
    assert db.session.get(User, only.id).is_erased


def test_nothing_is_erased_without_the_confirmation(client, db, login_as, make):
    login_as("admin")
    supplier = make.supplier()
    make.agreement(suppliers=[supplier])
    person = make.user(role="supplier", supplier=supplier, email="kari@alfa.example")
    make.user(role="supplier", supplier=supplier)
    db.session.commit()

    reply = post(client, f"/admin/users/{person.id}/erase", {})

    assert reply.status_code == 200
    assert tr("Tick the box to confirm the erasure") in text(reply)
    db.session.remove()
    assert db.session.get(User, person.id).email == "kari@alfa.example"


def test_the_name_goes_from_answers_submissions_deviations_and_the_trail(client, db, login_as, make):
    from portal.rounds.services import create_round, ensure_shipped_versions

    admin = login_as("admin")
    version = ensure_shipped_versions()[0]
    round_ = create_round(year=clock.today().year, name_nb="Oppfølging", name_en="Follow-up", version=version,
                          deadline=clock.today() + timedelta(days=10), actor=None, buyer=make.default_buyer)
    supplier = make.supplier(name="Alfa AS")
    kari = make.user(role="supplier", supplier=supplier, email="kari@alfa.example", name="Kari Nordmann",
                     job_title="Bærekraftsansvarlig")
    ola = make.user(role="supplier", supplier=supplier, email="ola@alfa.example", name="Ola Nordmann")
    agreement = make.agreement(suppliers=[supplier])
    response = Response(round=round_, agreement=agreement, supplier=supplier, status="submitted",
                        deadline=round_.deadline)
    a1 = {"name": "Kari Nordmann", "job_title": "Bærekraftsansvarlig", "email": "KARI@alfa.example"}
    response.answers.append(Answer(question_id="A1", value=a1, updated_by=ola))
    # Someone else with the same title, in another answer: not the erased person.
    response.answers.append(Answer(question_id="B2", value={"responsible": "Bærekraftsansvarlig"}, updated_by=ola))
    response.submissions.append(Submission(number=1, answers={"A1": a1}, files=[], submitted_by=ola))
    db.session.add(response)
    db.session.add(Clarification(response=response, number=1, message="Hvem?", questions=["A1"], replies=[
        ClarificationReply(question_id="A1", text="Kari Nordmann er kontaktperson.", updated_by=ola)]))
    db.session.flush()
    deviation = Deviation(supplier_id=supplier.id, agreement_id=agreement.id, type="WAGES",
                          detected_date=clock.today(), responsible="Kari Nordmann", description="Lønn")
    namesake = make.supplier(name="Beta AS")
    elsewhere = Deviation(supplier_id=namesake.id, agreement_id=make.agreement(suppliers=[namesake]).id,
                          type="WAGES", detected_date=clock.today(), responsible="Kari Nordmann")
    db.session.add_all([deviation, elsewhere])
    db.session.flush()
    audit.record("deviation.created", elsewhere, actor=admin, supplier_id=namesake.id,
                 after={"responsible": "Kari Nordmann"})
    audit.record("answer.changed", response, actor=ola, supplier_id=supplier.id, field="A1", after=a1)
    db.session.commit()
    kari_id, ola_id, admin_id, elsewhere_id, deviation_id = kari.id, ola.id, admin.id, elsewhere.id, deviation.id

    reply = post(client, f"/admin/users/{kari_id}/erase", {"confirm": "y"})

    assert reply.status_code == 302
    label = tr("Former contact #%(id)s", id=kari_id)
    assert any(label in message for message in flashed(client))
    db.session.remove()
    answer = db.session.scalar(select(Answer).where(Answer.question_id == "A1"))
    assert answer.value == {"name": label, "job_title": label, "email": label}
    other = db.session.scalar(select(Answer).where(Answer.question_id == "B2"))
    assert other.value == {"responsible": "Bærekraftsansvarlig"}
    assert db.session.scalar(select(Submission)).answers["A1"]["name"] == label
    assert db.session.scalar(select(ClarificationReply)).text == f"{label} er kontaktperson."
    assert db.session.get(Deviation, deviation_id).responsible == label
    # Someone of the same name at another supplier is someone else.
    assert db.session.get(Deviation, elsewhere_id).responsible == "Kari Nordmann"
    namesake_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deviation.created"))
    assert namesake_event.after == {"responsible": "Kari Nordmann"}
    trail = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "answer.changed"))
    assert trail.after == {"name": label, "job_title": label, "email": label}
    assert db.session.get(User, ola_id).name == "Ola Nordmann"
    assert db.session.get(User, admin_id).email != "kari@alfa.example"


def test_an_erased_account_cannot_be_reactivated_or_invited_again(client, db, login_as, make):
    login_as("admin")
    supplier = make.supplier()
    make.agreement(suppliers=[supplier])
    person = make.user(role="supplier", supplier=supplier)
    make.user(role="supplier", supplier=supplier)
    db.session.commit()
    assert post(client, f"/admin/users/{person.id}/erase", {"confirm": "y"}).status_code == 302

    post(client, f"/admin/users/{person.id}/activate", token_from=f"/admin/users/{person.id}")
    post(client, f"/admin/users/{person.id}/resend", token_from=f"/admin/users/{person.id}")

    db.session.remove()
    assert not db.session.get(User, person.id).is_active
    again = client.get(f"/admin/users/{person.id}/erase")
    assert again.status_code == 302


def test_staff_of_another_buyer_cannot_erase_this_buyers_person(client, db, demo):
    contact = _user(db, "leverandor@solcelle.example")
    assert sign_in(client, FJORDVIK_ADMIN, DEMO_PASSWORD).status_code == 302

    page = client.get(f"/admin/users/{contact.id}/erase")
    reply = post(client, f"/admin/users/{contact.id}/erase", {"confirm": "y"},
                 token_from="/accessibility")

    assert page.status_code == 404
    assert reply.status_code == 404
    db.session.remove()
    assert not db.session.get(User, contact.id).is_erased
