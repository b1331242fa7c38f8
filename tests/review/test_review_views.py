"""The review page one part at a time, and only what changed since the previous submission,
with the changed words and cells marked (issue 15)."""

from __future__ import annotations

import re

from portal.models import Response
from portal.review.changes import Word, word_diff
from tests.auth.helpers import markup, text, tr
from tests.review.helpers import return_response, save_verdicts


def _headings(page: str) -> list[str]:
    return re.findall(r'<h2 class="ds-heading" data-size="md" id="section-([A-Z])-title">', page)


def test_one_part_at_a_time_with_previous_and_next(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    everything = client.get(f"/review/responses/{response.id}")
    parts = _headings(markup(everything))
    page = client.get(f"/review/responses/{response.id}?part={parts[1]}")

    assert page.status_code == 200
    html = markup(page)
    assert _headings(html) == [parts[1]]
    assert tr("Part %(number)s of %(total)s", number=2, total=len(parts)) in text(page)
    assert f'part={parts[0]}" rel="prev"' in html
    assert f'part={parts[2]}" rel="next"' in html
    # The verdicts of this part are saved back to this part.
    assert f'/verdicts?part={parts[1]}"' in html


def test_saving_verdicts_in_a_part_returns_to_that_part(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")
    reply = client.post(f"/review/responses/{response.id}/verdicts?part=B", data={
        **_csrf(client, response), "section": "B",
        "verdicts-0-question_id": "B4", "verdicts-0-base": "", "verdicts-0-verdict": "meets",
        "verdicts-0-comment_to_supplier": "", "verdicts-0-internal_note": "",
    })
    assert reply.status_code == 302
    assert "part=B" in reply.headers["Location"]


def _csrf(client, response):
    from tests.conftest import csrf_token
    return {"csrf_token": csrf_token(client, f"/review/responses/{response.id}")}


def test_an_unknown_part_shows_every_part_and_says_so(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}?part=%3Cscript%3E")

    assert page.status_code == 200
    assert len(_headings(markup(page))) > 3
    assert "<script>" not in page.get_data(as_text=True).split("<main", 1)[1]
    assert tr("The questionnaire has no part %(part)s with questions to show here: all parts are shown.",
              part="<script>") in text(page)


def test_only_changes_shows_the_changed_questions_with_their_words_marked(
        client, db, make, submitted, resubmit, login_as):
    user = make.user(role="supplier")
    response = submitted(user=user, answers={"B4": {"answer": "Styret får en rapport hvert år."}})
    login_as("reviewer")
    save_verdicts(client, response, {"B4": ("partly", "Hvor ofte?", "")})
    return_response(client, response, ["B4"], "Utdyp B4.")
    resubmit(db.session.get(Response, response.id), user,
             {"B4": {"answer": "Styret får en rapport hvert kvartal."}})

    everything = client.get(f"/review/responses/{response.id}")
    assert tr("Show only the %(num)s question changed since submission %(number)s", num=1, number=1) \
        in text(everything)
    page = client.get(f"/review/responses/{response.id}?changes=only")

    html = markup(page)
    assert re.findall(r'id="q-([A-Z0-9]+)"', html) == ["B4"]
    assert re.search(r"<del><span class=\"ds-sr-only\">[^<]*</span>år\.</del>", html)
    assert re.search(r"<ins><span class=\"ds-sr-only\">[^<]*</span>kvartal\.</ins>", html)
    assert tr("Only the questions whose answer changed since submission %(number)s are shown.", number=1) \
        in text(page)


def test_changed_table_cells_are_named_by_row_and_column(client, db, make, submitted, resubmit, login_as):
    user = make.user(role="supplier")
    response = submitted(user=user)
    sites = db.session.get(Response, response.id).submissions[-1].answers["C5"]["sites"]
    login_as("reviewer")
    return_response(client, response, ["C5"], "Stemmer antallet arbeidere?")
    changed = [dict(sites[0], products="Bukser og jakker"), *sites[1:]]
    resubmit(db.session.get(Response, response.id), user, {"C5": {"sites": changed}})

    page = text(client.get(f"/review/responses/{response.id}?changes=only"))

    name = sites[0]["site_name"]
    assert re.search(rf"{re.escape(name)}, [^:]+: .* → .*Bukser og jakker", page)


def test_word_diff_keeps_spaces_and_marks_only_what_changed():
    assert word_diff("a b c", "a x c") == [
        Word("a ", "same"), Word("b", "removed"), Word(" ", "same"), Word("x", "added"), Word(" c", "same")]
    assert word_diff("", "new text") == [Word("new text", "added")]
    assert "".join(w.text for w in word_diff("one two", "one two three") if w.kind != "removed") \
        == "one two three"


def test_a_question_the_definition_does_not_score_asks_for_no_verdict(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}?part=A")

    html = markup(page)
    assert "Verdict on A1" in html or tr("Verdict on %(question)s", question="A1") in html
    assert tr("Verdict on %(question)s", question="A2") not in html
    assert tr("The questionnaire does not ask for a verdict on this question.") in text(page)


def test_every_part_link_leads_somewhere_when_only_changes_are_shown(
        client, db, make, submitted, resubmit, login_as):
    user = make.user(role="supplier")
    response = submitted(user=user, answers={"B4": {"answer": "Hvert år."}})
    login_as("reviewer")
    return_response(client, response, ["B4"], "Utdyp B4.")
    resubmit(db.session.get(Response, response.id), user, {"B4": {"answer": "Hvert kvartal."}})

    html = client.get(f"/review/responses/{response.id}?changes=only").get_data(as_text=True)

    anchors = set(re.findall(r'href="#(section-[A-Z])"', html))
    ids = set(re.findall(r'id="(section-[A-Z])"', html))
    assert anchors == {"section-B"}
    assert anchors <= ids  # no link to a part that is not on the page (WCAG 2.4.1, HTML_CodeSniffer)
    assert f"/review/responses/{response.id}?part=C" in html
