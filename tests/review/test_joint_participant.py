"""What a buyer taking part in a joint agreement reads of the lead's follow-up: the responses in
its inbox (marked with the lead, never counted, listed or selected as its own work), and the
review, activity and deviation pages, each saying whose follow-up it is and offering nothing
to change."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import FollowUpActivity
from portal.tenancy import ALL_BUYERS
from tests.auth.helpers import sign_in, tr
from tests.conftest import csrf_token
from tests.reports.conftest import add_activity, add_deviation
from tests.review.test_inbox import _rows

LEAD = "Innkjøpssamarbeidet Test"
LED_BY = "Joint agreement led by %(buyer)s. You see its follow-up read-only; it counts in your year report as joint follow-up."


@pytest.fixture
def joint(db: Any, make: Any, submitted: Any) -> dict[str, Any]:
    municipality = make.default_buyer
    cooperation = make.buyer(name=LEAD, kind="cooperation")
    shared = make.supplier(name="Felles AS")
    agreement = make.agreement(suppliers=[shared], buyer=cooperation, reference="IS-1")
    agreement.participants.append(municipality)
    joint_response = submitted(shared, agreement=agreement)
    own_response = submitted(make.supplier(name="Egen AS"))
    lead_reviewer = make.user(role="reviewer", buyer=cooperation)
    activity = add_activity(db, "site_audit", date(2024, 9, 1), agreement, shared, lead_reviewer)
    deviation = add_deviation(db, shared, agreement, status="IN_PROGRESS")
    db.session.commit()
    return {"joint": joint_response, "own": own_response, "lead_reviewer": lead_reviewer,
            "activity": activity, "deviation": deviation}


def _words(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _row_of(page: str, supplier: str) -> str:
    (row,) = [r for r in _rows(page) if supplier in r]
    return row


def test_a_participant_reads_the_leads_responses_but_they_are_not_its_work(client, joint, login_as):
    login_as("reviewer")

    needs_action = client.get("/review").get_data(as_text=True)
    every = client.get("/review?status=all").get_data(as_text=True)

    # The default view: what this buyer must do; the joint response waits for the lead.
    assert [("Egen AS" in r, "Felles AS" in r) for r in _rows(needs_action)] == [(True, False)]
    # Every response: the joint one is there, read-only, with its lead, and cannot be ticked.
    felles, egen = _row_of(every, "Felles AS"), _row_of(every, "Egen AS")
    assert tr("Joint agreement, followed up by %(buyer)s", buyer=LEAD) in _words(felles)
    assert 'type="checkbox"' not in felles
    assert f'href="/review/responses/{joint["joint"].id}"' in felles
    # The error summary's link target is the first box that can be ticked, wherever it is.
    assert 'id="responses" name="responses"' in egen
    assert tr("Joint agreement, followed up by %(buyer)s", buyer=LEAD) not in _words(egen)


def test_only_joint_responses_offer_no_bulk_actions_and_a_forged_selection_changes_nothing(
        client, joint, login_as):
    login_as("reviewer")
    only_joint = f"/review?status=all&supplier={joint['joint'].supplier_id}"

    page = client.get(only_joint).get_data(as_text=True)

    assert len(_rows(page)) == 1
    assert tr("With the selected responses") not in _words(page)
    token = csrf_token(client, only_joint)
    forged = client.post("/review/bulk", data={"csrf_token": token, "responses": str(joint["joint"].id),
                                               "remind": "1"})
    assert forged.status_code == 404


def test_the_lead_sees_the_joint_response_as_its_own_work(app, joint):
    lead = app.test_client()
    assert sign_in(lead, joint["lead_reviewer"].email).status_code == 302

    page = lead.get("/review").get_data(as_text=True)

    row = _row_of(page, "Felles AS")
    assert 'type="checkbox"' in row
    assert tr("Joint agreement, followed up by %(buyer)s", buyer=LEAD) not in _words(row)
    assert not any("Egen AS" in r for r in _rows(page))


def test_the_participant_reads_the_leads_review_activity_and_deviation_told_whose_they_are(
        client, joint, login_as):
    login_as("reviewer")
    led_by = tr(LED_BY, buyer=LEAD)

    review = client.get(f"/review/responses/{joint['joint'].id}")
    activity = client.get(f"/review/activities/{joint['activity'].id}")
    deviation = client.get(f"/deviations/{joint['deviation'].id}")

    assert [page.status_code for page in (review, activity, deviation)] == [200, 200, 200]
    for page in (review, activity, deviation):
        assert led_by in _words(page.get_data(as_text=True))
    # Submitted, not "not yet submitted": the verdicts are the lead's to give.
    review_words = _words(review.get_data(as_text=True))
    assert tr("The response has not been submitted yet. Verdicts can be given once it is.") not in review_words
    assert tr("Save verdicts") not in review_words
    # Nothing offered that the participant cannot do (its GET and POST find only its own rows).
    activity_words = _words(activity.get_data(as_text=True))
    assert tr("Correct the activity") not in activity_words
    assert tr("Withdraw the activity") not in activity_words
    assert tr("History") not in activity_words  # the lead's trail stays the lead's
    assert tr("Edit the deviation") not in _words(deviation.get_data(as_text=True))


def test_a_forged_withdrawal_by_the_participant_changes_nothing(client, joint, login_as):
    login_as("reviewer")
    url = f"/review/activities/{joint['activity'].id}"
    token = csrf_token(client, url)

    reply = client.post(f"{url}/withdraw", data={"csrf_token": token, "reason": "Feil"})

    assert reply.status_code in (403, 404)
    _db.session.expire_all()
    stored = _db.session.scalar(select(FollowUpActivity).where(FollowUpActivity.id == joint["activity"].id)
                                .execution_options(**{ALL_BUYERS: True}))
    assert stored.withdrawn_at is None


def test_the_lead_is_not_told_it_reads_someone_elses_follow_up(app, joint):
    lead = app.test_client()
    assert sign_in(lead, joint["lead_reviewer"].email).status_code == 302
    led_by = tr(LED_BY, buyer=LEAD)

    for url in (f"/review/responses/{joint['joint'].id}", f"/review/activities/{joint['activity'].id}",
                f"/deviations/{joint['deviation'].id}"):
        assert led_by not in _words(lead.get(url).get_data(as_text=True)), url
    activity_words = _words(lead.get(f"/review/activities/{joint['activity'].id}").get_data(as_text=True))
    assert tr("Correct the activity") in activity_words
    assert tr("Withdraw the activity") in activity_words


def test_the_participant_follows_the_sections_of_a_joint_response_to_the_leads_review(
        client, joint, login_as):
    login_as("reviewer")
    response_id = joint["joint"].id

    overview = client.get(f"/responses/{response_id}").get_data(as_text=True)

    links = re.findall(rf'href="(/[^"]*{response_id}[^"]*(?:sections/|part=)[^"]*)"', overview)
    assert links
    assert all(f"/review/responses/{response_id}?part=" in link for link in links), links
    assert {client.get(html.unescape(link)).status_code for link in links} == {200}


def test_a_joint_response_returned_by_the_lead_links_the_participant_to_the_review(app, client, joint,
                                                                                   login_as):
    from tests.review.helpers import return_response

    lead = app.test_client()
    assert sign_in(lead, joint["lead_reviewer"].email).status_code == 302
    response_id = joint["joint"].id
    assert return_response(lead, joint["joint"], ["B4"], "Utdyp B4.").status_code == 302
    login_as("reviewer")

    overview = client.get(f"/responses/{response_id}").get_data(as_text=True)

    to_answer = re.findall(r'href="([^"]*#q-B4)"', overview)
    assert to_answer == [f"/review/responses/{response_id}?part=B#q-B4"]
    assert f"/responses/{response_id}/sections/" not in overview


def test_the_inbox_export_says_who_follows_up_each_response(client, db, joint, login_as, make):
    import csv
    import io

    login_as("reviewer")

    rows = list(csv.reader(io.StringIO(client.get("/review/export.csv?status=all").get_data()
                                       .decode("utf-8-sig")), delimiter=";"))

    assert rows[0][-1] == tr("Followed up by")
    by_supplier = {row[0]: row[-1] for row in rows[1:]}
    assert by_supplier == {"Felles AS": LEAD, "Egen AS": make.default_buyer.name}
