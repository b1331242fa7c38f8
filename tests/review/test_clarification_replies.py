"""Returned for clarification: the supplier's reply to the reviewer on each reopened question.

The reply is saved with the section like an answer, survives a refused save, is frozen by the
resubmission and is then read by the buyer's reviewer next to the question and in the rounds.
"""

from __future__ import annotations

import pytest

from portal.extensions import db as _db
from portal.models import AuditEvent, Clarification, ClarificationReply, QuestionReview, Response
from portal.responses import services as responses
from portal.review import services
from tests.auth.helpers import markup, post, sign_in, text, tr
from tests.review.helpers import return_response


def _reload(db, response):
    db.session.expire_all()
    return db.session.get(Response, response.id)


@pytest.fixture
def returned(app, db, make, submitted):
    """A response returned for B4 and C1; a client signed in as its supplier's user."""
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier, locale="nb")
    response = submitted(user=user)
    reviewer = _reviewer_client(app, make)
    assert return_response(reviewer, response, ["B4", "C1"], "Utdyp B4 og C1.").status_code == 302
    supplier_client = app.test_client()
    sign_in(supplier_client, user.email)
    return response, user, supplier_client


def _reviewer_client(app, make, buyer=None):
    reviewer = make.user(role="reviewer", **({"buyer": buyer} if buyer else {}))
    _db.session.commit()
    client = app.test_client()
    sign_in(client, reviewer.email)
    return client


def _save_b(client, response, reply, answer="Roller og rutiner er beskrevet.", **extra):
    return post(client, f"/responses/{response.id}/sections/B", {
        "present-B4": "1", "q-B4-answer": answer, "reply-B4": reply, "action": "save",
        **extra,
    })


def _stored_replies(db):
    db.session.expire_all()
    return {r.question_id: r.text for r in db.session.query(ClarificationReply)}


def test_a_reply_is_saved_with_the_section_and_shown_again(db, returned):
    response, _user, client = returned
    db.session.add(QuestionReview(response_id=response.id, question_id="B4",
                                  comment_to_supplier="Beskriv rutinen for varsling."))
    db.session.commit()

    saved = _save_b(client, response, "  Vi har lagt til rutinen\r\nfra mars.  ")

    assert saved.status_code == 302
    assert _stored_replies(db) == {"B4": "Vi har lagt til rutinen\nfra mars."}
    page = client.get(f"/responses/{response.id}/sections/B")
    html = markup(page)
    b4 = html.split('id="q-B4"', 1)[1].split('id="q-B5"', 1)[0]
    assert '<textarea class="ds-input" id="reply-B4" name="reply-B4"' in b4
    assert "Vi har lagt til rutinen\nfra mars.</textarea>" in b4
    # Right under the reviewer's comment it answers, before the answer's own fields.
    assert (b4.index("Beskriv rutinen for varsling.") < b4.index('id="reply-B4"')
            < b4.index('name="q-B4-answer"'))
    assert tr("Your reply to the reviewer on %(question)s", question="B4") in text(page)
    # Only reopened questions get a reply field.
    assert 'name="reply-B5"' not in html
    # The overview's list of what to answer shows the reply waiting to be sent.
    overview = text(client.get(f"/responses/{response.id}"))
    assert "Vi har lagt til rutinen fra mars." in overview
    # Changed again, then cleared: each change is in the trail.
    _save_b(client, response, "Ny tekst.")
    _save_b(client, response, "")
    assert _stored_replies(db) == {"B4": ""}
    events = [(e.field, e.before, e.after) for e in db.session.query(AuditEvent)
              .filter_by(action="clarification.replied").order_by(AuditEvent.id)]
    assert events == [("clarification.1.B4", None, "Vi har lagt til rutinen\nfra mars."),
                      ("clarification.1.B4", "Vi har lagt til rutinen\nfra mars.", "Ny tekst."),
                      ("clarification.1.B4", "Ny tekst.", None)]


