"""Returning for clarification, the supplier's answer, acceptance and reopening."""

from __future__ import annotations

import pytest

from portal import clock
from portal.models import (
    AuditEvent,
    Clarification,
    FollowUpActivity,
    QuestionReview,
    Response,
)
from portal.review import notify, services
from tests.auth.helpers import flashed, link_in, post, sign_in, text, tr
from tests.review.helpers import accept, return_response, save_verdicts


def _reload(db, response):
    db.session.expire_all()
    return db.session.get(Response, response.id)


def test_return_reopens_the_chosen_questions_and_mails_every_supplier_user_in_their_language(
    client, db, make, submitted, login_as, sent_mail
):
    supplier = make.supplier()
    norwegian = make.user(role="supplier", supplier=supplier, locale="nb")
    english = make.user(role="supplier", supplier=supplier, locale="en")
    make.user(role="supplier", supplier=supplier, password_hash=None)  # not yet signed up
    make.user(role="supplier", supplier=supplier, is_active=False)
    response = submitted(user=norwegian)
    login_as("reviewer")
    save_verdicts(client, response, {"B4": ("partly", "Beskriv rapporteringen til ledelsen.",
                                            "Internt: svakt svar")})

    reply = return_response(client, response, ["C1", "B4"], "Vi trenger mer om B4 og C1.")

    assert reply.status_code == 302
    stored = _reload(db, response)
    assert stored.status == "returned"
    assert stored.reopened_questions == ["B4", "C1"]  # questionnaire order
    clarification = db.session.query(Clarification).one()
    assert (clarification.number, clarification.message) == (1, "Vi trenger mer om B4 og C1.")
    assert sorted(m.to for m in sent_mail) == sorted([norwegian.email, english.email])
    by_to = {m.to: m for m in sent_mail}
    nb_mail, en_mail = by_to[norwegian.email], by_to[english.email]
    assert stored.agreement.name_nb in nb_mail.subject
    assert stored.agreement.name_en in en_mail.subject
    assert 'lang="nb"' in nb_mail.html
    assert 'lang="en"' in en_mail.html
    assert "Hei" in nb_mail.text
    assert "Hello" in en_mail.text
    for mail in (nb_mail, en_mail):
        assert "Vi trenger mer om B4 og C1." in mail.text
        assert "Beskriv rapporteringen til ledelsen." in mail.text  # comment to the supplier
        assert "Internt" not in mail.text
        assert "Internt" not in mail.html
        assert link_in(mail) == f"/responses/{response.id}"
    # The question texts in the recipient's language.
    assert "Har dere gjennomført en risikovurdering" in nb_mail.text
    assert "Have you carried out a risk assessment" in en_mail.text
    events = {(e.action, e.field) for e in db.session.query(AuditEvent)}
    assert ("response.returned", "status") in events
    assert ("clarification.created", "clarification.1") in events


@pytest.mark.parametrize(("questions", "shown"), [(["B4"], "question B4"), (["C1", "B4"], "questions B4, C1")])
def test_the_supplier_sees_which_questions_were_returned(app, client, db, make, submitted, login_as,
                                                         questions, shown):
    supplier = make.supplier()
    english = make.user(role="supplier", supplier=supplier, locale="en")
    response = submitted(user=english)
    login_as("reviewer")
    assert return_response(client, response, questions, "Please clarify.").status_code == 302

    supplier_client = app.test_client()
    sign_in(supplier_client, english.email)
    page = text(supplier_client.get(f"/responses/{response.id}"))
    assert f"– {shown}" in page


@pytest.mark.parametrize(
    ("questions", "message", "error"),
    [
        ([], "Hva mener dere?", "Choose at least one question for the supplier to answer again"),
        (["B4"], "", "Write a message to the supplier saying what to clarify"),
        (["B4"], "   ", "Write a message to the supplier saying what to clarify"),
        (["Z9"], "Hva?", "Choose among the questions listed"),
    ],
)
def test_a_return_without_questions_or_message_is_refused(client, db, submitted, login_as,
                                                           sent_mail, questions, message, error):
    response = submitted()
    login_as("reviewer")

    reply = return_response(client, response, questions, message)

    assert reply.status_code == 422
    assert tr(error) in text(reply)
    assert _reload(db, response).status == "submitted"
    assert db.session.query(Clarification).count() == 0
    assert sent_mail == []


@pytest.mark.parametrize("status", ["not_started", "in_progress", "returned", "accepted"])
def test_return_and_accept_are_refused_in_the_wrong_status(client, db, make_response, login_as,
                                                           sent_mail, status):
    response = make_response(status=status)
    db.session.commit()
    login_as("reviewer")

    returned = return_response(client, response, ["B4"], "Hva?")
    assert returned.status_code == 302
    assert flashed(client)
    accepted = post(client, f"/review/responses/{response.id}/accept")
    assert accepted.status_code == 302
    assert flashed(client)
    assert _reload(db, response).status == status
    assert db.session.query(Clarification).count() == 0
    assert db.session.query(FollowUpActivity).count() == 0
    assert sent_mail == []


