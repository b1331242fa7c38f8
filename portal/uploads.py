"""Evidence uploads: the type is judged from the content, files are stored under generated names.

A file is accepted when its extension is on the list below and its content is
of that kind (magic bytes for binary formats; decodable text without markup for
CSV and plain text). Files go to file storage (portal/storage.py) under a
random key; the original name is kept only for display and download.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import IO

import filetype
from flask import current_app
from flask_babel import gettext as _

from portal import storage

#: What reading an untrusted ZIP archive can raise: a broken or truncated archive, a damaged
#: deflate stream (zlib.error), and RuntimeError for a member that is encrypted (no password)
#: or that zipfile cannot read at all (a newer zip version, strong encryption, patched data:
#: RuntimeError's subclass for what zipfile does not support). Each means "not an archive we
#: accept", never a 500.
UNREADABLE_ZIP = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError)

# extension → (stored MIME type, kinds that filetype may report for it)
ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    "pdf": ("application/pdf", frozenset({"application/pdf"})),
    "png": ("image/png", frozenset({"image/png"})),
    "jpg": ("image/jpeg", frozenset({"image/jpeg"})),
    "jpeg": ("image/jpeg", frozenset({"image/jpeg"})),
    "gif": ("image/gif", frozenset({"image/gif"})),
    "webp": ("image/webp", frozenset({"image/webp"})),
    "heic": ("image/heic", frozenset({"image/heic"})),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"zip:word/"})),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"zip:xl/"})),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", frozenset({"zip:ppt/"})),
    "odt": ("application/vnd.oasis.opendocument.text", frozenset({"odf:application/vnd.oasis.opendocument.text"})),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", frozenset({"odf:application/vnd.oasis.opendocument.spreadsheet"})),
    "doc": ("application/msword", frozenset({"ole"})),
    "xls": ("application/vnd.ms-excel", frozenset({"ole"})),
    "csv": ("text/csv", frozenset({"text"})),
    "txt": ("text/plain", frozenset({"text"})),
}
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
# Office Open XML and OpenDocument files are zips. Limits against zip bombs, after Apache POI's
# ZipSecureFile: at most this many members, this much declared content in all, and no member
# larger than RATIO_GRACE that expands more than MAX_RATIO times. Office programs only store or
# deflate; other methods (bzip2, lzma) are refused because zipfile decompresses their chunks
# without a bound, however few bytes are asked for.
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_TOTAL = 256 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_GRACE = 100 * 1024
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
MARKUP_HINTS = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<body", b"<iframe")
MAX_NAME = 200
# Bidirectional controls make "invoice\u202efdp.exe" display as "invoiceexe.pdf"; a file name
# never needs them, so they are removed from every name we keep or show.
BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


class UploadRefused(Exception):
    """The upload cannot be accepted; the message says why and what to do."""


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    stored_name: str
    size: int
    sha256: str
    mimetype: str


def allowed_extensions() -> list[str]:
    return sorted(ALLOWED)


def _kind_of(head: bytes, data_for_zip: bytes) -> str | None:
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data_for_zip)
    guess = filetype.guess(head)
    if guess is not None:
        return str(guess.mime)
    return None


def _zip_kind(data: bytes) -> str | None:
    """Office Open XML and OpenDocument are zips; tell them apart by their members.

    Only the central directory and the first bytes of the ``mimetype`` member are read;
    an archive that would expand unreasonably is refused before anything is decompressed.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
            _refuse_zip_bomb(members)
            names = [member.filename for member in members]
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    return "odf:" + member.read(100).decode("ascii", "replace").strip()
            for prefix in ("word/", "xl/", "ppt/"):
                if any(name.startswith(prefix) for name in names):
                    return "zip:" + prefix
    except UNREADABLE_ZIP:
        return None
    return None


def _refuse_zip_bomb(members: list[zipfile.ZipInfo]) -> None:
    total = sum(member.file_size for member in members)
    unreasonable = (
        len(members) > ZIP_MAX_MEMBERS
        or total > ZIP_MAX_TOTAL
        or any(member.compress_type not in ZIP_METHODS for member in members)
        or any(member.file_size > ZIP_RATIO_GRACE
               and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1) for member in members)
    )
    if unreasonable:
        raise UploadRefused(
            _("The file is packed in an unusual way: unpacked it would be far larger than the file itself, "
              "or it has too many parts. Save it again from your office program, or as PDF, and try again.")
        )


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    lowered = text[:4096].lower().encode("utf-8", "ignore")
    return not any(hint in lowered for hint in MARKUP_HINTS)


def strip_bidi(text: str) -> str:
    return text.translate(BIDI_CONTROLS)


def display_name(filename: str) -> str:
    """A posted file name fit to show in a message: no folders, no direction controls, not too long."""
    return strip_bidi(filename).replace("\\", "/").rsplit("/", 1)[-1][:100] or "?"


def check_name(filename: str | None) -> tuple[str, str]:
    """The display name and its extension; refuses names that carry a path."""
    name = strip_bidi(filename or "").strip()
    if not name:
        raise UploadRefused(_("Choose a file to upload"))
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name or any(ord(c) < 32 for c in name):
        raise UploadRefused(_("The file name must not contain a folder path. Rename the file and try again."))
    if len(name) > MAX_NAME:
        raise UploadRefused(_("The file name is too long. Use at most %(n)s characters.", n=MAX_NAME))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise UploadRefused(
            _("Files of this type cannot be uploaded. Use PDF, an image (PNG, JPG), an office document "
              "(Word, Excel, PowerPoint, OpenDocument), CSV or plain text.")
        )
    return name, extension


def store_upload(stream: IO[bytes], filename: str | None) -> StoredFile:
    """Check and store one uploaded file; raises UploadRefused with a message for the user."""
    name, _extension = check_name(filename)
    limit = int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024
    data = stream.read(limit + 1)
    _name, mimetype = check_content(data, name)
    record = storage.save(data, kind="uploads", content_type=mimetype)
    return StoredFile(
        original_name=name,
        stored_name=record.key,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        mimetype=mimetype,
    )


def check_content(data: bytes, filename: str | None) -> tuple[str, str]:
    """The checks of an upload without storing it: the display name and the MIME type to store.

    Also used for the files of an answer package (portal/responses/package.py), which are all
    checked before any of them is stored.
    """
    name, extension = check_name(filename)
    limit = int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024
    if not data:
        raise UploadRefused(_("The file is empty. Choose a file with content."))
    if len(data) > limit:
        raise UploadRefused(_("The file is larger than %(mb)s MB. Make it smaller or split it, and try again.",
                              mb=current_app.config["UPLOAD_MAX_MB"]))
    mimetype, kinds = ALLOWED[extension]
    content_ok = _looks_like_text(data) if "text" in kinds else _kind_of(data[:8192], data) in kinds
    if not content_ok:
        raise UploadRefused(
            _("The content of the file does not match its name (.%(ext)s). Check that it is the right file.",
              ext=extension)
        )
    return name, mimetype
