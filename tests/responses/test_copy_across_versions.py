"""Copying from a submission of another questionnaire version (issue 14, part 8): the answers go
to the questions that replace theirs, the list and the preview say how many fit and where each
comes from ("B3 (earlier B2)"), and the copies stay marked until confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

from flask_babel import force_locale, ngettext

from portal import clock
from portal.models import Answer, AuditEvent, EvidenceFile, FollowUpRound, Response, Submission
from portal.uploads import store_upload
from tests.auth.helpers import text, tr
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


def _ntr(singular, plural, num):
    with force_locale("nb"):
        return ngettext(singular, plural, num)


def _response(db, make, supplier, version, year, name):
    agreement = make.agreement(suppliers=[supplier], name_nb=name, name_en=name)
    round_ = FollowUpRound(buyer_id=agreement.buyer_id, year=year, name_nb=f"Oppfølging {year}",
                           name_en=f"Follow-up {year}", questionnaire_version=version,
                           deadline=clock.today() + timedelta(days=30))
    response = Response(round=round_, agreement=agreement, supplier=supplier, deadline=round_.deadline)
    db.session.add_all([round_, response])
    db.session.flush()
    return response


def _setup(db, make, user):
    """A 2026.1 submission with a file on B3, and a draft of the renumbered version 2099.1."""
    earlier = _response(db, make, user.supplier, store_version(db, DFO_2026), 2026, "Arbeidsklær 2026")
    stored = store_upload(BytesIO(PDF), "rutine.pdf")
    evidence = EvidenceFile(question_id="B3", part_id="file", original_name=stored.original_name,
                            stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                            mimetype=stored.mimetype, tag="Rutine", uploaded_by=user)
    earlier.files.append(evidence)
    db.session.flush()
    submission = Submission(response=earlier, number=1, answers=EARLIER, submitted_by=user,
                            submitted_at=datetime.now(UTC) - timedelta(days=3),
                            files=[{"id": evidence.id, "question_id": "B3", "part_id": "file",
                                    "name": "rutine.pdf", "size": stored.size, "sha256": stored.sha256}])
    earlier.status = "submitted"
    db.session.add(submission)
    draft = _response(db, make, user.supplier, store_version(db), 2027, "Arbeidsklær 2027")
    db.session.commit()
    return submission, draft


def test_the_list_counts_the_answers_that_fit_under_the_mapping(client, make, db, login_as):
    user = login_as("supplier")
    submission, draft = _setup(db, make, user)

    shown = text(client.get(f"/responses/{draft.id}/copy"))

    # B2, B3, B5 (renumbered) and C1 fit; the earlier B5 was dropped and the new B4 replaces nothing.
    assert _ntr("%(num)s answer fits the questions of this response",
                "%(num)s answers fit the questions of this response", 4) in shown
    assert _ntr("%(num)s of them under another question number in this version",
                "%(num)s of them under other question numbers in this version", 3) in shown
    assert "2026.1" in shown
    assert f'id="source-{submission.id}"' in client.get(f"/responses/{draft.id}/copy").get_data(as_text=True)


def test_the_preview_names_the_earlier_question_of_each_and_copying_follows_it(client, make, db, login_as):
    user = login_as("supplier")
    submission, draft = _setup(db, make, user)

    preview = client.get(f"/responses/{draft.id}/copy/preview?submission={submission.id}")

    assert preview.status_code == 200
    filled = preview.get_data(as_text=True).split('id="fill-heading"', 1)[1].split("</ul>", 1)[0]
    for here, there in (("B2", "B3"), ("B3", "B2"), ("B5", "B4")):
        assert f'<span class="question__id">{here}</span> {tr("(earlier %(question)s)", question=there)}' in filled
    assert '<span class="question__id">B4</span>' not in filled
    assert '<span class="question__id">C1</span> ' in filled
    assert tr("(earlier %(question)s)", question="C1") not in filled

    reply = client.post(f"/responses/{draft.id}/copy",
                        data={"csrf_token": csrf_token(client, "/accessibility"), "submission": str(submission.id)})

    assert reply.status_code == 302
    db.session.expire_all()
    stored = {a.question_id: a for a in db.session.query(Answer).filter_by(response_id=draft.id)}
    assert {q: a.value for q, a in stored.items()} == {
        "B2": EARLIER["B3"], "B3": EARLIER["B2"], "B5": EARLIER["B4"], "C1": EARLIER["C1"]}
    assert all(a.is_copied and a.copied_from_submission_id == submission.id for a in stored.values())
    [copied_file] = db.session.query(EvidenceFile).filter_by(response_id=draft.id).all()
    assert (copied_file.question_id, copied_file.part_id, copied_file.original_name) == ("B2", "file", "rutine.pdf")
    event = db.session.query(AuditEvent).filter_by(action="answers.copied", object_id=draft.id).one()
    assert event.after["renumbered"] == {"B2": "B3", "B3": "B2", "B5": "B4"}
    # Copied answers still wait for a confirmation before the response can be submitted.
    from portal.questionnaires import engine
    from portal.responses.services import unconfirmed_copies

    response = db.session.get(Response, draft.id)
    definition = engine.definition_of(response.round.questionnaire_version)
    waiting = {q.id for _s, q in unconfirmed_copies(
        response, engine.sections_for_agreement(definition, response.agreement), actor=user)}
    assert waiting == {"B2", "B3", "B5", "C1"}


def test_copying_a_newer_version_into_an_older_draft_reads_the_declarations_backwards(
    client, make, db, login_as
):
    user = login_as("supplier")
    newer = _response(db, make, user.supplier, store_version(db), 2027, "Arbeidsklær 2027")
    submission = Submission(response=newer, number=1, submitted_by=user, files=[],
                            submitted_at=datetime.now(UTC) - timedelta(days=1),
                            answers={"B2": {"answer": "yes_some"}, "B4": {"answer": "Daglig leder."},
                                     "B5": {"answer": "Rutinen."}})
    newer.status = "submitted"
    db.session.add(submission)
    older = _response(db, make, user.supplier, store_version(db, DFO_2026), 2026, "Arbeidsklær 2026")
    db.session.commit()

    client.post(f"/responses/{older.id}/copy",
                data={"csrf_token": csrf_token(client, "/accessibility"), "submission": str(submission.id)})

    db.session.expire_all()
    stored = {a.question_id: a.value for a in db.session.query(Answer).filter_by(response_id=older.id)}
    # 2099.1's B2 answers 2026.1's B3 and its B5 the earlier B4; its new B4 answers nothing there.
    assert stored == {"B3": {"answer": "yes_some"}, "B4": {"answer": "Rutinen."}}
