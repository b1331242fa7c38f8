"""Outgoing e-mail: the outbox without SMTP, text and HTML parts, and no header injection."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from portal import mail


@pytest.fixture
def outbox(app, tmp_path):
    app.config.update(MAIL_OUTBOX=str(tmp_path / "outbox"), SMTP_HOST="")
    return tmp_path / "outbox"


def _messages(outbox):
    return [BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            for path in sorted(outbox.glob("*.eml"))]


def test_without_smtp_messages_are_written_to_the_outbox(app, db, outbox, sent_mail):
    mail.send_mail("password_reset", "en", "kari@example.no", user=_Person("Kari"),
                   link="http://aktsom.test/password/reset/abc", hours=2, requested_at="now")

    [message] = _messages(outbox)
    assert message["To"] == "kari@example.no"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Subject"] == sent_mail[0].subject
    assert message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert "http://aktsom.test/password/reset/abc" in text_part.get_content()
    assert 'href="http://aktsom.test/password/reset/abc"' in html_part.get_content()
    assert "Kari" in text_part.get_content()
    assert "Kari" in html_part.get_content()
    assert '<html lang="en">' in html_part.get_content()


def test_each_message_gets_its_own_file(app, db, outbox):
    for n in range(3):
        mail.send(mail.Outgoing(to=f"n{n}@example.no", subject=f"Subject {n}", text="t", html="<p>h</p>"))

    assert sorted(m["To"] for m in _messages(outbox)) == ["n0@example.no", "n1@example.no", "n2@example.no"]


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.no", "Hello\nBcc: victim@example.no",
                                     "Hello\rBcc: victim@example.no"])
def test_line_breaks_in_a_subject_cannot_add_headers(app, db, outbox, subject):
    mail.send(mail.Outgoing(to="kari@example.no", subject=subject, text="t", html="<p>h</p>"))

    [message] = _messages(outbox)
    assert message["Subject"] == "Hello Bcc: victim@example.no"
    assert message["Bcc"] is None
    assert "victim@example.no" not in (message["To"] or "")
    assert "\n" not in message["Subject"]
    assert "\r" not in message["Subject"]
    raw = next(outbox.glob("*.eml")).read_bytes()
    assert b"\nBcc:" not in raw


def test_line_breaks_in_a_recipient_cannot_add_headers(app, db, outbox):
    with pytest.raises(ValueError, match="[Ll]inefeed|line"):
        mail.send(mail.Outgoing(to="kari@example.no\r\nBcc: victim@example.no", subject="Hi",
                                text="t", html="<p>h</p>"))

    assert list(outbox.glob("*.eml")) == []


def test_attachments_are_added(app, db, outbox):
    mail.send(mail.Outgoing(to="kari@example.no", subject="Kvittering", text="t", html="<p>h</p>",
                            attachments=[mail.Attachment("kvittering.pdf", b"%PDF-1.7 test")]))

    [message] = _messages(outbox)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "kvittering.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"


def test_with_smtp_the_message_goes_to_the_server(app, db, outbox, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user, password))

        def send_message(self, message):
            sent.append(("send", message["To"], message["Subject"]))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(SMTP_HOST="smtp.kommune.example", SMTP_PORT=587, SMTP_USERNAME="aktsom",
                      SMTP_PASSWORD="s3cret", SMTP_STARTTLS=True)

    mail.send(mail.Outgoing(to="kari@example.no", subject="Hei", text="t", html="<p>h</p>"))

    assert sent == [("connect", "smtp.kommune.example", 587), ("starttls",), ("login", "aktsom", "s3cret"),
                    ("send", "kari@example.no", "Hei")]
    assert list(outbox.glob("*.eml")) == []


class _Person:
    def __init__(self, name):
        self.name = name
        self.email = f"{name.lower()}@example.no"
