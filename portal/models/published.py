"""Published year reports: what a buyer sent to Etisk handel Norge, kept as it was."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.buyer import BuyerOwned

if TYPE_CHECKING:
    from portal.models.storage import StoredObject
    from portal.models.user import User


class PublishedReport(BuyerOwned, Base):
    """One published version of a year's report; never changed after its exports are stored.

    ``documents`` holds the report's JSON document (schema ``aktsom.report/1``) in each
    language as it was at publication: figures, texts and warnings. The exports (PDF, XLSX,
    CSV, JSON) are rendered by a job and kept in file storage (``files``).
    """

    __tablename__ = "published_report"
    __table_args__ = (
        UniqueConstraint("buyer_id", "year", "version"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    version: Mapped[int]
    #: The date the statuses are as of (the day of publication).
    status_as_of: Mapped[date]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    documents: Mapped[dict[str, Any]] = mapped_column(JSON)
    exports_stored_at: Mapped[datetime | None] = mapped_column()
    #: Why the exports could not be stored (e.g. records changed before the job ran).
    exports_problem: Mapped[str] = mapped_column(Text, default="")

    published_by: Mapped[User | None] = relationship()
    files: Mapped[list[PublishedReportFile]] = relationship(
        back_populates="report", order_by="PublishedReportFile.id", cascade="all, delete-orphan"
    )

    def document(self, locale: str) -> dict[str, Any]:
        return dict(self.documents.get(locale) or self.documents.get("nb") or {})

    def file(self, fmt: str, locale: str, name: str = "") -> PublishedReportFile | None:
        return next((f for f in self.files
                     if f.format == fmt and f.locale == locale and f.name == name), None)


class PublishedReportFile(Base):
    """One stored export of a published report: a format in a language (a CSV per table)."""

    __tablename__ = "published_report_file"
    __table_args__ = (
        UniqueConstraint("report_id", "format", "locale", "name"),
        CheckConstraint("format IN ('pdf', 'xlsx', 'json', 'csv')", name="format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("published_report.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(4))
    locale: Mapped[str] = mapped_column(String(5))
    #: The table of a CSV file (see portal/reports/tables.py); empty for the other formats.
    name: Mapped[str] = mapped_column(String(40), default="")
    stored_name: Mapped[str] = mapped_column(ForeignKey("stored_object.key"), index=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    report: Mapped[PublishedReport] = relationship(back_populates="files")
    stored: Mapped[StoredObject] = relationship()
