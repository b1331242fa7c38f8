"""Register sites picked into a response's site table, and offered to the deviation form."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Answer, Deviation
from portal.questionnaires.engine import definition_of
from portal.questionnaires.types import Context, RefType
from portal.sites.answers import sites_table
from tests.auth.helpers import flashed, location, markup, post, sign_in, text
from tests.deviations.helpers import deviation_form
from tests.sites.conftest import add_site


def _table(response):
    question, part = sites_table(definition_of(response.round.questionnaire_version))
    return question, part


def _rows(db, response, question_id):
    db.session.expire_all()
    answer = db.session.scalar(select(Answer).where(Answer.response_id == response.id,
                                                    Answer.question_id == question_id))
    return answer.value["sites"] if answer else []


def _pick(client, response, site_ids):
    path = f"/company/sites/responses/{response.id}"
    return post(client, path, {"sites": [str(i) for i in site_ids]}, token_from="/company/")


def test_ticked_register_sites_are_appended_to_the_answer_without_overwriting(client, alfa, db,
                                                                             make_response):
    response = make_response(alfa["supplier"], year=2025, status="in_progress", social_dialogue=True)
    question, _part = _table(response)
    typed = {"_id": "abcd1234", "site_name": "Typed By Hand", "country": "CN", "tier": "T1"}
    db.session.add(Answer(response=response, question_id=question.id, value={"sites": [typed]}))
    dhaka = add_site(db, alfa["supplier"], name="Dhaka Garments Ltd", workers=420, women_pct=65,
                     is_confidential=True)
    again = add_site(db, alfa["supplier"], name="typed by hand", country="CN")
    add_site(db, alfa["supplier"], year=2024, name="Last year's site")
    db.session.commit()
    sign_in(client, "kari@alfa.example")

    section = client.get(f"/responses/{response.id}/sections/C")
    assert f'href="/company/sites/responses/{response.id}"' in markup(section)
    page = text(client.get(f"/company/sites/responses/{response.id}"))
    assert "Dhaka Garments Ltd" in page
    assert "Last year's site" not in page
    assert "Already in the answer: typed by hand" in page

    reply = _pick(client, response, [dhaka.id, again.id])

    assert location(reply) == f"/responses/{response.id}/sections/C"
    rows = _rows(db, response, question.id)
    assert rows[0] == typed  # kept exactly as typed
    new = rows[1]
    assert len(rows) == 2
    assert (new["site_name"], new["country"], new["tier"], new["workers_total"], new["women_pct"],
            new["worker_representation"], new["confidential"], new["certifications"]) == (
        "Dhaka Garments Ltd", "BD", "T1", "420", "65", "elected_committee", "yes", ["fair_wear"])
    assert any("1 site was added" in m for m in flashed(client))
    # H's central sites refer to the rows: the register site can be chosen there now.
    h1 = next(q for q in definition_of(response.round.questionnaire_version).questions() if any(
        p.type == "ref" for p in q.parts))
    ref = next(p for p in h1.parts if p.type == "ref")
    choices = RefType().choices(ref, Context(locale="en", answers={question.id: {"sites": rows}}))
    assert new["_id"] in dict(choices)


def test_a_submitted_response_gets_no_sites_and_another_suppliers_is_hidden(client, alfa, db, make_response):
    submitted = make_response(alfa["supplier"], year=2025, status="submitted")
    theirs = make_response(alfa["beta"], year=2025, status="in_progress")
    site = add_site(db, alfa["supplier"])
    db.session.commit()
    sign_in(client, "kari@alfa.example")

    reply = _pick(client, submitted, [site.id])
    assert location(reply).startswith(f"/responses/{submitted.id}/sections/")
    assert "no sites were added" in flashed(client)[0]
    question, _part = _table(submitted)
    assert _rows(db, submitted, question.id) == []
    assert client.get(f"/company/sites/responses/{theirs.id}").status_code == 404
    # Another supplier's site id is ignored, not written.
    beta_site = add_site(db, alfa["beta"], name="Beta Mill")
    db.session.commit()
    mine = make_response(alfa["supplier"], year=2025, status="in_progress")
    db.session.commit()
    assert _pick(client, mine, [beta_site.id]).status_code == 422
    assert _rows(db, mine, question.id) == []


def test_the_deviation_form_offers_answer_rows_and_open_register_sites(client, alfa, db, make_response,
                                                                       login_as):
    response = make_response(alfa["supplier"], year=2025, status="in_progress")
    question, _part = _table(response)
    db.session.add(Answer(response=response, question_id=question.id, value={"sites": [
        {"_id": "oldrow01", "site_name": "Old Typed Site", "city": "Tirupur", "country": "IN", "tier": "T2"}]}))
    open_site = add_site(db, alfa["supplier"], name="Open Register Site", country="VN", tier="T3",
                         is_confidential=False)
    add_site(db, alfa["supplier"], name="Confidential Register Site", is_confidential=True)
    add_site(db, alfa["supplier"], year=2024, name="Open Old Year Site", is_confidential=False)
    add_site(db, alfa["beta"], name="Open Beta Site", is_confidential=False)
    db.session.commit()
    login_as("reviewer", locale="en")
    path = f"/deviations/new?response={response.id}&question={question.id}"

    page = text(client.get(path))

    assert "Old Typed Site (Tirupur, IN)" in page  # an old answer's row still counts
    assert "Open Register Site" in page
    for hidden in ("Confidential Register Site", "Open Old Year Site", "Open Beta Site"):
        assert hidden not in page
    reply = post(client, "/deviations/new", deviation_form(
        supplier_id=alfa["supplier"].id, agreement_id=response.agreement_id, response_id=response.id,
        question_id=question.id, type="P-TRANSP", tier="TU", country="", site_choice=f"site-{open_site.id}",
    ), token_from=path)
    assert reply.status_code == 302, text(reply)
    deviation = db.session.scalar(select(Deviation))
    assert (deviation.site, deviation.country, deviation.tier) == ("Open Register Site", "VN", "T3")
