"""Sharing and reuse when the two buyers' rounds use different questionnaire versions (issue 14,
part 8): the receiver reads and judges the shared submission in the version it answers, and the
supplier reuses the shared answers in the receiver's round of another version through the mapping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal import clock
from portal.models import Answer, FollowUpRound, Response, ShareReview
from portal.tenancy import ALL_BUYERS
from tests.auth.helpers import markup, sign_in, sign_out
from tests.conftest import csrf_token
from tests.questionnaires.renumbered import DFO_2026, store_version
from tests.sharing.test_sharing import shared


@pytest.fixture
def version(db: Any) -> Any:
    """The shared response answers the renumbered test version 2099.1 (overrides responses' fixture)."""
    return store_version(db)


def test_the_receiver_judges_the_shared_version_and_the_supplier_reuses_it_in_another(client, db, sharing):
    w = sharing
    submitted = w.response.submissions[-1].answers
    assert w.response.round.questionnaire_version.version == "2099.1"
    made = shared(client, db, w)

    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    page = markup(client.get(f"/review/received/{made.id}"))
    # The questions as the shared version numbers them: B5 is 2099.1's (the earlier B4's text part).
    assert 'id="q-B5"' in page
    token = csrf_token(client, f"/review/received/{made.id}")
    reply = client.post(f"/review/received/{made.id}/verdicts", data={
        "csrf_token": token, "verdicts-0-question_id": "B5", "verdicts-0-verdict": "meets",
        "verdicts-0-comment": "",
    })
    assert reply.status_code == 302
    db.session.expire_all()
    (verdict,) = db.session.scalars(select(ShareReview).execution_options(**{ALL_BUYERS: True}))
    assert (verdict.question_id, verdict.verdict) == ("B5", "meets")
    sign_out(client)

    # The receiver's own round uses 2026.1: the supplier copies the shared submission into it.
    round_ = FollowUpRound(buyer_id=w.receiver.id, year=clock.today().year, name_nb="Mottakers runde",
                           name_en="Receiver's round", questionnaire_version=store_version(db, DFO_2026),
                           deadline=clock.today() + timedelta(days=30))
    draft = Response(round=round_, agreement=w.receiver_agreement, supplier=w.supplier, deadline=round_.deadline)
    db.session.add_all([round_, draft])
    db.session.commit()
    assert sign_in(client, w.supplier_user.email).status_code == 302
    submission_id = w.response.submissions[-1].id
    preview = markup(client.get(f"/responses/{draft.id}/copy/preview?submission={submission_id}"))
    assert '<span class="question__id">B4</span> (tidligere B5)' in preview
    reply = client.post(f"/responses/{draft.id}/copy",
                        data={"csrf_token": csrf_token(client, "/accessibility"), "submission": str(submission_id)})
    assert reply.status_code == 302

    db.session.expire_all()
    stored = {a.question_id: a.value for a in db.session.query(Answer).filter_by(response_id=draft.id)}
    assert stored["B2"] == submitted["B3"]
    assert stored["B3"] == submitted["B2"]
    assert stored["B4"] == submitted["B5"]
    assert "B5" not in stored  # 2099.1's B4 is new there, 2026.1's B5 (trained/total) has no answer in it
