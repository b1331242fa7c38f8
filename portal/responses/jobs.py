"""The submission receipt, made by a job after the submit commits.

Rendering the receipt PDF takes seconds on a busy server, so the submit only records
the submission and enqueues this job; the job stores the receipt and queues its e-mail
in one commit. Run again (a retry, a worker that died), it skips what is already done.
"""

from __future__ import annotations

from sqlalchemy import select

from portal import jobs
from portal.extensions import db
from portal.models import MailDelivery, Submission
from portal.questionnaires import engine


@jobs.task("portal.make_receipt", queue="default")
def make_receipt(submission_id: int) -> None:
    from portal.responses import notify, services

    submission = db.session.scalar(
        select(Submission).where(Submission.id == submission_id).with_for_update())
    if submission is None:
        return
    response = submission.response
    if submission.receipt_name is None:
        definition = engine.definition_of(response.round.questionnaire_version)
        sections = engine.sections_for_agreement(definition, response.agreement)
        services.store_receipt(response, definition, sections, submission)
        db.session.flush()
    queued = db.session.scalar(select(MailDelivery.id).where(
        MailDelivery.event_key == notify.receipt_event(response, submission)))
    if queued is None:
        notify.send_receipt(response, submission)
    db.session.commit()
