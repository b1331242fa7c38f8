"""The record of one object in file storage: where it is and what it must contain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class StoredObject(Base):
    """One stored file (evidence, attachment, receipt, export), shared by the rows that use it.

    ``key`` is relative to the configured storage (``STORAGE_URL``), so a copy of the folder or
    bucket serves the same records. ``backend`` says where it was written ("file" or "s3").
    ``size`` and ``sha256`` are what ``flask verify-storage`` checks; they are empty only for
    files recorded before they were measured (``flask storage backfill`` fills them in).
    """

    __tablename__ = "stored_object"

    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