def test_a_too_long_reply_is_refused_as_typed_and_the_answers_are_kept(db, returned):
    response, _user, client = returned
    long_reply = "x" * (services.MAX_REPLY + 1)

    refused = _save_b(client, response, long_reply, answer="Nytt svar på B4.")

    assert refused.status_code == 422
    message = tr("Shorten your reply to %(question)s to at most %(limit)s characters (it has %(length)s)",
                 question="B4", limit="2\u00a0000", length="2\u00a0001")
    html = markup(refused)
    assert f"<title>{tr('Error:')} " in html
    assert f'href="#reply-B4">{message}' in html
    assert f">{long_reply}</textarea>" in html  # kept as typed, to shorten
    assert 'aria-describedby="reply-B4-hint reply-B4-error" aria-invalid="true"' in html
    assert _stored_replies(db) == {}
    stored = {a.question_id: a.value for a in _reload(db, response).answers}
    assert stored["B4"] == {"answer": "Nytt svar på B4."}


def test_a_refused_answer_does_not_lose_the_reply(db, returned):
    response, _user, client = returned

    refused = _save_b(client, response, "Svaret er utdypet.", answer="y" * 4001)

    assert refused.status_code == 422
    assert _stored_replies(db) == {"B4": "Svaret er utdypet."}
    assert ">Svaret er utdypet.</textarea>" in markup(refused)


def test_a_reply_restored_after_sign_out_is_shown_again(db, returned):
    response, user, client = returned
    responses.keep_pending_input(user, f"/responses/{response.id}/sections/B",
                                 {"present-B4": ["1"], "q-B4-answer": ["Svar"], "reply-B4": ["Mitt svar"]})
    db.session.commit()

    page = markup(client.get(f"/responses/{response.id}/sections/B"))

    assert ">Mitt svar</textarea>" in page


def test_replies_only_on_reopened_questions_and_only_while_returned(db, returned, make):
    response, user, client = returned

    # A crafted field for a question that was not reopened is ignored.
    post(client, f"/responses/{response.id}/sections/B", {
        "present-B5": "1", "q-B5-trained": "3", "reply-B5": "Ikke spurt", "action": "save"})
    assert _stored_replies(db) == {}
    with pytest.raises(services.ReviewError):
        services.save_replies(_reload(db, response), {"B4": "x"},
                              actor=make.user(role="supplier"))  # another supplier's user


def test_the_resubmission_freezes_the_reply_and_the_reviewer_reads_it(app, db, make, returned, resubmit):
    response, user, client = returned
    _save_b(client, response, "Rutinen ble vedtatt i mars.")
    post(client, f"/responses/{response.id}/sections/C", {
        "present-C1": "1", "reply-C1": "Se vedlagt risikovurdering.", "action": "save"})
    reviewer = _reviewer_client(app, make)

    # Before the resubmission the reviewer reads no draft.
    assert "Rutinen ble vedtatt i mars." not in text(reviewer.get(f"/review/responses/{response.id}"))

    submission = resubmit(_reload(db, response), user, {})

    clarification = db.session.query(Clarification).one()
    assert clarification.answered_submission_id == submission.id
    # Frozen: the supplier can no longer change it, by the page or by the service.
    _save_b(client, response, "Endret etterpå.")
    assert _stored_replies(db) == {"B4": "Rutinen ble vedtatt i mars.", "C1": "Se vedlagt risikovurdering."}
    with pytest.raises(services.ReviewError):
        services.save_replies(_reload(db, response), {"B4": "Endret etterpå."}, actor=user)

    page = reviewer.get(f"/review/responses/{response.id}")
    assert page.status_code == 200
    html = markup(page)
    b4 = html.split('id="q-B4"', 1)[1].split('id="q-B5"', 1)[0]
    assert tr("The supplier's reply to clarification round %(number)s", number=1) in b4
    assert "Rutinen ble vedtatt i mars." in b4
    c1 = html.split('id="q-C1"', 1)[1].split("</section>", 1)[0]
    assert "Se vedlagt risikovurdering." in c1
    rounds = html.split('id="clarifications-heading"', 1)[1]
    assert "Rutinen ble vedtatt i mars." in rounds
    assert rounds.index(">B4<") < rounds.index(">C1<")
    history = text(reviewer.get(f"/review/responses/{response.id}/history"))
    assert "Se vedlagt risikovurdering." in history
    assert tr("Reply to the reviewer changed") in history
    # The supplier sees what it sent in its own list of rounds.
    assert "Rutinen ble vedtatt i mars." in text(client.get(f"/responses/{response.id}"))


