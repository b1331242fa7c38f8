"""An administrator publishes a version that renumbers questions: the preview says which earlier
question each replaces, and a clash in the declarations is refused with its path."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from portal.models import QuestionnaireVersion
from tests.auth.helpers import location, markup
from tests.conftest import post_form
from tests.questionnaires.renumbered import RENUMBERED


def _upload(client, content: bytes, name: str):
    return post_form(client, "/questionnaires/import", {"file": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def test_the_preview_names_the_earlier_question_each_replaces(client, db, login_as):
    login_as("admin", locale="en")

    reply = _upload(client, RENUMBERED.read_bytes(), RENUMBERED.name)

    assert reply.status_code == 302
    page = client.get(location(reply))
    html = markup(page)
    for here, there in (("B2", "B3"), ("B3", "B2"), ("B5", "B4")):
        article = html.split(f'id="question-{here}"', 1)[1].split("</article>", 1)[0]
        assert f"<dt>Replaces, from the earlier version</dt><dd>{there}</dd>" in article
    new_b4 = html.split('id="question-B4"', 1)[1].split("</article>", 1)[0]
    assert "Replaces, from the earlier version" not in new_b4


def test_an_id_replaced_twice_is_refused_with_its_path_and_nothing_is_stored(client, db, login_as):
    login_as("admin", locale="en")
    clash = RENUMBERED.read_text(encoding="utf-8").replace(
        "      - id: C1\n", "      - id: C1\n        replaces: B4\n", 1)

    reply = _upload(client, clash.encode(), "clash.yaml")

    assert reply.status_code == 200
    assert ("clash.yaml: sections[2].questions[0].replaces: 'B4' is already replaced by B5 "
            "(sections[1].questions[4].replaces)") in markup(reply)
    assert db.session.scalar(select(func.count(QuestionnaireVersion.id))) == 0
