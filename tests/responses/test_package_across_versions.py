"""An answer package of an earlier questionnaire version (issue 14, part 8): it imports through the
mapping when this version declares its replacements, and is refused with the path otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import BytesIO

from portal import clock
from portal.models import Answer, AuditEvent, EvidenceFile, FollowUpRound, Response, Submission
from portal.uploads import store_upload
from tests.auth.helpers import text
from tests.conftest import csrf_token
from tests.questionnaires.renumbered import DFO_2026, store_version

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EARLIER = {
    "B2": {"answer": ["own_operations", "first_tier"]},
    "B3": {"answer": "yes_all"},
    "B4": {"answer": "Rutinen for aktsomhet, vedtatt av styret."},
    "B5": {"trained": "4", "total": "10"},
    "C1": {"answer": "yes", "date": "2026-02-26"},
}


def _response(db, make, supplier, version, year):
    agreement = make.agreement(suppliers=[supplier])
    round_ = FollowUpRound(buyer_id=agreement.buyer_id, year=year, name_nb=f"Oppfølging {year}",
                           name_en=f"Follow-up {year}", questionnaire_version=version,
                           deadline=clock.today() + timedelta(days=30))
    response = Response(round=round_, agreement=agreement, supplier=supplier, deadline=round_.deadline)
    db.session.add_all([round_, response])
    db.session.flush()
    return response


def _package(client, db, make, user):
    """The ZIP of a submitted 2026.1 response with a file on B3."""
    earlier = _response(db, make, user.supplier, store_version(db, DFO_2026), 2026)
    stored = store_upload(BytesIO(PDF), "rutine.pdf")
    evidence = EvidenceFile(question_id="B3", part_id="file", original_name=stored.original_name,
                            stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                            mimetype=stored.mimetype, tag="Rutine", uploaded_by=user)
    earlier.files.append(evidence)
    db.session.flush()
    earlier.submissions.append(Submission(
        number=1, answers=EARLIER, submitted_by=user, submitted_at=datetime.now(UTC), locale="nb",
        files=[{"id": evidence.id, "question_id": "B3", "part_id": "file", "name": "rutine.pdf",
                "size": stored.size, "sha256": stored.sha256, "tag": "Rutine"}]))
    earlier.status = "submitted"
    db.session.commit()
    reply = client.get(f"/responses/{earlier.id}/submissions/1/answers.zip")
    assert reply.status_code == 200
    return reply.get_data()


def _import(client, response, data):
    path = f"/responses/{response.id}/import"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "package": (BytesIO(data), "svar.zip")},
                       content_type="multipart/form-data")


def _answers(db, response):
    db.session.expire_all()
    return {a.question_id: a for a in db.session.query(Answer).filter_by(response_id=response.id)}


def test_a_package_of_the_earlier_version_imports_through_the_mapping(client, db, make, login_as):
    user = login_as("supplier", locale="en")
    package = _package(client, db, make, user)
    draft = _response(db, make, user.supplier, store_version(db), 2027)
    db.session.commit()

    reply = _import(client, draft, package)

    assert reply.status_code == 302, text(reply)[:2000]
    stored = _answers(db, draft)
    assert {q: a.value for q, a in stored.items()} == {
        "B2": EARLIER["B3"], "B3": EARLIER["B2"], "B5": EARLIER["B4"], "C1": EARLIER["C1"]}
    assert all(a.is_copied for a in stored.values())
    [imported] = db.session.query(EvidenceFile).filter_by(response_id=draft.id).all()
    assert (imported.question_id, imported.part_id) == ("B2", "file")
    event = db.session.query(AuditEvent).filter_by(action="answers.imported", object_id=draft.id).one()
    assert event.after["source"]["version"] == "2026.1"
    page = text(client.get(f"/responses/{draft.id}"))
    assert "B2 (earlier B3), B3 (earlier B2), B5 (earlier B4)" in page
    assert "1 question of the package's version is no longer asked and was not imported (B5)." in page


def test_without_declared_replacements_a_mismatch_is_refused_with_its_path(client, db, make, login_as):
    """The shipped 2025.1 declares nothing: a 2026.1 package is read by question id, as before."""
    from tests.responses.conftest import store_shipped_version

    user = login_as("supplier", locale="en")
    package = _package(client, db, make, user)
    draft = _response(db, make, user.supplier, store_shipped_version(db), 2027)
    db.session.commit()

    reply = _import(client, draft, package)
    assert reply.status_code == 302, text(reply)  # same ids and parts: imported as they are
    assert _answers(db, draft)["B3"].value == EARLIER["B3"]


def test_a_package_part_that_its_own_version_does_not_have_is_refused(client, db, make, login_as):
    import zipfile

    user = login_as("supplier", locale="en")
    package = _package(client, db, make, user)
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["answers.json"])
    document["answers"]["B4"]["colour"] = "red"
    document["answers"]["Z9"] = {"answer": "x"}
    members["answers.json"] = json.dumps(document).encode()
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    draft = _response(db, make, user.supplier, store_version(db), 2027)
    db.session.commit()

    reply = _import(client, draft, out.getvalue())

    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "answers.B4.colour: no such part in question B4" in page
    assert "answers.Z9: no such question in dfo-human-rights 2026.1" in page
    assert _answers(db, draft) == {}


def test_an_unknown_version_is_read_by_question_id_and_refused_where_it_does_not_fit(client, db, make, login_as):
    """A version not published here gives no mapping: the package is read by id, as before."""
    import zipfile

    user = login_as("supplier", locale="en")
    package = _package(client, db, make, user)
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["answers.json"])
    document["questionnaire"]["version"] = "2026.9"
    members["answers.json"] = json.dumps(document).encode()
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    draft = _response(db, make, user.supplier, store_version(db), 2027)
    db.session.commit()

    reply = _import(client, draft, out.getvalue())

    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    # 2026.1's B5 (trained, total) does not fit 2099.1's B5 (answer): refused with the path.
    assert "answers.B5.trained: no such part in question B5" in page
    assert _answers(db, draft) == {}
