"""The portable answer package: export a submission as a ZIP, import it into a draft.

An import is checked in full first: any problem refuses the whole package with the place
of the problem, and nothing in the response changes.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import clock, storage
from portal.models import Answer, AuditEvent, EvidenceFile, FollowUpRound, Response, Submission
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.uploads import store_upload
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import Factories
from tests.responses.conftest import store_shipped_version
from tests.security.test_fuzz_forms import FUZZ

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _submitted(db: Any, make_response: Any, supplier: Any, user: Any, *, year: int = 2024) -> Any:
    """A submitted response with complete answers, a declaration and one evidence file on B1."""
    response = make_response(supplier, year=year, status="submitted")
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    answers = sample_answers(sections)
    stored = store_upload(BytesIO(PDF), "rutine.pdf")
    evidence = EvidenceFile(question_id="B1", part_id="file", original_name=stored.original_name,
                            stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                            mimetype=stored.mimetype, tag="Rutine", uploaded_by=user)
    response.files.append(evidence)
    db.session.flush()
    files = [{"id": evidence.id, "question_id": "B1", "part_id": "file", "name": "rutine.pdf",
              "size": stored.size, "sha256": stored.sha256, "tag": "Rutine"}]
    response.submissions.append(Submission(number=1, answers=answers, files=files, submitted_by=user,
                                           locale="nb"))
    db.session.commit()
    return response


def _export(client: Any, response: Any) -> bytes:
    reply = client.get(f"/responses/{response.id}/submissions/1/answers.zip")
    assert reply.status_code == 200, reply.status_code
    assert reply.mimetype == "application/zip"
    assert "attachment" in reply.headers["Content-Disposition"]
    return reply.get_data()


def _import(client: Any, response: Any, data: bytes, name: str = "svar.zip") -> Any:
    path = f"/responses/{response.id}/import"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "package": (BytesIO(data), name)},
                       content_type="multipart/form-data")


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(package: bytes, change: Any) -> bytes:
    """The package with answers.json changed by ``change(document, members)``."""
    members = _members(package)
    document = json.loads(members["answers.json"])
    change(document, members)
    members["answers.json"] = json.dumps(document).encode()
    return _zip(members)


def _state(db: Any, response: Any) -> tuple[Any, ...]:
    db.session.expire_all()
    answers = sorted((a.question_id, json.dumps(a.value, sort_keys=True), a.is_copied, a.revision)
                     for a in db.session.query(Answer).filter_by(response_id=response.id))
    files = sorted((f.question_id, f.sha256, f.removed_at is None)
                   for f in db.session.query(EvidenceFile).filter_by(response_id=response.id))
    return answers, files, db.session.get(type(response), response.id).status


@pytest.fixture
def setup(db, make, make_response, login_as):
    user = login_as("supplier", locale="en")  # the messages below are read in English
    source = _submitted(db, make_response, user.supplier, user)
    draft = make_response(user.supplier, year=2025)
    db.session.commit()
    return user, source, draft


# -- Export -----------------------------------------------------------------------------------


def test_the_package_holds_the_snapshot_exactly_and_the_files(client, db, setup):
    user, source, _draft = setup
    submission = source.submissions[0]

    members = _members(_export(client, source))

    document = json.loads(members["answers.json"])
    assert document["schema"] == "aktsom.answers/1"
    version = source.round.questionnaire_version
    assert document["questionnaire"]["key"] == version.key
    assert document["questionnaire"]["version"] == version.version
    assert document["source"]["agreement"]["reference"] == source.agreement.reference
    assert document["submission"]["number"] == 1
    assert document["submission"]["locale"] == "nb"
    assert "I1" not in document["answers"]
    assert document["declaration"]["I1"] == submission.answers["I1"]
    assert {**document["answers"], **document["declaration"]} == submission.answers
    [listed] = document["files"]
    assert listed["question_id"] == "B1"
    assert listed["part_id"] == "file"
    assert listed["name"] == "rutine.pdf"
    assert members[listed["path"]] == PDF
    assert listed["size"] == len(PDF)
    assert listed["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_links_to_the_package_next_to_the_receipt_and_on_the_review_page(client, db, make, setup):
    _user, source, _draft = setup
    link = f"/responses/{source.id}/submissions/1/answers.zip"
    assert link in client.get(f"/responses/{source.id}").get_data(as_text=True)

    reviewer = make.user(role="reviewer")
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login(client, reviewer.email)
    assert link in client.get(f"/review/responses/{source.id}").get_data(as_text=True)
    assert _members(_export(client, source))["answers.json"]


def test_an_unknown_submission_number_is_not_found(client, setup):
    _user, source, _draft = setup
    assert client.get(f"/responses/{source.id}/submissions/9/answers.zip").status_code == 404


# -- Import -----------------------------------------------------------------------------------


def test_import_fills_a_draft_marked_copied_with_the_files_and_one_audit_record(client, db, setup):
    user, source, draft = setup
    package = _export(client, source)

    reply = _import(client, draft, package)

    assert reply.status_code == 302, reply.get_data(as_text=True)[:3000]
    db.session.expire_all()
    answers = {a.question_id: a for a in db.session.query(Answer).filter_by(response_id=draft.id)}
    snapshot = source.submissions[0].answers
    assert "I1" not in answers  # the declaration is never imported
    for question_id, value in snapshot.items():
        if question_id != "I1":
            assert answers[question_id].value == value
            assert answers[question_id].is_copied
    [evidence] = db.session.query(EvidenceFile).filter_by(response_id=draft.id).all()
    assert (evidence.question_id, evidence.part_id, evidence.original_name) == ("B1", "file", "rutine.pdf")
    assert storage.read_bytes(evidence.stored_name) == PDF
    assert evidence.stored_name != source.files[0].stored_name  # stored anew, as an upload is
    [event] = db.session.query(AuditEvent).filter_by(action="answers.imported", object_id=draft.id).all()
    assert event.after["questions"] == len(snapshot) - 1
    assert event.after["files"] == 1
    page = client.get(f"/responses/{draft.id}").get_data(as_text=True)
    assert "1 file was added." in page
    # Copied answers block the submission until confirmed, as after "copy last year's answers".
    from portal.responses.services import unconfirmed_copies

    response = db.session.get(Response, draft.id)
    definition = engine.definition_of(response.round.questionnaire_version)
    waiting = {q.id for _s, q in unconfirmed_copies(
        response, engine.sections_for_agreement(definition, response.agreement), actor=user)}
    assert {"B1", "B4", "C5"} <= waiting


def test_answers_already_typed_are_kept_and_counted(client, db, setup):
    user, source, draft = setup
    draft.answers.append(Answer(question_id="B4", value={"answer": "Min egen tekst"}, updated_by=user))
    db.session.commit()

    reply = _import(client, draft, _export(client, source))

    assert reply.status_code == 302
    db.session.expire_all()
    mine = db.session.query(Answer).filter_by(response_id=draft.id, question_id="B4").one()
    assert mine.value == {"answer": "Min egen tekst"}
    assert not mine.is_copied
    page = client.get(f"/responses/{draft.id}").get_data(as_text=True)
    assert "B4" in page  # named in the message about what was kept


def test_a_package_imports_into_a_fresh_installation(client, db, app, make, make_response, login_as, tmp_path):
    """Export on one installation; a new database and a new storage folder stand for another."""
    from tests.conftest import _empty_all_tables

    user = login_as("supplier")
    source = _submitted(db, make_response, user.supplier, user)
    package = _export(client, source)
    expected = {k: v for k, v in source.submissions[0].answers.items() if k != "I1"}
    source_id = source.id
    _empty_all_tables()
    app.config["STORAGE_URL"] = (tmp_path / "other-installation").as_uri()
    fresh = Factories(db, PASSWORD)
    for n in range(3):  # other ids than on the first installation
        fresh.supplier(name=f"Fyll {n}")
    other = fresh.user(role="supplier", email="anna@annen.example")
    version = store_shipped_version(db)
    agreement = fresh.agreement(suppliers=[other.supplier])
    round_ = FollowUpRound(year=2026, name_nb="Ny", name_en="New", questionnaire_version=version,
                           buyer_id=agreement.buyer_id, deadline=clock.today() + timedelta(days=9))
    neighbour = fresh.supplier(name="Nabo AS")
    db.session.add(Response(round=round_, agreement=fresh.agreement(suppliers=[neighbour]), supplier=neighbour,
                            status="not_started", deadline=round_.deadline))
    db.session.flush()
    draft = Response(round=round_, agreement=agreement, supplier=other.supplier, status="not_started",
                     deadline=round_.deadline)
    db.session.add(draft)
    db.session.commit()
    assert draft.id != source_id
    login(client, other.email)

    reply = _import(client, draft, package)

    assert reply.status_code == 302, reply.get_data(as_text=True)[:3000]
    db.session.expire_all()
    answers = {a.question_id: a.value for a in db.session.query(Answer).filter_by(response_id=draft.id)}
    assert answers == expected
    [evidence] = db.session.query(EvidenceFile).filter_by(response_id=draft.id).all()
    assert storage.read_bytes(evidence.stored_name) == PDF
    assert (tmp_path / "other-installation" / evidence.stored_name).exists()


# -- Bad input: refused whole, with the place, nothing changed ---------------------------------


def _refused(client: Any, db: Any, draft: Any, package: bytes, *expected: str, name: str = "svar.zip") -> str:
    before = _state(db, draft)
    reply = _import(client, draft, package, name=name)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422, page[:2000]
    for text in expected:
        assert text in page, (text, page[page.find("problems-heading") - 200:][:2000])
    assert _state(db, draft) == before
    assert db.session.query(AuditEvent).filter_by(action="answers.imported").count() == 0
    return page


def test_wrong_schema(client, db, setup):
    _user, source, draft = setup
    package = _rezip(_export(client, source), lambda d, m: d.update(schema="aktsom.answers/9"))
    _refused(client, db, draft, package, "schema: expected aktsom.answers/1", "aktsom.answers/9")


def test_unknown_questionnaire_and_another_known_questionnaire(client, db, setup):
    _user, source, draft = setup
    package = _rezip(_export(client, source), lambda d, m: d["questionnaire"].update(key="ukjent-skjema"))
    _refused(client, db, draft, package, "questionnaire.key", "ukjent-skjema")


def test_unknown_question_names_its_path(client, db, setup):
    _user, source, draft = setup
    package = _rezip(_export(client, source), lambda d, m: d["answers"].update(C7={"answer": "yes"}))
    _refused(client, db, draft, package, "answers.C7: no such question in dfo-human-rights")


def test_unknown_part_and_value_of_the_wrong_type(client, db, setup):
    _user, source, draft = setup

    def change(document: dict[str, Any], members: Any) -> None:
        document["answers"]["B4"] = {"answer": 42}
        document["answers"]["B2"] = {"answer": "not a list"}
        document["answers"]["B1"]["colour"] = "red"
        document["answers"]["C5"]["sites"] = "a table is rows"

    page = _refused(client, db, draft, _rezip(_export(client, source), change),
                    "answers.B4.answer", "answers.B2.answer", "answers.B1.colour", "answers.C5.sites")
    assert "wrong kind" in page


def test_values_beyond_the_types_rules_and_limits(client, db, setup):
    _user, source, draft = setup

    def change(document: dict[str, Any], members: Any) -> None:
        document["answers"]["B4"] = {"answer": "x" * 20_001}
        document["answers"]["B1"]["answer"] = "maybe"
        document["answers"]["C5"]["sites"][0]["_id"] = "../x"

    _refused(client, db, draft, _rezip(_export(client, source), change),
             "answers.B4.answer: Shorten the text", "answers.B1.answer: Choose one of the options",
             "answers.C5.sites[0]")


def test_hash_mismatch(client, db, setup):
    _user, source, draft = setup
    package = _rezip(_export(client, source), lambda d, m: d["files"][0].update(sha256="0" * 64))
    _refused(client, db, draft, package, "rutine.pdf: the content does not match")


def test_missing_file(client, db, setup):
    _user, source, draft = setup

    def change(document: dict[str, Any], members: dict[str, bytes]) -> None:
        del members[document["files"][0]["path"]]

    _refused(client, db, draft, _rezip(_export(client, source), change), "files[0].path",
             "rutine.pdf is missing from the package")


def test_refused_file_type_an_exe_named_pdf(client, db, setup):
    _user, source, draft = setup

    def change(document: dict[str, Any], members: dict[str, bytes]) -> None:
        listed = document["files"][0]
        members[listed["path"]] = EXE
        listed.update(size=len(EXE), sha256=hashlib.sha256(EXE).hexdigest())

    _refused(client, db, draft, _rezip(_export(client, source), change),
             "rutine.pdf: The content of the file does not match its name (.pdf)")


def test_a_zip_with_a_path_outside_it(client, db, setup):
    _user, source, draft = setup
    members = _members(_export(client, source))
    members["../../etc/evil.pdf"] = PDF
    _refused(client, db, draft, _zip(members), "a path outside the package is not allowed")


def test_a_huge_member(client, db, setup, app):
    _user, source, draft = setup
    members = _members(_export(client, source))
    members["files/999/stor.pdf"] = b"\0" * (app.config["UPLOAD_MAX_MB"] * 1024 * 1024 + 1)
    _refused(client, db, draft, _zip(members), "stor.pdf: too large unpacked")


def test_too_many_members(client, db, setup):
    _user, source, draft = setup
    members = _members(_export(client, source))
    members.update({f"files/{n}/x.txt": b"x" for n in range(600)})
    _refused(client, db, draft, _zip(members), "too many files")


def test_not_a_zip_at_all(client, db, setup):
    _user, _source, draft = setup
    _refused(client, db, draft, PDF, "not a ZIP archive")


def test_not_json(client, db, setup):
    _user, source, draft = setup
    members = _members(_export(client, source))
    members["answers.json"] = b"{ not json"
    _refused(client, db, draft, _zip(members), "answers.json, line 1: not valid JSON")


def test_every_problem_is_listed_at_once(client, db, setup):
    _user, source, draft = setup

    def change(document: dict[str, Any], members: Any) -> None:
        document["answers"]["Z1"] = {}
        document["files"][0]["sha256"] = "f" * 64

    _refused(client, db, draft, _rezip(_export(client, source), change), "answers.Z1", "rutine.pdf")


# -- Who may --------------------------------------------------------------------------------


def test_a_response_that_is_not_editable_imports_nothing(client, db, setup):
    _user, source, draft = setup
    package = _export(client, source)
    path = f"/responses/{source.id}/import"
    before = _state(db, source)

    reply = client.post(path, data={"csrf_token": csrf_token(client, f"/responses/{draft.id}/import"),
                                    "package": (BytesIO(package), "svar.zip")},
                        content_type="multipart/form-data")

    assert reply.status_code == 302
    assert reply.location.endswith(f"/responses/{source.id}")
    assert _state(db, source) == before
    assert "Nothing was imported" in client.get(f"/responses/{source.id}").get_data(as_text=True)


def test_another_suppliers_response_is_not_found(client, db, make, make_response, setup):
    _user, source, _draft = setup
    foreign = make_response(make.supplier(name="Fremmed AS"), year=2025)
    db.session.commit()
    package = _export(client, source)
    before = _state(db, foreign)

    reply = client.post(f"/responses/{foreign.id}/import",
                        data={"csrf_token": csrf_token(client, "/accessibility"),
                              "package": (BytesIO(package), "svar.zip")},
                        content_type="multipart/form-data")

    assert reply.status_code == 404
    assert _state(db, foreign) == before
    assert client.get(f"/responses/{foreign.id}/import").status_code == 404


# -- Arbitrary content: a clear refusal or an import, never a server error ---------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["yes", "", "r0000001", "31.12.2024", "1e309", "../x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["_id", "answer", "sites", "site_name", "country", "file", "x"]), inner, max_size=4),
    max_leaves=12,
)


@settings(FUZZ, max_examples=30)
@given(question=st.sampled_from(["A1", "B1", "B2", "B5", "C5", "H1", "I1", "Q9", "", "__proto__"]),
       value=json_values, header=st.sampled_from(["schema", "questionnaire", "files", "answers", None]),
       header_value=json_values)
def test_arbitrary_documents_are_refused_or_imported_never_an_error(client, db, setup, question, value,
                                                                    header, header_value):
    _user, source, draft = setup
    package = _members(_export(client, source))

    def change(document: dict[str, Any], members: Any) -> None:
        document["answers"][question] = value
        if header is not None:
            document[header] = header_value

    reply = _import(client, draft, _rezip(_zip(package), change))

    assert reply.status_code in (302, 422), reply.status_code


def test_a_member_whose_name_was_damaged_to_nothing_is_refused(client, db, setup):
    """Found by the fuzzing below (a 500 one run in many): zipfile ends a name at its first NUL,
    so a central-directory name starting with one is "", which it cannot ask ``is_dir()`` of."""
    _user, source, draft = setup
    package = bytearray(_export(client, source))
    entry = package.find(b"PK\x01\x02")  # the first central-directory entry
    package[entry + 46] = 0  # the first character of its name

    reply = _import(client, draft, bytes(package))

    assert reply.status_code == 422
    assert "The ZIP archive is damaged. Download the package again." in reply.get_data(as_text=True)


@settings(FUZZ, max_examples=30)
@given(position=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_damaged_archives_are_refused_never_an_error(client, db, setup, position, byte):
    _user, source, draft = setup
    package = bytearray(_export(client, source))
    package[position % len(package)] = byte

    reply = _import(client, draft, bytes(package))

    assert reply.status_code in (302, 422), reply.status_code


def test_the_problems_are_told_in_the_users_language(client, db, make_response, login_as):
    user = login_as("supplier")  # Norwegian
    draft = make_response(user.supplier, year=2025)
    db.session.commit()

    page = _refused(client, db, draft, _zip({"answers.json": b'{"schema": "annet/1"}'}))

    assert "schema: ventet aktsom.answers/1, pakken har annet/1" in page
    assert "Ingenting i besvarelsen ble endret" in page
