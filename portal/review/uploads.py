"""Storing several uploaded files at once: all of them, or none."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from portal import storage
from portal.uploads import StoredFile, UploadRefused, display_name, store_upload


class UploadProblem(Exception):
    """One of the files was refused; the message names it and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def store_all(uploads: Iterable[FileStorage]) -> list[StoredFile]:
    """Check and store every chosen file; if one is refused, the others are removed again."""
    stored: list[StoredFile] = []
    for upload in uploads:
        if not upload or not upload.filename:
            continue
        try:
            stored.append(store_upload(upload.stream, upload.filename))
        except UploadRefused as refused:
            for done in stored:
                storage.discard(done.stored_name)
            raise UploadProblem(_("%(file)s: %(reason)s", file=display_name(upload.filename),
                                  reason=str(refused))) from refused
    return stored
