"""Retention on each backend: exactly the expired files go, the dry run deletes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from portal import storage
from portal.models import Answer, AuditEvent, EvidenceFile, Response, StoredObject, Submission
from portal.privacy import retention
from portal.privacy.jobs import apply_retention as retention_tick

TODAY = date(2030, 6, 1)


@dataclass
class Kept:
    """One agreement's response with an evidence file, a receipt and answers."""

    response_id: int
    evidence_key: str
    receipt_key: str
    submission_id: int


def _agreement_with_files(db: Any, make: Any, make_response: Any, *, ended: date | None,
                          content: bytes) -> Kept:
    supplier = make.supplier()
    agreement = make.agreement(suppliers=[supplier], start_date=date(2010, 1, 1), end_date=ended)
    response = make_response(supplier, agreement=agreement, status="submitted")
    user = make.user(role="supplier", supplier=supplier)
    stored = make.stored_file(content)
    response.files.append(EvidenceFile(question_id="B1", part_id="file", original_name="policy.pdf",
                                       stored_name=stored.key, size=len(content), sha256=stored.sha256,
                                       mimetype="application/pdf", uploaded_by=user))
    response.answers.append(Answer(question_id="A1", value={"name": "Kari Nordmann"}, updated_by=user))
    receipt = make.stored_file(content + b"receipt", kind="receipts")
    submission = Submission(number=1, answers={"A1": {"name": "Kari Nordmann"}},
                            files=[{"original_name": "policy.pdf", "size": len(content)}],
                            submitted_by=user, receipt_name=receipt.key)
    response.submissions.append(submission)
    db.session.flush()
    return Kept(response.id, stored.key, receipt.key, submission.id)


@pytest.fixture
def three(storage_url: str, db: Any, make: Any, make_response: Any) -> dict[str, Kept]:
    """Agreements that ended 11 years before TODAY (expired at 10), 9 years before, and never."""
    found = {
        "expired": _agreement_with_files(db, make, make_response, ended=date(2019, 5, 31), content=b"%PDF-1 old"),
        "recent": _agreement_with_files(db, make, make_response, ended=date(2021, 1, 1), content=b"%PDF-1 new"),
        "open": _agreement_with_files(db, make, make_response, ended=None, content=b"%PDF-1 open"),
    }
    db.session.commit()
    return found


def _exists(key: str) -> bool:
    return storage.exists(key)


def test_retention_deletes_exactly_the_expired_files(three, db):
    expired = three["expired"]
    evidence_id = db.session.scalar(select(EvidenceFile.id).where(EvidenceFile.stored_name == expired.evidence_key))

    deleted = retention.apply_retention(TODAY)
    db.session.commit()

    assert sorted((e.kind, e.record_id) for e in deleted) == sorted(
        [("evidence", evidence_id), ("receipts", expired.submission_id), ("answers", expired.response_id)])
    assert [e.key for e in deleted if e.kind == "evidence"] == [expired.evidence_key]
    assert not _exists(expired.evidence_key)
    assert not _exists(expired.receipt_key)
    for kept in (three["recent"], three["open"]):
        assert _exists(kept.evidence_key)
        assert _exists(kept.receipt_key)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 2
    assert db.session.scalar(select(StoredObject).where(StoredObject.key == expired.evidence_key)) is None
    old = db.session.get(Submission, expired.submission_id)
    assert (old.receipt_name, old.answers) == (None, {})
    assert old.files == [{"original_name": "policy.pdf", "size": 10}]  # the list of what was sent stays
    assert db.session.get(Response, expired.response_id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.deleted"))
    assert event.after["evidence"] == event.after["receipts"] == event.after["answers"] == 1
    # Run again: nothing more to delete.
    assert retention.apply_retention(TODAY) == []


def test_a_file_shared_with_a_later_copy_stays(three, db):
    expired, recent = three["expired"], three["recent"]
    copy_of = db.session.scalar(select(EvidenceFile).where(EvidenceFile.stored_name == expired.evidence_key))
    db.session.add(EvidenceFile(response_id=recent.response_id, question_id="B1", part_id="file",
                                original_name="policy.pdf", stored_name=expired.evidence_key, size=10,
                                sha256=copy_of.sha256, mimetype="application/pdf", copied_from_id=copy_of.id))
    db.session.commit()

    retention.apply_retention(TODAY)
    db.session.commit()

    assert _exists(expired.evidence_key)
    assert db.session.scalar(select(EvidenceFile).where(EvidenceFile.stored_name == expired.evidence_key)
                             ).copied_from_id is None


def test_the_dry_run_lists_and_deletes_nothing(three, db, app):
    expired = three["expired"]

    result = CliRunner().invoke(app.cli, ["retention", "--dry-run", "--today", TODAY.isoformat()])

    assert result.exit_code == 0, result.output
    assert f"would delete evidence policy.pdf ({expired.evidence_key})" in result.output
    assert f"would delete receipts response {expired.response_id}, submission 1 ({expired.receipt_key})" \
        in result.output
    assert "3 to delete" in result.output
    for kept in three.values():
        assert _exists(kept.evidence_key)
        assert _exists(kept.receipt_key)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 3
    assert db.session.get(Submission, expired.submission_id).answers != {}


def test_the_periodic_job_deletes_what_expired(three, db):
    from datetime import UTC, datetime

    retention_tick(int(datetime(2030, 6, 1, 12, tzinfo=UTC).timestamp()))

    assert not _exists(three["expired"].evidence_key)
    assert _exists(three["recent"].evidence_key)


def test_an_empty_setting_keeps_for_ever(three, db, app):
    app.config["RETENTION_EVIDENCE_YEARS"] = None

    deleted = retention.apply_retention(TODAY)
    db.session.commit()

    assert "evidence" not in {e.kind for e in deleted}
    assert _exists(three["expired"].evidence_key)
    assert not _exists(three["expired"].receipt_key)
