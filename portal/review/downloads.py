"""Sending stored attachments: always as a download, never rendered by the browser."""

from __future__ import annotations

from flask import abort, send_file
from werkzeug.wrappers import Response as HttpResponse

from portal.models import Attachment
from portal.security import DOWNLOAD_CSP
from portal.uploads import path_of


def send_attachment(attachment: Attachment) -> HttpResponse:
    try:
        path = path_of(attachment.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    reply = send_file(path, mimetype=attachment.mimetype, as_attachment=True,
                      download_name=attachment.original_name, max_age=0)
    reply.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply
