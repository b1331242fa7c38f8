"""Issue 15: the questions to return are chosen where they are judged, not from a list of every
question at the end of the page.

Each question's verdict block holds a box that belongs to the return form at the end of the
page (HTML's ``form`` attribute: no script). The return form itself offers only the questions
the page does not show (one part at a time); questions judged partly met or not met are ticked.
"""

from __future__ import annotations

import re
from html import unescape

from portal.models import Response
from tests.auth.helpers import text, tr
from tests.review.helpers import return_response, save_verdicts

INPUT = re.compile(r"<input\b[^>]*>")
ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')
QUESTION = re.compile(r'<section class="question review-question" id="q-([^"]+)"')


class Box:
    """A checkbox named ``questions``: its attributes, and the question block it sits in."""

    def __init__(self, tag: str, at: int, html: str) -> None:
        self.attrs = {name: unescape(value or "") for name, value in ATTR.findall(tag[len("<input"):-1])}
        blocks = [m for m in QUESTION.finditer(html, 0, at)]
        self.block = blocks[-1].group(1) if blocks else None
        form_start = html.rfind('<form', 0, at)
        self.in_return_form = html.find('id="return-form"', form_start, html.find(">", form_start)) != -1

    @property
    def value(self) -> str:
        return self.attrs.get("value", "")

    @property
    def checked(self) -> bool:
        return "checked" in self.attrs


def _page(client, response, query=""):
    reply = client.get(f"/review/responses/{response.id}{query}")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def _boxes(html):
    return [Box(m.group(0), m.start(), html) for m in INPUT.finditer(html)
            if 'type="checkbox"' in m.group(0) and 'name="questions"' in m.group(0)]


def test_each_judged_question_has_its_own_box_for_the_return_form(client, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    save_verdicts(client, response, {"B4": ("partly", "Beskriv rapporteringen.", "")})

    html = _page(client, response)
    boxes = {box.value: box for box in _boxes(html)}
    assert 'id="return-form"' in html
    # Every question on the page has its box, in its own block, belonging to the return form.
    for question_id in ("B4", "C1"):
        box = boxes[question_id]
        assert box.attrs["form"] == "return-form"
        assert box.block == question_id
        label = tr("Ask the supplier to answer %(question)s again when you return the response",
                   question=question_id)
        assert f'<label class="ds-label" for="{box.attrs["id"]}">{label}</label>' in unescape(html)
    # The one judged partly met is ticked; the others are not.
    assert boxes["B4"].checked
    assert not boxes["C1"].checked
    # The whole page is shown: the return form lists no question of its own.
    assert not [box for box in boxes.values() if box.in_return_form]


def test_questions_ticked_at_their_verdicts_are_the_ones_reopened(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    reply = return_response(client, response, ["C1", "B4"], "Vi trenger mer om B4 og C1.")

    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, response.id).reopened_questions == ["B4", "C1"]


def test_one_part_at_a_time_offers_the_other_parts_questions_in_the_return_form(client, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    save_verdicts(client, response, {"C1": ("not_met", "Mangler risikovurdering.", "")})

    html = _page(client, response, "?part=B")
    boxes = _boxes(html)
    in_form = {box.value: box for box in boxes if box.in_return_form}
    on_page = {box.value for box in boxes if box.attrs.get("form") == "return-form"}
    assert "B4" in on_page
    assert "C1" in in_form
    assert not on_page & set(in_form)  # each question once
    # C1 (judged not met, in another part) is ticked and its list is open.
    assert in_form["C1"].checked
    assert '<details class="return-elsewhere" open>' in html


def test_a_return_with_nothing_ticked_names_the_problem_at_the_return_form(client, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    reply = return_response(client, response, [], "Se over svarene.")

    assert reply.status_code == 422
    html = unescape(reply.get_data(as_text=True))
    error = tr("Choose at least one question for the supplier to answer again")
    assert error in text(reply)
    # The error summary links to the place that explains where to tick.
    link = re.search(r'<a class="ds-link" href="#([^"]+)">[^<]*' + re.escape(error), html)
    assert link is not None
    assert f'id="{link.group(1)}"' in html
