"""The storage module on each backend: save, read, send, delete, and the transaction rules."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

import tests.conftest as conftest
from portal import create_app, storage
from portal.models import StoredObject, Submission
from portal.review.uploads import UploadProblem, store_all
from portal.storage import FileBackend, MissingObject, S3Backend, StorageError, backend_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _keys_in_storage() -> set[str]:
    return {info.key for kind in storage.KINDS for info in storage.backend().list(kind)}


def test_saved_bytes_are_stored_with_their_record(storage_url, db):
    record = storage.save(PDF, kind="uploads", content_type="application/pdf")
    db.session.commit()

    stored = db.session.scalar(select(StoredObject).where(StoredObject.key == record.key))
    assert stored is not None
    assert stored.backend == storage_url.split(":")[0]
    assert (stored.size, stored.sha256, stored.content_type) == (
        len(PDF), hashlib.sha256(PDF).hexdigest(), "application/pdf")
    assert stored.key.startswith("uploads/")
    assert storage.read_bytes(stored.key) == PDF
    assert storage.exists(stored.key)
    assert _keys_in_storage() == {stored.key}


def test_a_file_saved_in_a_transaction_that_rolls_back_is_removed(storage_url, db):
    record = storage.save(PDF, kind="uploads", content_type="application/pdf")
    key = record.key
    assert storage.exists(key)

    db.session.rollback()

    assert not storage.exists(key)
    assert db.session.scalar(select(StoredObject)) is None


def test_a_file_saved_in_a_session_that_is_closed_without_commit_is_removed(storage_url, db):
    key = storage.save(PDF, kind="receipts", content_type="application/pdf").key
    db.session.flush()

    db.session.close()

    assert not storage.exists(key)


def test_a_deleted_file_leaves_storage_only_when_the_delete_commits(storage_url, db):
    key = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    db.session.commit()

    storage.delete(key)
    db.session.rollback()
    assert storage.exists(key)
    assert db.session.scalar(select(StoredObject.key)) == key

    storage.delete(key)
    db.session.commit()
    assert not storage.exists(key)
    assert db.session.scalar(select(StoredObject)) is None


def test_missing_and_malformed_keys_read_as_missing(storage_url, db):
    for key in ("uploads/" + "0" * 32, "../etc/passwd", "uploads/../../x", "other/abc"):
        assert not storage.exists(key)
        with pytest.raises(MissingObject):
            storage.read_bytes(key)


def test_send_streams_a_download_with_the_download_headers(storage_url, db, app):
    key = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    db.session.commit()

    with app.test_request_context():
        reply = storage.send(key, download_name="Årsrapport 2025.pdf", content_type="application/pdf")
        reply.direct_passthrough = False
        body = reply.get_data()

    assert body == PDF
    assert reply.content_length == len(PDF)
    assert reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%C3%85rsrapport%202025.pdf" in reply.headers["Content-Disposition"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"].startswith("sandbox")


def test_send_answers_404_for_a_missing_object(storage_url, db, app):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        storage.send("uploads/" + "1" * 32, download_name="x.pdf", content_type="application/pdf")


def test_when_one_of_several_uploads_is_refused_none_is_kept(storage_url, db, app):
    files = [FileStorage(BytesIO(PDF), "ok.pdf"), FileStorage(BytesIO(b"<html></html>"), "bad.pdf")]

    with app.test_request_context(), pytest.raises(UploadProblem):
        store_all(files)
    db.session.commit()  # a route may still commit other changes

    assert _keys_in_storage() == set()
    assert db.session.scalar(select(StoredObject)) is None


def test_verify_reports_missing_resized_and_altered_files(storage_url, db, app):
    good = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    missing = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    resized = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    altered = storage.save(PDF, kind="receipts", content_type="application/pdf").key
    db.session.commit()
    store = storage.backend()
    store.delete(missing)
    store.put(resized, PDF + b"x", content_type="application/pdf",
              sha256=hashlib.sha256(PDF + b"x").hexdigest())
    damaged = PDF.replace(b"1 0 obj", b"2 0 obj")
    store.put(altered, damaged, content_type="application/pdf", sha256=hashlib.sha256(damaged).hexdigest())

    problems = {record.key: str(problem) for record, problem in storage.verify() if problem}

    assert set(problems) == {missing, resized, altered}
    assert "missing" in problems[missing]
    assert f"size {len(PDF) + 1}" in problems[resized]
    assert "SHA-256" in problems[altered]
    result = app.test_cli_runner().invoke(args=["verify-storage"])
    assert result.exit_code == 1
    assert f"PROBLEM {missing}: missing from storage" in result.output
    assert good not in result.output
    assert "Checked 4 stored files" in result.output
    assert "3 problems" in result.output


def test_verify_storage_exits_zero_when_every_file_matches(storage_url, db, app):
    storage.save(PDF, kind="uploads", content_type="application/pdf")
    storage.save(b"col1;col2\n", kind="exports", content_type="text/csv")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["verify-storage"])

    assert result.exit_code == 0, result.output
    assert "Checked 2 stored files" in result.output
    assert "0 problems" in result.output


def test_backfill_measures_files_recorded_without_size(storage_url, db, app):
    record = storage.save(PDF, kind="receipts", content_type="application/pdf")
    record.size = None
    db.session.commit()
    assert any(p for _r, p in storage.verify())

    result = app.test_cli_runner().invoke(args=["storage", "backfill"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(StoredObject.size)) == len(PDF)
    assert not any(p for _r, p in storage.verify())


def test_cleanup_removes_old_orphans_and_keeps_everything_in_use(storage_url, db, make, make_response, app):
    used = make.stored_file(kind="receipts")
    response = make_response()
    response.submissions.append(Submission(number=1, answers={}, files=[], receipt_name=used.key))
    unused_record = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    db.session.commit()
    stray = "exports/" + "f" * 32
    storage.backend().put(stray, b"left behind", content_type="text/plain",
                          sha256=hashlib.sha256(b"left behind").hexdigest())

    assert storage.cleanup_orphans() == []  # all younger than an hour
    result = app.test_cli_runner().invoke(args=["storage", "cleanup-orphans", "--older-than-hours", "0",
                                                "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would remove {stray}" in result.output
    assert storage.exists(stray)

    removed = storage.cleanup_orphans(older_than=timedelta(0))

    assert set(removed) == {unused_record, stray}
    assert _keys_in_storage() == {used.key}
    assert db.session.scalars(select(StoredObject.key)).all() == [used.key]
    assert db.session.scalar(select(Submission.receipt_name)) == used.key


def test_storage_url_chooses_the_backend(tmp_path):
    assert isinstance(backend_for((tmp_path / "s").as_uri()), FileBackend)
    assert backend_for((tmp_path / "s").as_uri()).root == tmp_path / "s"
    s3 = backend_for("s3://aktsom-files/prod/", endpoint_url="http://127.0.0.1:1")
    assert isinstance(s3, S3Backend)
    assert (s3.bucket, s3.prefix) == ("aktsom-files", "prod")
    for wrong in ("ftp://host/x", "file://otherhost/x", "s3:///nobucket", "/just/a/path"):
        with pytest.raises(StorageError):
            backend_for(wrong)


def test_a_wrong_storage_url_stops_the_start(tmp_path):
    with pytest.raises(StorageError):
        create_app(conftest.test_config(tmp_path, STORAGE_URL="ftp://files.example/x"))


def test_the_storage_url_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_STORAGE_URL", "s3://aktsom-files/prod")
    monkeypatch.setenv("PORTAL_S3_ENDPOINT_URL", "http://127.0.0.1:8333")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["STORAGE_URL"] == "s3://aktsom-files/prod"
    assert app.config["S3_ENDPOINT_URL"] == "http://127.0.0.1:8333"


def test_by_default_files_stay_in_the_instance_folder(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        store = storage.backend()
    assert isinstance(store, FileBackend)
    assert store.root == tmp_path.resolve()


def test_discard_takes_back_a_file_of_this_transaction_even_after_a_flush(storage_url, db):
    kept = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    taken_back = storage.save(PDF, kind="uploads", content_type="application/pdf").key
    db.session.flush()

    storage.discard(taken_back)
    db.session.commit()

    assert _keys_in_storage() == {kept}
    assert db.session.scalars(select(StoredObject.key)).all() == [kept]
    with pytest.raises(ValueError, match="not saved in this transaction"):
        storage.discard(kept)
