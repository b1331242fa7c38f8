"""The receiving buyer's audit log names a sharing in words (issue 15), and shows no other
buyer's records."""

from __future__ import annotations

import html
import re

from tests.auth.helpers import sign_in, sign_out, tr
from tests.conftest import csrf_token
from tests.sharing.conftest import SOURCE
from tests.sharing.test_sharing import shared


def _table_words(reply) -> str:
    page = reply.get_data(as_text=True)
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)))


def test_the_receivers_audit_log_names_the_sharing_in_words(client, db, make, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    assert client.get(f"/review/received/{made.id}").status_code == 200
    token = csrf_token(client, f"/review/received/{made.id}")
    assert client.post(f"/review/received/{made.id}/verdicts", data={
        "csrf_token": token, "verdicts-0-question_id": "B1", "verdicts-0-verdict": "meets",
        "verdicts-0-comment": "<b>Mottakers</b> vurdering",
    }).status_code == 302
    sign_out(client)
    admin = make.user(role="admin", buyer=w.receiver)
    db.session.commit()
    assert sign_in(client, admin.email).status_code == 302

    reply = client.get("/review/audit")

    words = _table_words(reply)
    for expected in (tr("Response shared with another buyer"), tr("Shared response viewed"),
                     tr("Verdict on a shared response changed"),
                     tr("Sharing from %(buyer)s, submission %(number)s", buyer=SOURCE,
                        number=made.submission_number),
                     tr("Meets"), "<b>Mottakers</b> vurdering"):
        assert expected in words, expected
    for raw in ("ResponseShare", "{", "receiving_buyer_id", "share.viewed", "meets"):
        assert raw not in words, raw
    assert "<b>Mottakers</b>" not in reply.get_data(as_text=True)  # escaped, not markup