def test_resubmission_answers_the_round_and_the_reviewer_is_told(db, make, submitted, resubmit,
                                                                 sent_mail):
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    manager = make.user(role="reviewer", locale="en")
    make.user(role="reviewer")  # not the contract manager: not told
    response = submitted(user=user)
    response.agreement.contract_manager = manager
    reviewer = make.user(role="reviewer")
    services.return_response(response, ["B4"], "Utdyp.", actor=reviewer)
    db.session.commit()
    assert services.clarification_history(response)[0].answered_at is None

    submission = resubmit(response, user, {"B4": {"answer": "Utdypet."}})
    sent = notify.response_submitted(response, submission)
    db.session.commit()  # queued with the change, sent once it commits

    assert _reload(db, response).status == "resubmitted"
    history = services.clarification_history(response)
    assert [(h.number, h.message, h.questions, h.answered_submission) for h in history] == [
        (1, "Utdyp.", ("B4",), 2)]
    assert history[0].answered_at == submission.submitted_at
    assert sent == 1
    assert sent_mail[-1].to == manager.email
    assert response.agreement.name_en in sent_mail[-1].subject
    assert link_in(sent_mail[-1]) == f"/review/responses/{response.id}"


def test_without_a_contract_manager_every_reviewer_is_told(db, make, submitted, sent_mail):
    first, second = make.user(role="reviewer"), make.user(role="reviewer", locale="en")
    make.user(role="admin")
    response = submitted()

    assert notify.response_submitted(response, response.latest_submission) == 2
    db.session.commit()
    assert sorted(m.to for m in sent_mail) == sorted([first.email, second.email])


def test_comments_reach_the_supplier_only_when_returned_or_accepted(db, make, submitted):
    response = submitted()
    reviewer = make.user(role="reviewer")
    services.save_verdicts(response, [
        services.VerdictInput("B1", "meets", "Bra.", "Intern merknad"),
        services.VerdictInput("B2", "partly", "", "Bare internt"),
    ], actor=reviewer, today=clock.today())
    db.session.commit()

    assert services.comments_for_supplier(response) == {}  # still under review
    services.return_response(response, ["B2"], "Se B2.", actor=reviewer)
    assert services.comments_for_supplier(response) == {"B1": "Bra."}


def test_accept_records_the_activity_and_mails_the_comments_never_the_internal_notes(
    client, db, make, submitted, login_as, sent_mail
):
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier, locale="en")
    response = submitted(user=user)
    reviewer = login_as("reviewer")
    save_verdicts(client, response, {"B1": ("meets", "Good policy.", "Checked with legal.")})

    reply = accept(client, response)

    assert reply.status_code == 302
    stored = _reload(db, response)
    assert stored.status == "accepted"
    assert stored.accepted_at is not None
    activity = db.session.query(FollowUpActivity).one()
    assert (activity.kind, activity.date, activity.response_id) == (
        "questionnaire_reviewed", clock.today(), response.id)
    assert (activity.agreement_id, activity.supplier_id, activity.created_by_id) == (
        response.agreement_id, response.supplier_id, reviewer.id)
    [mail] = sent_mail
    assert mail.to == user.email
    assert 'lang="en"' in mail.html
    assert "Good policy." in mail.text
    assert "Good policy." in mail.html
    assert "Checked with legal." not in mail.text + mail.html
    events = {(e.action, e.object_type) for e in db.session.query(AuditEvent)}
    assert ("response.accepted", "Response") in events
    assert ("activity.created", "FollowUpActivity") in events


def test_reopen_needs_a_reason_and_keeps_the_activity(client, db, make, submitted, resubmit,
                                                      login_as):
    user = make.user(role="supplier")
    response = submitted(user=user)
    reviewer = login_as("reviewer")
    accept(client, response)

    refused = post(client, f"/review/responses/{response.id}/reopen", {"reason": ""})
    assert refused.status_code == 422
    assert tr("Say why the review is reopened") in text(refused)
    assert _reload(db, response).status == "accepted"

    reply = post(client, f"/review/responses/{response.id}/reopen",
                 {"reason": "Ny informasjon fra media."})

    assert reply.status_code == 302
    assert _reload(db, response).status == "submitted"  # one submission
    assert db.session.query(FollowUpActivity).count() == 1
    reason = db.session.query(AuditEvent).filter_by(action="response.reopened",
                                                    field="reason").one()
    assert reason.after == "Ny informasjon fra media."
    assert reason.actor_id == reviewer.id
    # Reopening is only for accepted reviews.
    again = post(client, f"/review/responses/{response.id}/reopen", {"reason": "x"})
    assert again.status_code == 302
    assert _reload(db, response).status == "submitted"


def test_reopening_a_review_after_a_clarification_goes_back_to_resubmitted(db, make, submitted,
                                                                          resubmit):
    user = make.user(role="supplier")
    reviewer = make.user(role="reviewer")
    response = submitted(user=user)
    services.return_response(response, ["B4"], "Utdyp.", actor=reviewer)
    resubmit(response, user, {"B4": {"answer": "Utdypet."}})
    services.accept_response(response, actor=reviewer, today=clock.today())

    assert services.reopen_response(response, "Feil", actor=reviewer) == "resubmitted"
    assert db.session.query(QuestionReview).count() == 0
