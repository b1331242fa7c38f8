"""The receipt e-mail to the supplier user who submitted a response, with the stored PDF.

Queued by the receipt job (portal/responses/jobs.py) in the commit that stores the
receipt, and sent by another job after that commit."""

from __future__ import annotations

from portal import mail, notifications, storage
from portal.models import Response, Submission


def receipt_filename(response: Response, submission: Submission) -> str:
    return f"aktsom-kvittering-{response.id}-{submission.number}.pdf"


def receipt_event(response: Response, submission: Submission) -> str:
    return f"response:{response.id}:submission:{submission.number}:receipt"


def send_receipt(response: Response, submission: Submission) -> int:
    user = submission.submitted_by
    if user is None or user.is_erased or submission.receipt_name is None:
        return 0
    content = storage.read_bytes(submission.receipt_name)
    mail.queue_mail(
        receipt_event(response, submission),
        "response_submitted", user.locale, user.email,
        attachments=[mail.Attachment(receipt_filename(response, submission), content)],
        user=user, response=response, submission=submission,
        link=notifications.external_url("responses.view_response", response_id=response.id),
    )
    return 1
