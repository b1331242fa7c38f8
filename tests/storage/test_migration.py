"""The stored_object migration keeps existing files working under their current relative keys."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from alembic import command
from sqlalchemy import select, text

from portal.extensions import db as _db
from portal.models import EvidenceFile, FollowUpRound, Response, StoredObject, Submission
from portal.uploads import store_upload
from tests.conftest import PASSWORD, login
from tests.factories import Factories
from tests.responses.conftest import store_shipped_version

# The migration tests' fixtures: an app on an empty SQLite (and PostgreSQL) database.
from tests.test_migrations import _alembic_config, _keep_logging, empty_database_app  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BEFORE = "1dbb91bdbcdb"


def test_files_stored_before_the_storage_module_are_recorded_and_still_served(
        empty_database_app):  # noqa: F811 - the fixture imported above
    app = empty_database_app
    config = _alembic_config()
    command.upgrade(config, "head")
    make = Factories(_db, PASSWORD)
    user = make.user(role="supplier", supplier=make.supplier())
    agreement = make.agreement(suppliers=[user.supplier])
    round_ = FollowUpRound(year=2025, name_nb="R", name_en="R", questionnaire_version=store_shipped_version(_db),
                           deadline=date(2025, 12, 1), buyer_id=agreement.buyer_id)
    response = Response(round=round_, agreement=agreement,
                        supplier=user.supplier, status="submitted", deadline=round_.deadline)
    stored = store_upload(BytesIO(PDF), "policy.pdf")
    response.files.append(EvidenceFile(question_id="B1", part_id="file", original_name="policy.pdf",
                                       stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                                       mimetype=stored.mimetype))
    from portal import storage

    receipt = storage.save(b"%PDF receipt", kind="receipts", content_type="application/pdf")
    response.submissions.append(Submission(number=1, answers={}, files=[], receipt_name=receipt.key,
                                           receipt_sha256=receipt.sha256))
    _db.session.add(response)
    receipt_key, upload_key = receipt.key, stored.stored_name
    _db.session.commit()
    email, response_id = user.email, response.id
    _db.session.remove()

    # Back to the schema before this migration: names as they were, files where they were.
    command.downgrade(config, BEFORE)
    with _db.engine.connect() as connection:
        name = connection.execute(text("SELECT stored_name FROM evidence_file")).scalar_one()
        receipt_name = connection.execute(text("SELECT receipt_name FROM submission")).scalar_one()
    assert (f"uploads/{name}", f"receipts/{receipt_name}") == (upload_key, receipt_key)

    command.upgrade(config, "head")

    records = {r.key: r for r in _db.session.scalars(select(StoredObject))}
    assert set(records) == {f"uploads/{name}", f"receipts/{receipt_name}"}
    assert {r.backend for r in records.values()} == {"file"}
    evidence_record = records[f"uploads/{name}"]
    assert (evidence_record.size, evidence_record.sha256, evidence_record.content_type) == (
        len(PDF), stored.sha256, "application/pdf")
    assert records[f"receipts/{receipt_name}"].size is None  # never recorded: backfill measures it
    runner = app.test_cli_runner()
    assert runner.invoke(args=["verify-storage"]).exit_code == 1
    assert runner.invoke(args=["storage", "backfill"]).exit_code == 0
    result = runner.invoke(args=["verify-storage"])
    assert result.exit_code == 0, result.output

    client = app.test_client()
    assert login(client, email).status_code == 302
    evidence_id = _db.session.scalar(select(EvidenceFile.id))
    assert client.get(f"/responses/{response_id}/files/{evidence_id}").data == PDF
    assert client.get(f"/responses/{response_id}/submissions/1/receipt.pdf").data == b"%PDF receipt"
