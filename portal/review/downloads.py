"""Sending stored attachments: always as a download, never rendered by the browser."""

from __future__ import annotations

from werkzeug.wrappers import Response as HttpResponse

from portal import storage
from portal.models import Attachment


def send_attachment(attachment: Attachment) -> HttpResponse:
    return storage.send(attachment.stored_name, download_name=attachment.original_name,
                        content_type=attachment.mimetype)
