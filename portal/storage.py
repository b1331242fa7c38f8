"""File storage: evidence files, attachments, receipts and exports, in one place.

One setting, ``STORAGE_URL`` (environment ``PORTAL_STORAGE_URL``), chooses where files live:

* ``file:///srv/aktsom/storage``: a local (or shared, mounted) folder; the default is the
  instance folder, where uploads and receipts were kept before this module existed;
* ``s3://bucket/prefix``: S3-compatible object storage through boto3, with
  ``PORTAL_S3_ENDPOINT_URL`` for servers other than AWS and boto3's usual
  ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_DEFAULT_REGION``.

Every object has a :class:`~portal.models.StoredObject` row added to the same session that
wrote it. An object written in a transaction that then does not commit is deleted when the
transaction ends; one deleted in a transaction is removed from storage only after the commit.
A process that dies in between leaves an orphan, which :func:`cleanup_orphans` removes later.

Downloads stream through the application (:func:`send`) rather than redirecting to a
presigned URL: the route's access check runs on every download, the bucket needs no address
reachable from browsers, and the response keeps our headers (attachment, ``nosniff``, a
sandbox CSP), which an S3 server would not add.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, send_file
from sqlalchemy import event, or_, select
from sqlalchemy import exists as sql_exists
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.wrappers import Response as HttpResponse

from portal.extensions import db
from portal.models import (
    Attachment,
    EvidenceFile,
    PublishedReportFile,
    StoredObject,
    Submission,
    utcnow,
)
from portal.security import DOWNLOAD_CSP

log = logging.getLogger(__name__)

#: Top-level folders the portal writes; nothing outside them is ever listed or deleted.
KINDS = ("uploads", "receipts", "exports")
KEY_RE = re.compile(r"^(?:uploads|receipts|exports)/[A-Za-z0-9_-]{1,100}$")
CHUNK = 64 * 1024
#: Objects younger than this are never treated as orphans: their transaction may still be open.
ORPHAN_GRACE = timedelta(hours=1)

_NEW = "storage_new"  # session.info: keys written in the current transaction
_DOOMED = "storage_doomed"  # session.info: keys to remove from storage once the transaction commits


class StorageError(RuntimeError):
    """The storage cannot be used as configured."""


class MissingObject(LookupError):
    """No object is stored under this key."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class Backend(Protocol):
    name: str

    def put(self, key: str, data: bytes, *, content_type: str, sha256: str) -> None: ...
    def open(self, key: str) -> tuple[IO[bytes], int]: ...
    def size_of(self, key: str) -> int | None: ...
    def delete(self, key: str) -> None: ...
    def list(self, kind: str) -> Iterator[ObjectInfo]: ...
    def check(self) -> None: ...


def _checked(key: str) -> str:
    if not KEY_RE.match(key):
        raise MissingObject(key)
    return key


