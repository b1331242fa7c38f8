"""Restore drill: the backup the README describes brings back a portal that serves old files.

On PostgreSQL only (``make test-postgres``): data with a receipt and an evidence file is
made through the portal, the database is dumped with ``pg_dump`` and restored into a new
database, the storage is copied to a new folder (as ``rsync -a`` would) or bucket (as
``aws s3 sync`` would), the originals are removed, ``flask verify-storage`` passes on the
restored pair, and a portal started on it serves the old receipt and evidence byte for byte.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.engine import URL, make_url

import tests.conftest as conftest
from portal import create_app, storage
from portal.extensions import db as _db
from portal.models import EvidenceFile, Response
from tests.storage.test_app_flows import PDF, fill_all, submit, upload_evidence


def _server() -> URL:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the restore drill needs PostgreSQL: run make test-postgres")
    return make_url(url)


def _pg_args(url: URL) -> list[str]:
    return ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]


@pytest.fixture
def restored_database() -> Iterator[URL]:
    """The name of a new, empty database on the test server, dropped afterwards."""
    server = _server()
    name = f"{server.database}_restore_{secrets.token_hex(4)}"
    subprocess.run(["createdb", *_pg_args(server), name], check=True)
    try:
        yield server.set(database=name)
    finally:
        subprocess.run(["dropdb", *_pg_args(server), "--force", "--if-exists", name], check=True)


def _copy_storage(source_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Copy every object to a new folder or bucket, then remove the originals."""
    source = urlsplit(source_url)
    if source.scheme == "file":
        target = tmp_path / "restored-storage"
        shutil.copytree(Path(source.path), target)  # what `rsync -a SRC/ DST/` does
        shutil.rmtree(Path(source.path))
        return target.as_uri()
    server = request.getfixturevalue("seaweedfs")
    client = server.client()
    bucket = server.new_bucket()
    prefix = source.path.strip("/") + "/"
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=source.netloc, Prefix=prefix):
        for item in page.get("Contents", []):  # what `aws s3 sync s3://SRC s3://DST` does
            client.copy_object(Bucket=bucket, Key=item["Key"],
                               CopySource={"Bucket": source.netloc, "Key": item["Key"]})
            client.delete_object(Bucket=source.netloc, Key=item["Key"])
    return f"s3://{bucket}{source.path}"


def _back_up_and_restore(app: Flask, storage_url: str, database: URL, tmp_path: Path,
                         request: pytest.FixtureRequest) -> Flask:
    """pg_dump → pg_restore into a new database, copy the storage; a portal on the copies."""
    server = _server()
    dump = tmp_path / "aktsom.dump"
    subprocess.run(["pg_dump", *_pg_args(server), "--format=custom", "--no-owner", f"--file={dump}",
                    server.database], check=True)
    subprocess.run(["pg_restore", *_pg_args(server), "--no-owner", "--exit-on-error",
                    f"--dbname={database.database}", str(dump)], check=True)
    restored_storage = _copy_storage(storage_url, tmp_path, request)
    return create_app(conftest.test_config(
        tmp_path / "restored-instance",
        SQLALCHEMY_DATABASE_URI=database.render_as_string(hide_password=False),
        STORAGE_URL=restored_storage, S3_ENDPOINT_URL=app.config["S3_ENDPOINT_URL"]))


def _dispose(restored: Flask) -> None:
    with restored.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_a_restored_database_and_storage_copy_serve_the_old_receipt(
        storage_url, app, client, db, login_as, make_response, sent_mail, restored_database, tmp_path,
        request):
    user = login_as("supplier")
    response = make_response(user.supplier, variant="simplified")
    fill_all(db, response, user)
    assert upload_evidence(client, response).status_code == 302
    assert submit(client, response).status_code == 302
    email = user.email
    receipt_url = f"/responses/{response.id}/submissions/1/receipt.pdf"
    evidence_url = f"/responses/{response.id}/files/{db.session.query(EvidenceFile.id).scalar()}"
    original_receipt = client.get(receipt_url).data
    assert original_receipt.startswith(b"%PDF")
    assert db.session.get(Response, response.id).status == "submitted"
    db.session.remove()

    restored = _back_up_and_restore(app, storage_url, restored_database, tmp_path, request)
    try:
        with restored.app_context():  # the test's own app context would otherwise be used
            result = restored.test_cli_runner().invoke(args=["verify-storage"])
        assert result.exit_code == 0, result.output
        assert "Checked 2 stored files" in result.output
        assert "0 problems" in result.output

        browser = restored.test_client()
        assert conftest.login(browser, email).status_code == 302
        receipt = browser.get(receipt_url)
        assert receipt.status_code == 200
        assert receipt.data == original_receipt
        evidence = browser.get(evidence_url)
        assert evidence.status_code == 200
        assert evidence.data == PDF
    finally:
        _dispose(restored)


def test_verify_storage_fails_on_a_restore_with_a_file_missing(
        storage_url, app, client, db, login_as, make_response, restored_database, tmp_path, request):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    assert upload_evidence(client, response).status_code == 302
    key = db.session.query(EvidenceFile.stored_name).scalar()
    db.session.remove()

    restored = _back_up_and_restore(app, storage_url, restored_database, tmp_path, request)
    try:
        with restored.app_context():
            storage.backend().delete(key)  # as if the storage copy were incomplete
            result = restored.test_cli_runner().invoke(args=["verify-storage"])

        assert result.exit_code == 1
        assert f"PROBLEM {key}: missing from storage" in result.output
        assert "1 problems" in result.output
    finally:
        _dispose(restored)
