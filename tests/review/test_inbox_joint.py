"""The inbox of a buyer taking part in a joint agreement: the lead's responses are read there,
marked with the lead, and never counted, listed or selected as work of the participant's."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.auth.helpers import sign_in, tr
from tests.conftest import csrf_token
from tests.review.test_inbox import _rows

LEAD = "Innkjøpssamarbeidet Test"


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
    db.session.commit()
    return {"joint": joint_response, "own": own_response, "lead_reviewer": lead_reviewer}


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
