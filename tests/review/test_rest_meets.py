"""Issue 15: "meets, except …" for a part. The reviewer judges the exceptions and presses one
button: the part's other scored questions get "meets"; other parts and unscored questions are
left alone, and a verdict chosen on the page is never overwritten."""

from __future__ import annotations

from portal.review import services
from tests.auth.helpers import post, tr
from tests.review.conftest import sections_of
from tests.review.helpers import verdict_form


def test_the_rest_of_a_part_meets_except_the_ones_judged(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    sections = sections_of(response)
    part_b = next(s for s in sections if s.id == "B")
    scored_b = [q.id for q in part_b.questions if q.scored]
    others = [q.id for s in sections if s.id != "B" for q in s.questions if q.scored]
    assert len(scored_b) >= 3
    exception = scored_b[1]
    # The page posts every question it shows: the exception judged, the rest left empty.
    entries = {qid: ("not_met" if qid == exception else "", "", "") for qid in [*scored_b, *others[:3]]}

    reply = post(client, f"/review/responses/{response.id}/verdicts",
                 {**verdict_form(entries), "rest_meets": "B"})

    assert reply.status_code == 302
    assert reply.headers["Location"].endswith("#section-B")
    db.session.expire_all()
    verdicts = {qid: v.verdict for qid, v in services.verdicts_of(response).items()}
    assert verdicts[exception] == "not_met"
    assert all(verdicts[qid] == "meets" for qid in scored_b if qid != exception)
    assert not any(verdicts.get(qid) for qid in others[:3])


def test_a_verdict_already_given_is_never_overwritten(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    scored_b = [q.id for s in sections_of(response) if s.id == "B" for q in s.questions if q.scored]
    post(client, f"/review/responses/{response.id}/verdicts",
         verdict_form({scored_b[0]: ("partly", "Mer om rutinen.", "")}))
    db.session.expire_all()
    base = services.fingerprint_of(services.verdicts_of(response)[scored_b[0]])

    post(client, f"/review/responses/{response.id}/verdicts",
         {**verdict_form({scored_b[0]: ("partly", "Mer om rutinen.", "", base),
                          scored_b[1]: ("", "", "")}), "rest_meets": "B"})

    db.session.expire_all()
    verdicts = services.verdicts_of(response)
    assert verdicts[scored_b[0]].verdict == "partly"
    assert verdicts[scored_b[1]].verdict == "meets"


def test_an_unknown_part_changes_nothing_beyond_the_posted_verdicts(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    scored_b = [q.id for s in sections_of(response) if s.id == "B" for q in s.questions if q.scored]

    reply = post(client, f"/review/responses/{response.id}/verdicts",
                 {**verdict_form({scored_b[0]: ("", "", "")}), "rest_meets": "Z" * 500})

    assert reply.status_code == 302
    db.session.expire_all()
    assert not services.verdicts_of(response).get(scored_b[0])


def test_each_part_offers_the_button(client, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    page = client.get(f"/review/responses/{response.id}?part=B").get_data(as_text=True)
    label = tr("Save, and every question of %(part)s left without a verdict meets the requirement", part="B")
    assert 'name="rest_meets" value="B"' in page
    assert label in page.replace("&#39;", "'")