class FileBackend:
    """Objects as files under one folder; written to a temporary name, then renamed."""

    name = "file"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, *, content_type: str, sha256: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> tuple[IO[bytes], int]:
        try:
            stream = self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError) as error:
            raise MissingObject(key) from error
        return stream, os.fstat(stream.fileno()).st_size

    def size_of(self, key: str) -> int | None:
        try:
            path = self._path(key)
        except MissingObject:
            return None
        return path.stat().st_size if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, kind: str) -> Iterator[ObjectInfo]:
        folder = self.root / kind
        if not folder.is_dir():
            return
        for entry in os.scandir(folder):
            key = f"{kind}/{entry.name}"
            if entry.is_file() and KEY_RE.match(key):
                stat = entry.stat()
                yield ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def check(self) -> None:
        """The folder exists (made now, as the first upload would) and is writable."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"storage folder {self.root} cannot be made") from error
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"storage folder {self.root} is not writable")


class S3Backend:
    """Objects in an S3 bucket under an optional prefix; the bucket stays private."""

    name = "s3"

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None,
            config=Config(connect_timeout=5, read_timeout=60,
                          retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _full(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, *, content_type: str, sha256: str) -> None:
        # The server checks the SHA-256 itself and refuses a body that arrived damaged.
        self.client.put_object(
            Bucket=self.bucket, Key=self._full(key), Body=data, ContentType=content_type,
            ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode("ascii"),
        )

    def open(self, key: str) -> tuple[IO[bytes], int]:
        from botocore.exceptions import ClientError

        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
        except ClientError as error:
            if _is_not_found(error):
                raise MissingObject(key) from error
            raise
        # botocore's StreamingBody reads like a binary file; its stubs do not say so.
        return cast(IO[bytes], reply["Body"]), int(reply["ContentLength"])

    def size_of(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            reply = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except MissingObject:
            return None
        except ClientError as error:
            if _is_not_found(error):
                return None
            raise
        return int(reply["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def list(self, kind: str) -> Iterator[ObjectInfo]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{start}{kind}/")
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(start):]
                if KEY_RE.match(key):
                    yield ObjectInfo(key, int(item["Size"]), item["LastModified"])

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _is_not_found(error: Any) -> bool:
    return error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def backend_for(url: str, *, endpoint_url: str | None = None) -> Backend:
    """The backend a storage URL names; raises StorageError for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise StorageError(f"STORAGE_URL {url!r}: write file:///absolute/path")
        return FileBackend(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise StorageError(f"STORAGE_URL {url!r}: write s3://bucket/prefix")
        return S3Backend(parts.netloc, unquote(parts.path), endpoint_url)
    raise StorageError(f"STORAGE_URL {url!r}: use file:///path or s3://bucket/prefix")


def backend() -> Backend:
    """The configured backend, built once per application and setting."""
    url = current_app.config["STORAGE_URL"]
    endpoint = current_app.config.get("S3_ENDPOINT_URL") or None
    cache: dict[tuple[str, str | None], Backend] = current_app.extensions.setdefault("aktsom_storage", {})
    if (url, endpoint) not in cache:
        cache[(url, endpoint)] = backend_for(url, endpoint_url=endpoint)
    return cache[(url, endpoint)]


# Saving and deleting, tied to the session's transaction.


def save(data: bytes, *, kind: str, content_type: str) -> StoredObject:
    """Store bytes under a new key and add their record to the session."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    store = backend()
    digest = hashlib.sha256(data).hexdigest()
    record = StoredObject(backend=store.name, key=f"{kind}/{secrets.token_hex(16)}", size=len(data),
                          sha256=digest, content_type=content_type)
    store.put(record.key, data, content_type=content_type, sha256=digest)
    session = db.session()
    session.add(record)
    session.info.setdefault(_NEW, []).append((store, record.key))
    return record


def discard(key: str) -> None:
    """Take back an object saved in this transaction (e.g. one of several uploads refused)."""
    session = db.session()
    pending = session.info.get(_NEW, [])
    entry = next((item for item in pending if item[1] == key), None)
    if entry is None:
        raise ValueError(f"{key} was not saved in this transaction")
    pending.remove(entry)
    record = next((o for o in session.new if isinstance(o, StoredObject) and o.key == key), None)
    if record is not None:
        session.expunge(record)
    elif (record := session.scalar(select(StoredObject).where(StoredObject.key == key))) is not None:
        session.delete(record)  # already flushed, never committed
    entry[0].delete(key)


def delete(key: str) -> None:
    """Delete the record now and the object once the transaction commits."""
    session = db.session()
    record = session.scalar(select(StoredObject).where(StoredObject.key == key))
    if record is not None:
        session.delete(record)
    session.info.setdefault(_DOOMED, []).append((backend(), key))


def _after_commit(session: Session) -> None:
    session.info.pop(_NEW, None)
    for store, key in session.info.pop(_DOOMED, []):
        try:
            store.delete(key)
        except Exception:  # the row is gone; cleanup_orphans retries later
            log.exception("storage_delete_failed key=%s", key)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_DOOMED, None)
    for store, key in session.info.pop(_NEW, []):  # written, never committed
        try:
            store.delete(key)
        except Exception:
            log.exception("storage_rollback_delete_failed key=%s", key)


def init_app(app: Flask) -> None:
    """Check the setting now (a wrong URL stops the start, not the first upload); tie storage
    to transactions."""
    backend_for(app.config["STORAGE_URL"], endpoint_url=app.config.get("S3_ENDPOINT_URL") or None)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


# Reading and sending.


@contextmanager
def open(key: str) -> Iterator[IO[bytes]]:
    """The stored bytes as a readable stream; raises MissingObject."""
    stream, _size = backend().open(key)
    try:
        yield stream
    finally:
        stream.close()


def read_bytes(key: str) -> bytes:
    with open(key) as stream:
        return stream.read()


def exists(key: str) -> bool:
    return backend().size_of(key) is not None


def send(key: str, *, download_name: str, content_type: str) -> HttpResponse:
    """Stream a stored file to the browser as a download it never renders (404 when missing).

    Call it only after the route's access check.
    """
    try:
        stream, size = backend().open(key)
    except MissingObject:
        abort(404)
    reply = send_file(stream, mimetype=content_type, as_attachment=True, download_name=download_name,
                      max_age=0, conditional=False, etag=False)
    reply.content_length = size
    reply.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


def check() -> None:
    """Raise when the storage cannot be reached (for a readiness probe)."""
    backend().check()


# Verifying and cleaning up: functions a command or a periodic job can call.


@dataclass(frozen=True)
class Problem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def _measure(store: Backend, key: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    stream, _length = store.open(key)
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        stream.close()
    return size, digest.hexdigest()


def verify() -> Iterator[tuple[StoredObject, Problem | None]]:
    """Read every recorded object back and compare its size and SHA-256 with the record."""
    store = backend()
    records = select(StoredObject).order_by(StoredObject.id).execution_options(yield_per=500)
    for record in db.session.scalars(records):
        try:
            size, digest = _measure(store, record.key)
        except MissingObject:
            yield record, Problem(record.key, "missing from storage")
            continue
        if record.size is None or record.sha256 is None:
            problem = Problem(record.key, "size or SHA-256 not recorded (run flask storage backfill)")
        elif size != record.size:
            problem = Problem(record.key, f"size {size}, recorded {record.size}")
        elif digest != record.sha256:
            problem = Problem(record.key, f"SHA-256 {digest}, recorded {record.sha256}")
        else:
            problem = None
        yield record, problem


def backfill() -> int:
    """Fill in the size and SHA-256 of records made before they were measured; flushes."""
    store = backend()
    filled = 0
    unmeasured = select(StoredObject).where(or_(StoredObject.size.is_(None), StoredObject.sha256.is_(None)))
    for record in db.session.scalars(unmeasured).all():
        try:
            size, digest = _measure(store, record.key)
        except MissingObject:
            continue
        if record.sha256 is not None and record.sha256 != digest:
            continue  # leave the mismatch for verify-storage to report
        record.size, record.sha256 = size, digest
        filled += 1
    db.session.flush()
    return filled


def _unreferenced() -> Any:
    return ~or_(
        sql_exists().where(EvidenceFile.stored_name == StoredObject.key),
        sql_exists().where(Attachment.stored_name == StoredObject.key),
        sql_exists().where(Submission.receipt_name == StoredObject.key),
        sql_exists().where(PublishedReportFile.stored_name == StoredObject.key),
    )


def cleanup_orphans(*, older_than: timedelta = ORPHAN_GRACE, dry_run: bool = False) -> list[str]:
    """Remove objects no record knows and records nothing uses, when older than ``older_than``.

    Such orphans come from a process that died between writing and committing, or from a
    commit whose storage delete failed. Commits itself (it is a maintenance task, not part of
    a request). Returns the keys removed (or that would be, with ``dry_run``).
    """
    store = backend()
    cutoff = utcnow() - older_than
    removed: list[str] = []
    known = set(db.session.scalars(select(StoredObject.key)))
    stale_records = db.session.scalars(
        select(StoredObject).where(StoredObject.created_at < cutoff, _unreferenced())).all()
    for record in stale_records:
        removed.append(record.key)
        if not dry_run:
            db.session.delete(record)
            db.session.info.setdefault(_DOOMED, []).append((store, record.key))
    for kind in KINDS:
        for info in store.list(kind):
            if info.key not in known and info.modified < cutoff:
                removed.append(info.key)
                if not dry_run:
                    store.delete(info.key)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return removed
