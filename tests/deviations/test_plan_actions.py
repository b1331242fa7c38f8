"""The corrective action plan as actions with a responsible and a deadline (issue 15)."""

from __future__ import annotations

import re

from portal.models import Deviation
from tests.auth.helpers import markup, text, tr
from tests.conftest import csrf_token
from tests.deviations.helpers import make_deviation, plan_form


def _reload(db, deviation):
    db.session.expire_all()
    return db.session.get(Deviation, deviation.id)


def _post(client, deviation, data):
    page = f"/deviations/{deviation.id}"
    return client.post(f"{page}/plan", data={"csrf_token": csrf_token(client, page), **data})


def test_a_plan_of_actions_is_sent_and_moves_the_deviation(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="NOTIFIED")
    login_as("supplier", supplier=supplier)

    reply = _post(client, deviation, plan_form(
        ("Etterbetale overtid", "Daglig leder", "2027-03-01"),
        ("", "", ""),  # an empty row is left out, not an error
        ("Revidere turnusplanen", "Produksjonssjef", "2027-04-15"),
        note="Fabrikken har fått beskjed."))

    assert reply.status_code == 302
    stored = _reload(db, deviation)
    assert stored.status == "AWAITING_CAP"
    assert [a["action"] for a in stored.plan_actions] == ["Etterbetale overtid", "Revidere turnusplanen"]
    assert stored.plan_actions[1] == {"action": "Revidere turnusplanen", "responsible": "Produksjonssjef",
                                      "deadline": "2027-04-15"}
    assert "Fabrikken har fått beskjed." in stored.supplier_plan
    page = client.get(f"/deviations/{deviation.id}")
    html = markup(page)
    # The plan is shown as a table; the form to change it is folded away, not an empty form.
    assert tr("Actions of the plan") in text(page)
    assert "<details class=\"plan-change\">" in html
    assert 'value="Revidere turnusplanen"' in html or ">Revidere turnusplanen</textarea>" in html


def test_every_cell_error_names_the_action_and_the_field_and_nothing_is_lost(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="NOTIFIED")
    login_as("supplier", supplier=supplier)

    reply = _post(client, deviation, plan_form(
        ("Etterbetale overtid", "", "2027-03-01"),
        ("Revidere turnus", "Produksjonssjef", "snart")))

    assert reply.status_code == 422
    page = text(reply)
    assert tr("Action %(number)s, %(field)s: %(message)s", number=1, field=tr("Responsible"),
              message=tr("Say who is responsible")) in page
    assert tr("Action %(number)s, %(field)s: %(message)s", number=2, field=tr("Deadline"),
              message=tr("Enter the date as yyyy-mm-dd")) in page
    assert "Etterbetale overtid" in page
    assert 'value="snart"' in markup(reply)
    assert _reload(db, deviation).plan_actions == []


def test_a_plan_needs_one_action(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="NOTIFIED")
    login_as("supplier", supplier=supplier)

    reply = _post(client, deviation, plan_form(("", "", "")))

    assert reply.status_code == 422
    assert tr("Describe at least one action") in text(reply)
    assert _reload(db, deviation).status == "NOTIFIED"


def test_adding_an_action_keeps_what_was_typed_and_checks_nothing(client, db, make, login_as):
    supplier = make.supplier()
    deviation = make_deviation(db, supplier, status="NOTIFIED")
    login_as("supplier", supplier=supplier)

    reply = _post(client, deviation, {**plan_form(("Etterbetale", "", ""), ("", "", ""), ("", "", "")),
                                      "add_action": "y"})

    assert reply.status_code == 200
    html = markup(reply)
    assert len(re.findall(r'name="actions-\d+-action"', html)) == 4
    assert "Etterbetale" in html
    assert tr("Say who is responsible") not in text(reply)
    assert _reload(db, deviation).supplier_plan == ""