def test_the_reviewer_is_mailed_the_replies_with_the_resubmission(app, db, make, returned, resubmit, sent_mail):
    from portal.review import notify

    response, user, client = returned
    _save_b(client, response, "Rutinen ble vedtatt i mars.")
    post(client, f"/responses/{response.id}/sections/C", {
        "present-C1": "1", "reply-C1": "Se <vedlagt> risikovurdering.", "action": "save"})
    manager = make.user(role="reviewer", locale="en")
    _reload(db, response).agreement.contract_manager = manager
    db.session.commit()

    submission = resubmit(_reload(db, response), user, {})
    assert notify.response_submitted(_reload(db, response), submission) == 1
    db.session.commit()

    mail = sent_mail[-1]
    assert mail.to == manager.email
    heading = "The supplier's replies to your questions:"  # the reviewer reads English
    assert heading in mail.text
    assert heading in mail.html
    # In the order the reviewer reopened them, each after its question.
    assert mail.text.index("B4 ") < mail.text.index("Rutinen ble vedtatt i mars.") < mail.text.index("C1 ")
    assert mail.text.index("C1 ") < mail.text.index("Se <vedlagt> risikovurdering.")
    assert "Se &lt;vedlagt&gt; risikovurdering." in mail.html


def test_a_first_submission_mails_no_replies(db, make, submitted, sent_mail):
    from portal.review import notify

    make.user(role="reviewer", locale="en")
    response = submitted()
    notify.response_submitted(response, response.latest_submission)
    db.session.commit()

    assert "The supplier's replies to your questions:" not in sent_mail[-1].text


def test_another_supplier_and_another_buyer_cannot_read_or_write_replies(app, db, make, returned, resubmit):
    response, user, client = returned
    _save_b(client, response, "Hemmelig svar.")
    resubmit(_reload(db, response), user, {})
    other_supplier = app.test_client()
    sign_in(other_supplier, make.user(role="supplier").email)
    other_reviewer = _reviewer_client(app, make, buyer=make.buyer())

    assert other_supplier.get(f"/responses/{response.id}").status_code == 404
    assert other_supplier.get(f"/responses/{response.id}/sections/B").status_code == 404
    assert _save_b(other_supplier, response, "Overskrevet").status_code == 404
    assert other_reviewer.get(f"/review/responses/{response.id}").status_code == 404
    assert other_reviewer.get(f"/review/responses/{response.id}/history").status_code == 404
    assert _stored_replies(db) == {"B4": "Hemmelig svar."}


def test_check_your_answers_shows_the_reply_that_will_be_sent(db, returned):
    response, _user, client = returned
    _save_b(client, response, "Rutinen ble vedtatt i mars.")

    page = markup(client.get(f"/responses/{response.id}/submit"))

    b4 = page.split('<span class="question__id">B4</span>', 1)[1].split("</dd>", 1)[0]
    assert f"<strong>{tr('Your reply to the reviewer:')}</strong> Rutinen ble vedtatt i mars." in b4


def test_a_response_returned_without_a_recorded_round_offers_no_reply_and_saves_safely(
    app, db, make, submitted
):
    user = make.user(role="supplier")
    response = submitted(user=user)
    response.status, response.reopened_questions = "returned", ["B4"]  # as before rounds were recorded
    db.session.commit()
    client = app.test_client()
    sign_in(client, user.email)

    assert 'name="reply-B4"' not in markup(client.get(f"/responses/{response.id}/sections/B"))
    assert _save_b(client, response, "Svar uten runde").status_code == 302
    assert _stored_replies(db) == {}


@pytest.mark.parametrize(("typed", "status", "kept"), [
    ("Nul\x00 og\x07 styretegn", 302, "Nul og styretegn"),
    ("<script>alert(1)</script> 😀", 302, "<script>alert(1)</script> 😀"),
    ("y" * 100_000, 422, None),
])
def test_odd_replies_are_cleaned_or_refused_never_a_server_error(db, returned, typed, status, kept):
    response, _user, client = returned

    reply = _save_b(client, response, typed)

    assert reply.status_code == status
    assert _stored_replies(db) == ({"B4": kept} if kept is not None else {})
    if kept and "<script>" in kept:
        assert "<script>alert(1)</script>" not in client.get(f"/responses/{response.id}/sections/B").get_data(as_text=True)
