"""Questionnaire versions: register (service, CLI, admin page) and the read-only preview."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, QuestionnaireVersion
from portal.questionnaires.definition import DefinitionError, shipped_definitions
from portal.rounds import services
from tests.auth.helpers import location, markup, text
from tests.conftest import post_form
from tests.rounds.conftest import BROKEN_DEFINITION, definition_text


def _versions(db):
    return db.session.scalar(select(func.count(QuestionnaireVersion.id)))


# The service


def test_register_version_stores_content_hash_titles_and_audit(db, make):
    admin = make.user(role="admin")
    content = definition_text()

    version = services.register_version(content, "/somewhere/small.yaml", actor=admin)
    db.session.commit()

    assert (version.key, version.version) == ("small", "2025.1")
    assert (version.title_nb, version.title_en) == ("Lite skjema", "Small questionnaire")
    assert version.content == content
    assert len(version.content_hash) == 64
    assert version.filename == "small.yaml"
    assert version.published_by_id == admin.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "questionnaire.registered"))
    assert event.object_id == version.id
    assert event.after["content_hash"] == version.content_hash


def test_registering_the_same_content_again_returns_the_stored_version(db):
    first = services.register_version(definition_text(), "small.yaml", actor=None)
    # A comment changes the file but not the questionnaire: still the same version.
    again = services.register_version("# edited comment\n" + definition_text(), "copy.yaml", actor=None)

    assert again.id == first.id
    assert _versions(db) == 1
    stored = services.store_version(definition_text(), "small.yaml", actor=None)
    assert stored.created is False


def test_same_key_and_version_with_other_content_is_refused(db):
    services.register_version(definition_text(), "small.yaml", actor=None)

    with pytest.raises(services.VersionExists) as info:
        services.register_version(definition_text(title="Endret"), "small.yaml", actor=None)

    assert (info.value.key, info.value.version) == ("small", "2025.1")
    assert _versions(db) == 1
    # A new version number is a new version.
    services.register_version(definition_text(version="2025.2", title="Endret"), "small.yaml", actor=None)
    assert _versions(db) == 2


def test_an_invalid_file_is_refused_with_file_and_path(db):
    with pytest.raises(DefinitionError) as info:
        services.register_version(BROKEN_DEFINITION, "broken.yaml", actor=None)

    assert "broken.yaml: sections[0].title.en: required but missing" in info.value.report()
    assert _versions(db) == 0


def test_ensure_shipped_versions_is_idempotent(db):
    first = services.ensure_shipped_versions()
    db.session.commit()
    second = services.ensure_shipped_versions()

    assert len(first) == len(shipped_definitions()) >= 1
    assert [v.id for v in second] == [v.id for v in first]
    assert _versions(db) == len(first)
    assert first[0].key == "dfo-human-rights"


def test_a_shipped_version_stored_before_its_file_changed_is_kept(db, caplog):
    """An installation that stored 2025.1 before the file gained an annotation (C5's
    ``role``) keeps its stored content: the demo data and the round pages do not fail."""
    path = shipped_definitions()[0]
    older = re.sub(r"\n *role: production_sites[^\n]*", "", path.read_text(encoding="utf-8"), count=1)
    assert older != path.read_text(encoding="utf-8")
    stored = services.register_version(older, path.name, actor=None)
    db.session.commit()

    versions = services.ensure_shipped_versions()

    assert versions[0].id == stored.id
    assert versions[0].content == older
    assert "shipped_version_differs" in caplog.text


# The CLI


def _write(tmp_path: Path, content: str, name: str = "small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_cli_import_prints_version_and_hash_and_is_idempotent(app, db, tmp_path):
    path = _write(tmp_path, definition_text())
    runner = app.test_cli_runner()

    result = runner.invoke(args=["questionnaire", "import", str(path)])

    assert result.exit_code == 0, result.output
    version = db.session.scalar(select(QuestionnaireVersion))
    assert "Stored small version 2025.1" in result.output
    assert f"sha256 {version.content_hash}" in result.output

    again = runner.invoke(args=["questionnaire", "import", str(path)])
    assert again.exit_code == 0
    assert "Already stored" in again.output
    assert _versions(db) == 1


def test_cli_import_of_an_invalid_file_prints_the_report_and_fails(app, db, tmp_path):
    path = _write(tmp_path, BROKEN_DEFINITION, "broken.yaml")

    result = app.test_cli_runner().invoke(args=["questionnaire", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}: sections[0].title.en: required but missing" in result.output
    assert "Nothing stored: 2 problems" in result.output
    assert _versions(db) == 0


def test_cli_import_of_a_missing_file_is_a_clean_error(app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["questionnaire", "import", str(tmp_path / "nope.yaml")])

    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_cli_import_refuses_a_changed_published_version(app, db, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["questionnaire", "import", str(_write(tmp_path, definition_text()))])

    changed = _write(tmp_path, definition_text(title="Endret"), "changed.yaml")
    result = runner.invoke(args=["questionnaire", "import", str(changed)])

    assert result.exit_code == 1
    assert "already stored with other content" in result.output
    assert _versions(db) == 1


# The admin page


def _upload(client, content: bytes, name: str = "small.yaml"):
    return post_form(client, "/questionnaires/import", {"file": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def test_admin_imports_a_version_through_the_page(client, db, login_as):
    admin = login_as("admin", locale="en")

    response = _upload(client, definition_text().encode())

    assert response.status_code == 302
    version = db.session.scalar(select(QuestionnaireVersion))
    assert location(response) == f"/questionnaires/{version.id}"
    assert version.published_by_id == admin.id
    assert "Small questionnaire" in text(client.get(location(response)))


def test_an_invalid_upload_shows_a_summary_and_the_report_and_stores_nothing(client, db, login_as):
    login_as("admin", locale="en")

    response = _upload(client, BROKEN_DEFINITION.encode(), "broken.yaml")

    assert response.status_code == 200
    page = text(response)
    assert "The file cannot be used: 2 problems were found" in page
    assert "broken.yaml: sections[0].title.en: required but missing" in markup(response)
    assert "<pre" in response.get_data(as_text=True)
    assert re.search(r"<title>\s*Error:", markup(response))
    assert _versions(db) == 0


def test_upload_of_a_changed_version_is_refused(client, db, login_as):
    services.register_version(definition_text(), "small.yaml", actor=None)
    db.session.commit()
    login_as("admin", locale="en")

    response = _upload(client, definition_text(title="Endret").encode())

    assert response.status_code == 200
    assert "is already stored with other content" in text(response)
    assert _versions(db) == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"id: x", "notes.txt", "The file must be YAML (.yaml, .yml) or JSON (.json)"),
        (b"#" * (1024 * 1024 + 1), "big.yaml", "The file must be at most 1 MB"),
        (b"\xff\xfe\x00bad", "latin.yaml", "The file must be text encoded as UTF-8"),
    ],
)
def test_bad_uploads_get_a_message_at_the_field(client, db, login_as, content, name, message):
    login_as("admin", locale="en")

    response = _upload(client, content, name)

    assert response.status_code == 200
    assert message in text(response)
    assert 'aria-invalid="true"' in markup(response)
    assert _versions(db) == 0


def test_upload_without_a_file_asks_for_one(client, db, login_as):
    login_as("admin", locale="en")

    response = post_form(client, "/questionnaires/import", {}, content_type="multipart/form-data")

    assert "Choose the definition file to import" in text(response)


# The preview


def test_preview_shows_the_full_questionnaire(client, db, version, login_as):
    login_as("reviewer", locale="en")

    response = client.get(f"/questionnaires/{version.id}")

    assert response.status_code == 200
    page = text(response)
    for question_id in ("A1", "A3", "B1", "C5", "I1"):
        assert f'id="question-{question_id}"' in response.get_data(as_text=True)
    assert 'id="question-H1"' not in response.get_data(as_text=True)  # social dialogue is off
    assert "Shown only when the answer to A2 is" in page
    assert "Gate question" in page
    assert "Meets the requirement" in page
    assert response.get_data(as_text=True).count("<h1") == 1


def test_preview_toggles_variant_and_social_dialogue(client, db, version, login_as):
    login_as("reviewer", locale="en")

    simplified = client.get(f"/questionnaires/{version.id}?variant=simplified").get_data(as_text=True)
    with_h = client.get(f"/questionnaires/{version.id}?variant=full&social_dialogue=1").get_data(as_text=True)
    nonsense = client.get(f"/questionnaires/{version.id}?variant=nonsense")

    assert 'id="question-A1"' in simplified
    assert 'id="question-A3"' not in simplified
    assert "13 questions in this variant" in simplified
    assert 'id="question-H1"' in with_h
    assert nonsense.status_code == 200
    assert 'id="question-A3"' in nonsense.get_data(as_text=True)


def test_preview_is_in_the_readers_language(client, db, version, login_as):
    login_as("reviewer", locale="en")

    page = text(client.get(f"/questionnaires/{version.id}"))

    assert "Self-assessment: fundamental human rights in the supply chain" in page
    assert "Who in your company is responsible for due diligence" in page


def test_versions_are_listed(client, db, version, login_as):
    login_as("reviewer", locale="en")

    page = text(client.get("/questionnaires"))

    assert version.title_en in page
    assert version.content_hash[:12] in page
    assert "Import a questionnaire version" not in page  # reviewers do not import
