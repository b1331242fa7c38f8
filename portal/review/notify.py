"""E-mails about reviews, each in the recipient's language. Call them in the transaction of
the change: they are queued with it and sent by a job after the commit.

- to the supplier's users when a response is returned for clarification or accepted;
- to the agreement's contract manager (else every reviewer) when a response is
  submitted or resubmitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from portal import mail, notifications
from portal.extensions import db
from portal.models import Agreement, Clarification, Response, Role, Submission, User
from portal.review.services import COMMENTS_VISIBLE, definition_and_sections


def supplier_recipients(supplier_id: int) -> list[User]:
    """The supplier's active users who have completed their account."""
    return notifications.supplier_users({supplier_id}).get(supplier_id, [])


def review_recipients(agreement: Agreement | None) -> list[User]:
    """The agreement's contract manager if active, else every active reviewer (else admins)."""
    manager = agreement.contract_manager if agreement is not None else None
    if manager is not None and manager.is_active and manager.is_staff:
        return [manager]
    for role in (Role.REVIEWER, Role.ADMIN):
        users = list(db.session.scalars(
            select(User).where(User.role == role.value, User.is_active.is_(True),
                               User.password_hash.is_not(None)).order_by(User.email)
        ))
        if users:
            return users
    return []


def _common(response: Response) -> dict[str, Any]:
    return {"response": response, "round": response.round, "agreement": response.agreement,
            "supplier": response.supplier,
            "municipality": response.agreement.buyer.name}


def _question_lines(
    response: Response, question_ids: Iterable[str], comments: dict[str, str], locale: str
) -> list[tuple[str, str, str]]:
    definition, _sections = definition_and_sections(response)
    lines = []
    for qid in question_ids:
        try:
            text = definition.question(qid).text.get(locale)
        except KeyError:
            text = ""
        lines.append((qid, text, comments.get(qid, "")))
    return lines


def _send(template: str, event: str, users: Sequence[User], **context: Any) -> int:
    for user in users:
        mail.queue_mail(event, template, user.locale, user.email, user=user, **context)
    return len(users)


def _supplier_comments(response: Response) -> dict[str, str]:
    from portal.review.services import comments_for_supplier

    return comments_for_supplier(response) if response.status in COMMENTS_VISIBLE else {}


def response_returned(response: Response, clarification: Clarification) -> int:
    """The message, the reopened questions with the comments to the supplier, and a link."""
    comments = _supplier_comments(response)
    link = notifications.external_url("responses.view_response", response_id=response.id)
    sent = 0
    for user in supplier_recipients(response.supplier_id):
        lines = _question_lines(response, clarification.questions, comments, user.locale)
        sent += _send("response_returned", f"clarification:{clarification.id}:returned", [user],
                      clarification=clarification, questions=lines,
                      link=link, **_common(response))
    return sent


def response_accepted(response: Response) -> int:
    """The acceptance with every comment to the supplier (internal notes are never sent)."""
    comments = _supplier_comments(response)
    link = notifications.external_url("responses.view_response", response_id=response.id)
    event = mail.new_event("response", response.id, "accepted")
    sent = 0
    for user in supplier_recipients(response.supplier_id):
        lines = _question_lines(response, _in_questionnaire_order(response, comments),
                                comments, user.locale)
        sent += _send("response_accepted", event, [user], questions=lines, link=link,
                      **_common(response))
    return sent


def _in_questionnaire_order(response: Response, question_ids: Iterable[str]) -> list[str]:
    _definition, sections = definition_and_sections(response)
    order = {q.id: index for index, q in enumerate(q for s in sections for q in s.questions)}
    return sorted(question_ids, key=lambda qid: order.get(qid, len(order)))


def response_submitted(response: Response, submission: Submission) -> int:
    """Tell the reviewer that a response (or its answer to a clarification) awaits review;
    a resubmission's mail carries the supplier's reply on each reopened question."""
    link = notifications.external_url("review.review_response", response_id=response.id)
    event = f"response:{response.id}:submission:{submission.number}:to_review"
    resubmitted = response.status == "resubmitted"
    replies = _replies_answering(submission) if resubmitted else {}
    sent = 0
    for user in review_recipients(response.agreement):
        lines = _question_lines(response, replies, replies, user.locale)
        sent += _send("response_to_review", event, [user], submission=submission, replies=lines,
                      link=link, resubmitted=resubmitted, **_common(response))
    return sent


def _replies_answering(submission: Submission) -> dict[str, str]:
    """The supplier's replies on the clarification round the submission answers, by question."""
    clarification = db.session.scalar(
        select(Clarification).where(Clarification.answered_submission_id == submission.id))
    if clarification is None:
        return {}
    order = {qid: i for i, qid in enumerate(clarification.questions)}
    replies = sorted((r for r in clarification.replies if r.text), key=lambda r: order.get(r.question_id, len(order)))
    return {r.question_id: r.text for r in replies}
