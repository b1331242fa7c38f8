"""Outgoing e-mail, always in the recipient's language, as text and HTML.

With SMTP configured, messages go to the server. Without it (development,
tests) they are written as .eml files to ``instance/outbox/`` and logged.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import Flask, after_this_request, current_app, render_template
from flask_babel import force_locale
from werkzeug.wrappers import Response

from portal import logs
from portal.models import utcnow

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
    message["Message-ID"] = make_msgid(domain="aktsom.local")
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
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=20) as smtp:
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


def send_after_response(outgoing: Outgoing) -> None:
    """Send once the response has been written, so that how long the response takes does not
    tell whether a message was sent (e.g. whether an address has an account). A failure can
    then no longer reach the user, so it is logged."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    request_id = logs.current_request_id()

    def _send() -> None:
        # After the response the request is gone: its id still goes on the mail's log lines.
        with app.app_context(), logs.bind_request_id(request_id):
            try:
                send(outgoing)
            except Exception:
                log.exception("mail_failed to=%s subject=%s", outgoing.to, outgoing.subject)

    @after_this_request
    def _defer(response: Response) -> Response:
        response.call_on_close(_send)
        return response


def send_mail(
    template: str, locale: str, to: str, attachments: list[Attachment] | None = None, **context: object
) -> Outgoing:
    outgoing = render_mail(template, locale, to, attachments, **context)
    send(outgoing)
    return outgoing


def _slug(address: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in address)[:60]


def init_app(app: Flask) -> None:
    app.extensions.setdefault("aktsom_sent_mail", [])
