"""Registering and editing deviations: prefilled from a response, code lists enforced."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal import clock
from portal.models import AuditEvent, Deviation
from tests.auth.helpers import link_in, location, post, text, tr
from tests.deviations.helpers import deviation_form, make_deviation


def test_a_deviation_from_a_c5_site_is_prefilled_and_the_supplier_is_told(
    client, db, make, submitted, login_as, sent_mail
):
    supplier = make.supplier(name="Klær AS")
    english = make.user(role="supplier", supplier=supplier, locale="en")
    response = submitted(user=english)
    reviewer = login_as("reviewer")
    path = f"/deviations/new?response={response.id}&question=C5"

    page = client.get(path)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<option value="{supplier.id}" selected>' in html
    assert f'<option value="{response.agreement_id}" selected>' in html
    assert '<option value="P-TRANSP" selected>' in html
    assert "Dhaka Apparel Works Ltd" in html  # a site from the supplier's C5 table
    row_id = next(r["_id"] for r in response.latest_submission.answers["C5"]["sites"]
                  if r["site_name"] == "Dhaka Apparel Works Ltd")

    reply = post(client, "/deviations/new", deviation_form(
        supplier_id=supplier.id, agreement_id=response.agreement_id, response_id=response.id,
        question_id="C5", type="P-TRANSP", tier="TU", country="", site_choice=row_id,
    ), token_from=path)

    assert reply.status_code == 302, text(reply)
    deviation = db.session.query(Deviation).one()
    assert location(reply) == f"/deviations/{deviation.id}"
    assert (deviation.response_id, deviation.question_id) == (response.id, "C5")
    assert (deviation.site, deviation.country) == ("Dhaka Apparel Works Ltd", "BD")
    assert deviation.tier == "T0"  # from the site's row, as none was chosen
    assert not deviation.is_proposed
    assert deviation.status == "REGISTERED"
    assert deviation.measures == ["CAP", "REMEDY"]
    assert deviation.created_by_id == reviewer.id
    assert db.session.query(AuditEvent).filter_by(action="deviation.created").one().after[
        "type"] == "P-TRANSP"
    [mail] = sent_mail
    assert mail.to == english.email
    assert 'lang="en"' in mail.html
    assert "Lack of supply-chain transparency" in mail.subject
    assert link_in(mail) == f"/deviations/{deviation.id}"
    assert "Tips fra fagforening" not in mail.text + mail.html  # the internal note


def test_a_deviation_on_its_own(client, db, make, login_as, sent_mail):
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    agreement = make.agreement(suppliers=[supplier])
    login_as("admin")

    reply = post(client, "/deviations/new",
                 deviation_form(supplier_id=supplier.id, agreement_id=agreement.id),
                 token_from="/deviations/new")

    assert reply.status_code == 302
    deviation = db.session.query(Deviation).one()
    assert deviation.agreement_id == agreement.id
    assert deviation.response_id is None
    assert [m.to for m in sent_mail] == [user.email]
    assert 'lang="nb"' in sent_mail[0].html
    assert "Hei" in sent_mail[0].text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tier": "T9"}, "Choose where in the supply chain from the list"),
        ({"type": "PIRACY"}, "Choose a type of deviation from the list"),
        ({"type": ""}, "Choose a type of deviation from the list"),
        ({"severity": "HUGE"}, "Choose a severity from the list"),
        ({"detected_by": "PSYCHIC"}, "Choose how the deviation was found from the list"),
        ({"measures": ["CAP", "PRAY"]}, "Choose measures from the list"),
        ({"country": "ZZ"}, "Choose a country from the list"),
        ({"description": ""}, "Describe what was found"),
        ({"detected_date": ""}, "Enter the date the deviation was detected as yyyy-mm-dd"),
        ({"detected_date": (clock.today() + timedelta(days=1)).isoformat()},
         "The date detected cannot be in the future"),
        ({"deadline": "2025-01-01"}, "The deadline cannot be before the date detected"),
        ({"supplier_id": "0"}, "Choose the supplier the deviation concerns"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(client, db, make, login_as,
                                                                  sent_mail, changes, message):
    supplier = make.supplier()
    login_as("reviewer")

    reply = post(client, "/deviations/new",
                 deviation_form(**{"supplier_id": supplier.id, **changes}),
                 token_from="/deviations/new")

    assert reply.status_code == 422
    assert tr(message) in text(reply)
    assert db.session.query(Deviation).count() == 0
    assert sent_mail == []


def test_an_agreement_the_supplier_is_not_on_is_refused(client, db, make, login_as):
    supplier = make.supplier()
    other = make.agreement()
    login_as("reviewer")

    reply = post(client, "/deviations/new",
                 deviation_form(supplier_id=supplier.id, agreement_id=other.id),
                 token_from="/deviations/new")

    assert reply.status_code == 422
    assert tr("The supplier is not on this agreement. Choose one of its agreements.") in text(reply)
    assert db.session.query(Deviation).count() == 0


def test_an_unknown_response_or_question_in_the_link_is_404(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    assert client.get("/deviations/new?response=999999").status_code == 404
    assert client.get(f"/deviations/new?response={response.id}&question=Q99").status_code == 404


def test_editing_records_each_changed_field_and_a_new_deadline_earns_a_new_notice(
    client, db, make, login_as
):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, deadline=date(2025, 3, 1))
    deviation.overdue_notified_at = deviation.created_at
    db.session.commit()
    login_as("reviewer")
    path = f"/deviations/{deviation.id}/edit"

    reply = post(client, path, deviation_form(deadline="2025-09-30", tier="T2",
                                              internal_note="Ny info"), token_from=path)

    assert reply.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Deviation, deviation.id)
    assert (stored.deadline, stored.tier) == (date(2025, 9, 30), "T2")
    assert stored.overdue_notified_at is None
    changes = [(e.field, e.before, e.after) for e in db.session.query(AuditEvent).filter_by(
        action="deviation.changed")]
    assert ("deadline", "2025-03-01", "2025-09-30") in changes
    assert ("tier", "T1", "T2") in changes
    assert ("internal_note", "", "Ny info") in changes

    refused = post(client, path, deviation_form(tier="X"), token_from=path)
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Deviation, deviation.id).tier == "T2"
