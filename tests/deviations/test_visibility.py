"""What a supplier sees: its own confirmed deviations, without anything internal."""

from __future__ import annotations

from datetime import date, timedelta

from portal import clock, storage
from portal.models import Attachment, Deviation, DeviationUpdate
from tests.auth.helpers import text
from tests.conftest import csrf_token
from tests.deviations.helpers import make_deviation, plan_form


def _with_internal_bits(db, supplier):
    deviation = make_deviation(db, supplier, internal_note="HEMMELIG-NOTAT")
    hidden = DeviationUpdate(deviation_id=deviation.id, kind="note", text="HEMMELIG-OPPDATERING",
                             is_internal=True)
    shown = DeviationUpdate(deviation_id=deviation.id, kind="note", text="Synlig oppdatering",
                            is_internal=False)
    db.session.add_all([hidden, shown])
    db.session.flush()
    stored = storage.save(b"%PDF-1.4\n%%EOF\n", kind="uploads", content_type="application/pdf")
    for update, name in ((hidden, "intern.pdf"), (shown, "synlig.pdf")):
        db.session.add(Attachment(deviation_update_id=update.id, original_name=name,
                                  stored_name=stored.key, size=10, sha256="0" * 64,
                                  mimetype="application/pdf"))
    db.session.commit()
    return deviation


def test_the_supplier_sees_its_own_deviation_without_internal_notes(client, db, make, login_as):
    supplier = make.supplier()
    deviation = _with_internal_bits(db, supplier)
    login_as("supplier", supplier=supplier)

    page = client.get(f"/deviations/{deviation.id}")

    assert page.status_code == 200
    body = text(page)
    assert "Lønn under minstelønn." in body
    assert "Synlig oppdatering" in body
    assert "HEMMELIG" not in page.get_data(as_text=True)
    assert "intern.pdf" not in body
    assert "synlig.pdf" in body
    internal = db.session.query(Attachment).filter_by(original_name="intern.pdf").one()
    assert client.get(f"/deviations/{deviation.id}/attachments/{internal.id}").status_code == 404


def test_staff_see_the_internal_parts(client, db, make, login_as):
    deviation = _with_internal_bits(db, make.supplier())
    login_as("reviewer")

    body = text(client.get(f"/deviations/{deviation.id}"))

    assert "HEMMELIG-NOTAT" in body
    assert "HEMMELIG-OPPDATERING" in body
    assert "intern.pdf" in body


def test_other_suppliers_records_and_proposals_are_404_everywhere(client, db, make, login_as):
    mine = make.supplier()
    theirs = make.supplier()
    foreign = _with_internal_bits(db, theirs)
    proposed = make_deviation(db, mine, is_proposed=True, description="Utkast")
    attachment = db.session.query(Attachment).filter_by(original_name="synlig.pdf").one()
    login_as("supplier", supplier=mine)

    for deviation in (foreign, proposed):
        path = f"/deviations/{deviation.id}"
        token = csrf_token(client, "/deviations")
        assert client.get(path).status_code == 404
        plan = client.post(f"{path}/plan", data={"csrf_token": token, **plan_form(("x", "y", "2027-01-01"))})
        assert plan.status_code == 404
        assert client.post(f"{path}/progress",
                           data={"csrf_token": token, "text": "x"}).status_code == 404
    assert client.get(f"/deviations/{foreign.id}/attachments/{attachment.id}").status_code == 404
    # An attachment of another deviation, through one's own, is 404 too.
    own = make_deviation(db, mine)
    assert client.get(f"/deviations/{own.id}/attachments/{attachment.id}").status_code == 404
    listing = client.get("/deviations").get_data(as_text=True)
    assert f"/deviations/{own.id}" in listing
    assert f"/deviations/{foreign.id}" not in listing
    assert f"/deviations/{proposed.id}" not in listing
    assert db.session.get(Deviation, foreign.id).supplier_plan == ""


def test_staff_actions_are_forbidden_to_suppliers(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier)
    login_as("supplier", supplier=supplier)
    token = csrf_token(client, "/deviations")

    assert client.get("/deviations/new").status_code == 403
    assert client.get(f"/deviations/{deviation.id}/edit").status_code == 403
    for action in ("status", "confirm", "discard", "approve-plan", "notes"):
        reply = client.post(f"/deviations/{deviation.id}/{action}", data={"csrf_token": token})
        assert reply.status_code == 403, action
    for path in ("/review", f"/review/responses/{deviation.id}", "/review/activities",
                 "/review/audit"):
        assert client.get(path).status_code == 403, path


def test_staff_cannot_act_for_the_supplier(client, db, make, login_as):
    deviation = make_deviation(db, make.supplier(), status="NOTIFIED")
    login_as("reviewer")
    token = csrf_token(client, "/deviations")

    assert client.post(f"/deviations/{deviation.id}/plan",
                       data={"csrf_token": token, **plan_form(("x", "y", "2027-01-01"))}).status_code == 403
    assert client.post(f"/deviations/{deviation.id}/progress",
                       data={"csrf_token": token, "text": "x"}).status_code == 403


def test_the_list_filters(client, db, make, login_as):
    first, second = make.supplier(name="Første AS"), make.supplier(name="Andre AS")
    agreement = make.agreement(suppliers=[first])
    old = make_deviation(db, first, detected_date=date(2023, 5, 1), type="CHILD", tier="T3",
                         agreement_id=agreement.id)
    late = make_deviation(db, first, deadline=clock.today() - timedelta(days=1),
                          status="IN_PROGRESS", detected_date=clock.today() - timedelta(days=9))
    closed = make_deviation(db, second, status="CLOSED_OK", deadline=date(2020, 1, 1),
                            detected_date=date(2019, 12, 1))
    proposal = make_deviation(db, second, is_proposed=True)
    login_as("reviewer")

    def found(query: str) -> set[int]:
        page = client.get(f"/deviations{query}").get_data(as_text=True)
        ids = {d.id for d in (old, late, closed, proposal)}
        return {i for i in ids if f'href="/deviations/{i}"' in page}

    assert found("") == {old.id, late.id, closed.id, proposal.id}
    assert found("?year=2023") == {old.id}
    assert found("?type=CHILD") == {old.id}
    assert found("?tier=T3") == {old.id}
    assert found("?status=CLOSED_OK") == {closed.id}
    assert found(f"?supplier={second.id}") == {closed.id, proposal.id}
    assert found(f"?agreement={agreement.id}") == {old.id}
    assert found("?overdue=1") == {late.id}  # a closed one is never overdue
    assert found("?proposed=1") == {proposal.id}
    assert found("?year=1&type=BAD&tier=X&status=Y&supplier=z") == found("")


def test_the_list_costs_the_same_number_of_queries_for_more_deviations(client, db, make, login_as,
                                                                       count_queries):
    make_deviation(db, make.supplier(), agreement_id=make.agreement().id)
    login_as("reviewer")
    client.get("/deviations")
    db.session.expire_all()
    with count_queries() as few:
        assert client.get("/deviations").status_code == 200

    for _ in range(8):
        supplier = make.supplier()
        make_deviation(db, supplier, agreement_id=make.agreement(suppliers=[supplier]).id)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/deviations").status_code == 200

    assert len(many) == len(few), "\n".join(few) + "\n=====\n" + "\n".join(many)
