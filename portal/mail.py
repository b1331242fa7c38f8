"""Outgoing e-mail, always in the recipient's language, as text and HTML.

The request path never talks to the mail server: :func:`queue_mail` renders the
message and records it as a :class:`MailDelivery` row in the transaction of the
change, and enqueues :func:`deliver_mail`, a job that sends it after the commit.

With SMTP configured, messages go to the server. Without it (development,
tests) they are written as .eml files to ``instance/outbox/`` and logged.

What "exactly once" means here: a delivery row is written once, with the change
(so a rolled-back change sends nothing), and the job sends only rows not yet marked
sent, marking each in its own commit right after the server accepted it. A worker
that dies, or a server that fails after accepting some messages, therefore never
loses a message and never resends one that was marked. The one window SMTP leaves
open is between the server's acceptance and that commit (a crash in those
milliseconds, or a reply lost to a timeout after the server queued the message):
then the retry sends a second copy with the same Message-ID, which mail clients
recognise as the same message.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from portal import jobs
from portal.extensions import db
from portal.models import MailDelivery, utcnow

log = logging.getLogger(__name__)


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass
class Outgoing:
    to: str
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    message_id: str | None = None


def render_mail(
    template: str, locale: str, to: str, attachments: list[Attachment] | None = None, **context: object
) -> Outgoing:
    """Render ``templates/email/<template>.{subject,txt,html}`` in the recipient's locale."""
    with force_locale(locale):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    return Outgoing(to=to, subject=subject, text=text, html=html, attachments=attachments or [])


def build_message(outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = outgoing.to
    # A subject can carry user text (a name); fold any line break so it stays one header
    # instead of failing the request. Addresses with line breaks are still refused.
    message["Subject"] = " ".join(outgoing.subject.split())
    message["Message-ID"] = outgoing.message_id or make_msgid(domain="aktsom.local")
    message.set_content(outgoing.text)
    message.add_alternative(outgoing.html, subtype="html")
    for attachment in outgoing.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send(outgoing: Outgoing) -> None:
    message = build_message(outgoing)
    config = current_app.config
    if config.get("TESTING"):
        current_app.extensions.setdefault("aktsom_sent_mail", []).append(outgoing)
    if config["SMTP_HOST"]:
        timeout = float(config["SMTP_TIMEOUT"])
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=timeout) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
        log.info("mail_sent to=%s subject=%s", outgoing.to, outgoing.subject)
        return
    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{_slug(outgoing.to)}.eml"
    path.write_bytes(bytes(message))
    log.info("mail_written to=%s subject=%s file=%s", outgoing.to, outgoing.subject, path)


def send_mail(
    template: str, locale: str, to: str, attachments: list[Attachment] | None = None, **context: object
) -> Outgoing:
    """Render and send now, outside any job: for tools, not for the request path."""
    outgoing = render_mail(template, locale, to, attachments, **context)
    send(outgoing)
    return outgoing


def new_event(*parts: object) -> str:
    """An event key for something that can happen again (an invitation sent anew)."""
    return ":".join([*map(str, parts), secrets.token_hex(6)])


def queue_mail(
    event: str,
    template: str,
    locale: str,
    to: str,
    attachments: list[Attachment] | None = None,
    **context: object,
) -> Outgoing:
    """Render a message and record it for sending after the current transaction commits.

    ``event`` names what happened (``submission:12:receipt``); one event mails each
    address once. The message is rendered now, so it says what was true at the change.
    """
    outgoing = render_mail(template, locale, to, attachments, **context)
    queue_rendered(event, outgoing)
    return outgoing


def queue_rendered(event: str, outgoing: Outgoing) -> MailDelivery:
    """Record a message rendered already (see :func:`queue_mail`) and enqueue its sending."""
    if len(outgoing.attachments) > 1:
        raise ValueError("a queued message carries at most one attachment")
    attachment = outgoing.attachments[0] if outgoing.attachments else None
    delivery = MailDelivery(
        event_key=event[:200], recipient=outgoing.to, subject=outgoing.subject, text_body=outgoing.text,
        html_body=outgoing.html,
        attachment_name=attachment.filename if attachment else None,
        attachment_type=attachment.mimetype if attachment else None,
        attachment=attachment.content if attachment else None,
    )
    db.session.add(delivery)
    db.session.flush()
    jobs.enqueue(deliver_mail, delivery_id=delivery.id)
    return delivery


@jobs.task("portal.deliver_mail", queue="mail")
def deliver_mail(delivery_id: int) -> None:
    """Send one recorded message unless it was sent already; mark it sent right after
    the server accepted it. A failure is recorded on the row and raised, so that the
    job is retried."""
    delivery = db.session.scalar(
        select(MailDelivery)
        .where(MailDelivery.id == delivery_id, MailDelivery.sent_at.is_(None))
        # While one worker sends a row, another (a retry of a job thought dead) skips it.
        .with_for_update(skip_locked=True)
    )
    if delivery is None:
        log.info("mail_already_sent delivery_id=%s", delivery_id)
        return
    delivery.attempts += 1
    attachments = []
    if delivery.attachment is not None and delivery.attachment_name:
        attachments.append(Attachment(delivery.attachment_name, delivery.attachment,
                                      delivery.attachment_type or "application/octet-stream"))
    outgoing = Outgoing(to=delivery.recipient, subject=delivery.subject, text=delivery.text_body,
                        html=delivery.html_body, attachments=attachments,
                        message_id=delivery.message_id)
    try:
        send(outgoing)
    except Exception as error:
        delivery.last_error = f"{type(error).__name__}: {error}"[:500]
        db.session.commit()
        log.warning("mail_failed delivery_id=%s attempts=%s error=%s", delivery_id,
                    delivery.attempts, delivery.last_error)
        raise
    delivery.sent_at = utcnow()
    delivery.last_error = None
    delivery.attachment = None
    db.session.commit()


def _slug(address: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in address)[:60]


def init_app(app: Flask) -> None:
    app.extensions.setdefault("aktsom_sent_mail", [])
