"""The submit never waits for the mail server: its e-mails are queued with the submission."""

from __future__ import annotations

from sqlalchemy import select

from portal import mail
from portal.models import MailDelivery, Response
from tests.conftest import closed_port, csrf_token
from tests.responses.test_fill import _fill_all, _supplier_with_response


def _submit(client, response):
    path = f"/responses/{response.id}/submit"
    return client.post(path, data={"csrf_token": csrf_token(client, path),
                                   "q-I1-confirm-confirmed": "yes", "q-I1-confirm-name": "Per Hansen",
                                   "q-I1-confirm-title": "Daglig leder",
                                   "q-I1-confirm-date": "2025-03-01"}, follow_redirects=True)


def test_submit_succeeds_when_the_mail_server_is_down_and_the_mail_goes_later(
        app, client, make, make_response, db, login_as, request):
    reviewer = make.user(role="reviewer")
    user, response = _supplier_with_response(make, make_response, db, login_as, variant="simplified")
    _fill_all(db, response, user)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port(), SMTP_STARTTLS=False)
    app.extensions["aktsom_sent_mail"] = []

    reply = _submit(client, response)

    assert reply.status_code == 200
    assert "Kvitteringen er på vei til" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"
    deliveries = list(db.session.scalars(select(MailDelivery).order_by(MailDelivery.recipient)))
    assert sorted(d.recipient for d in deliveries) == sorted([user.email, reviewer.email])
    assert all(d.sent_at is None and d.attempts == app.config["JOBS_INLINE_ATTEMPTS"] and d.last_error for d in deliveries)

    # The server is back (a 451 after one message, then healthy): each job's retry sends what
    # is still unsent, once.
    flaky_smtp = request.getfixturevalue("flaky_smtp")
    flaky_smtp.accept = 1
    for delivery in deliveries:
        try:
            mail.deliver_mail(delivery.id)
        except Exception:
            db.session.rollback()
    flaky_smtp.accept = 10
    for delivery in deliveries:
        mail.deliver_mail(delivery.id)
        mail.deliver_mail(delivery.id)

    assert sorted(flaky_smtp.delivered) == sorted([user.email, reviewer.email])
    db.session.expire_all()
    receipt = db.session.scalar(select(MailDelivery).where(MailDelivery.recipient == user.email))
    assert receipt.sent_at is not None
    assert receipt.attachment is None  # the PDF's bytes are not kept once sent
