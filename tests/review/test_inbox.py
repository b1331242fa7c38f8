"""The inbox: filters, counts per status, sorting by deadline, the light, constant queries."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from portal import clock
from portal.models import Deviation
from portal.review import services
from portal.review.labels import light_text
from tests.auth.helpers import text, tr


def _rows(page: str) -> list[str]:
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def _table(page: str) -> str:
    return "".join(_rows(page))


def test_counts_per_status_and_filters(client, db, make, make_response, submitted, login_as):
    accepted_supplier = make.supplier(name="Aksept AS")
    submitted(accepted_supplier)
    waiting = submitted(make.supplier(name="Venter AS"))
    late = make_response(make.supplier(name="Sen AS"), status="in_progress")
    late.deadline = clock.today() - timedelta(days=3)
    ict = make.agreement(suppliers=[make.supplier(name="Data AS")], dfo_category="ict")
    make_response(ict.suppliers[0], agreement=ict)
    reviewer = make.user(role="reviewer")
    accepted = db.session.query(type(waiting)).filter_by(supplier_id=accepted_supplier.id).one()
    services.accept_response(accepted, actor=reviewer, today=clock.today())
    db.session.commit()
    login_as("reviewer")

    page = client.get("/review")
    body = text(page)
    assert tr("Accepted") + ": 1" in body
    assert tr("Submitted") + ": 1" in body
    assert "4" in body

    only_submitted = _table(client.get("/review?status=submitted").get_data(as_text=True))
    assert "Venter AS" in only_submitted
    assert "Aksept AS" not in only_submitted
    assert tr("Accepted") + ": 1" in text(client.get("/review?status=submitted"))  # counts stay

    overdue = client.get("/review?overdue=1").get_data(as_text=True)
    assert len(_rows(overdue)) == 1
    assert "Sen AS" in _table(overdue)
    category = client.get("/review?category=ict&status=all").get_data(as_text=True)
    assert len(_rows(category)) == 1
    assert "Data AS" in _table(category)
    by_supplier = client.get(f"/review?supplier={waiting.supplier_id}").get_data(as_text=True)
    assert len(_rows(by_supplier)) == 1
    by_agreement = client.get(f"/review?agreement={ict.id}&status=all").get_data(as_text=True)
    assert len(_rows(by_agreement)) == 1
    by_round = client.get(f"/review?round={waiting.round_id}&status=all").get_data(as_text=True)
    assert len(_rows(by_round)) == 4
    assert client.get("/review?status=bogus&round=x&page=-1").status_code == 200


def test_sorted_by_deadline_either_way(client, db, make, make_response, login_as):
    for name, days in (("Midt AS", 20), ("Først AS", 5), ("Sist AS", 40)):
        response = make_response(make.supplier(name=name))
        response.deadline = clock.today() + timedelta(days=days)
    db.session.commit()
    login_as("reviewer")

    ascending = _table(client.get("/review?status=all").get_data(as_text=True))
    descending = _table(client.get("/review?status=all&sort=-deadline").get_data(as_text=True))

    assert ascending.index("Først AS") < ascending.index("Midt AS") < ascending.index("Sist AS")
    assert descending.index("Sist AS") < descending.index("Midt AS") < descending.index("Først AS")


def test_the_light_is_shown_in_words_and_can_be_filtered(client, db, make, submitted, login_as):
    red = submitted(make.supplier(name="Rød AS"))
    yellow = submitted(make.supplier(name="Gul AS"))
    submitted(make.supplier(name="Grå AS"))
    reviewer = make.user(role="reviewer")
    services.save_verdicts(red, [services.VerdictInput("B1", "not_met")], actor=reviewer,
                           today=clock.today())
    services.save_verdicts(yellow, [services.VerdictInput("B2", "partly")], actor=reviewer,
                           today=clock.today())
    db.session.commit()
    login_as("reviewer")

    rows = _rows(client.get("/review").get_data(as_text=True))
    red_row = next(row for row in rows if "Rød AS" in row)
    assert 'data-color="danger"' in red_row
    with force_locale("nb"):
        assert light_text("red") in red_row  # the colour has a word too

    reds = _table(client.get("/review?light=red").get_data(as_text=True))
    assert "Rød AS" in reds
    assert "Gul AS" not in reds
    yellows = _table(client.get("/review?light=yellow").get_data(as_text=True))
    assert "Gul AS" in yellows
    assert "Rød AS" not in yellows
    unassessed = client.get("/review?light=none").get_data(as_text=True)
    assert "Grå AS" in _table(unassessed)
    assert len(_rows(unassessed)) == 1


def test_an_open_deviation_of_the_supplier_is_a_tag_not_the_light(client, db, make, submitted,
                                                                  login_as):
    response = submitted(make.supplier(name="Avvik AS"))
    db.session.add(Deviation(supplier_id=response.supplier_id, agreement_id=response.agreement_id,
                             type="WAGES", detected_date=clock.today() - timedelta(days=60),
                             deadline=clock.today() - timedelta(days=1), status="IN_PROGRESS"))
    db.session.commit()
    login_as("reviewer")

    assert "Avvik AS" not in _table(client.get("/review?light=red").get_data(as_text=True))
    row = _rows(client.get("/review").get_data(as_text=True))[0]
    assert "1 åpent avvik" in row
    assert f"/deviations?supplier={response.supplier_id}" in row
    assert 'data-color="danger">1 åpent avvik' in row  # overdue: the tag says so


def test_a_deviation_found_through_the_response_still_colours_its_light(client, db, make,
                                                                         submitted, login_as):
    response = submitted(make.supplier(name="Eget AS"))
    db.session.add(Deviation(supplier_id=response.supplier_id, agreement_id=response.agreement_id,
                             response_id=response.id, type="WAGES",
                             detected_date=clock.today() - timedelta(days=60),
                             deadline=clock.today() - timedelta(days=1), status="IN_PROGRESS"))
    db.session.commit()
    login_as("reviewer")

    assert "Eget AS" in _table(client.get("/review?light=red").get_data(as_text=True))


def test_a_gate_answered_no_is_red_until_judged(client, db, make, submitted, login_as):
    response = submitted(make.supplier(name="Nei AS"), answers={"B1": {"answer": "no"}})
    submitted(make.supplier(name="Ja AS"))
    db.session.commit()
    login_as("reviewer")

    reds = _table(client.get("/review?light=red").get_data(as_text=True))
    assert "Nei AS" in reds
    assert "Ja AS" not in reds

    services.save_verdicts(response, [services.VerdictInput("B1", "meets")],
                           actor=make.user(role="reviewer"), today=clock.today())
    db.session.commit()
    assert "Nei AS" not in _table(client.get("/review?light=red").get_data(as_text=True))


def test_the_inbox_costs_the_same_number_of_queries_for_more_responses(
    client, db, make, submitted, login_as, count_queries
):
    reviewer = make.user(role="reviewer")
    first = submitted()
    services.save_verdicts(first, [services.VerdictInput("B1", "meets")], actor=reviewer,
                           today=clock.today())
    db.session.commit()
    login_as("reviewer")
    client.get("/review")
    db.session.expire_all()  # both counts start from a cold session
    with count_queries() as few:
        assert client.get("/review").status_code == 200

    for _ in range(6):
        response = submitted()
        services.save_verdicts(response, [services.VerdictInput("B2", "partly")], actor=reviewer,
                               today=clock.today())
        db.session.add(Deviation(supplier_id=response.supplier_id, type="WAGES",
                                 agreement_id=response.agreement_id, detected_date=clock.today()))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/review").status_code == 200

    assert len(many) == len(few), "\n".join(few) + "\n=====\n" + "\n".join(many)
