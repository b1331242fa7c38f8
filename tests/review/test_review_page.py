"""The review page: requirements beside answers, verdicts saved in one request, bad input
refused with nothing saved, changed and copied answers marked, deviations proposed."""

from __future__ import annotations

import re
from typing import Any

from portal import clock
from portal.models import (
    Answer,
    AuditEvent,
    Deviation,
    EvidenceFile,
    QuestionReview,
    Response,
)
from portal.questionnaires.samples import sample_answers
from portal.responses import services as responses
from portal.review import services
from tests.auth.helpers import flashed, location, text, tr
from tests.conftest import csrf_token
from tests.review.conftest import declaration_by, sections_of
from tests.review.helpers import return_response, save_verdicts


def _verdicts(db, response):
    db.session.expire_all()
    return {r.question_id: r for r in db.session.query(QuestionReview).filter_by(
        response_id=response.id)}


def test_page_shows_requirements_answers_files_and_guidance(client, db, make, make_response,
                                                            login_as):
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    agreement = make.agreement(
        suppliers=[supplier], social_dialogue_required=True, product_scope="Arbeidsbukser",
        social_dialogue_wording="Leverandøren skal dokumentere valgte arbeiderrepresentanter.",
        qualification_requirement=True,
    )
    response = make_response(supplier, agreement=agreement)
    sections = sections_of(response)
    for qid, value in sample_answers(sections).items():
        response.answers.append(Answer(question_id=qid, value=value, updated_by=user))
    response.files.append(EvidenceFile(question_id="B1", part_id="file", original_name="policy.pdf",
                                       stored_name=make.stored_file().key, size=1234, sha256="0" * 64,
                                       mimetype="application/pdf", uploaded_by=user))
    db.session.flush()
    responses.submit_response(response, sections, actor=user, locale="nb", declaration=declaration_by(user),
                              today=clock.today())
    db.session.commit()
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}")

    assert page.status_code == 200
    body = text(page)
    assert "Leverandøren skal dokumentere valgte arbeiderrepresentanter." in body
    assert "Arbeidsbukser" in body
    assert tr("Ethical requirements used as a qualification requirement") in body
    assert "policy.pdf" in body
    assert f"/responses/{response.id}/files/" in page.get_data(as_text=True)
    assert tr("Review guidance for %(question)s", question="C5") in body
    assert "Alle sluttproduksjonssteder er oppført" in body  # C5's guidance, nb
    assert 'name="verdicts-0-verdict"' in page.get_data(as_text=True)
    assert tr("Not yet assessed") in body  # the light, in words


def test_verdicts_of_a_whole_page_are_saved_in_one_request_and_audited(client, db, submitted,
                                                                       login_as):
    response = submitted()
    reviewer = login_as("reviewer")

    reply = save_verdicts(client, response, {
        "B1": ("meets", "Fin policy.", "Sjekket mot fjorårets."),
        "B2": ("partly", "Ta med underleverandører.", ""),
        "C1": ("not_met", "", "Mangler risikovurdering"),
    }, section="C")

    assert reply.status_code == 302
    assert location(reply).endswith(f"/review/responses/{response.id}")
    assert reply.headers["Location"].endswith("#section-C")
    verdicts = _verdicts(db, response)
    assert verdicts["B1"].verdict == "meets"
    assert verdicts["B2"].comment_to_supplier == "Ta med underleverandører."
    assert verdicts["C1"].internal_note == "Mangler risikovurdering"
    assert verdicts["C1"].updated_by_id == reviewer.id
    events = db.session.query(AuditEvent).filter_by(action="verdict.changed").all()
    changed = {(e.field, e.before, e.after) for e in events}
    assert ("B1.verdict", None, "meets") in changed
    assert ("C1.internal_note", "", "Mangler risikovurdering") in changed
    assert all(e.actor_id == reviewer.id and e.object_id == response.id for e in events)
    # C1 is a gate: "does not meet" proposes its deviation.
    proposed = db.session.query(Deviation).filter_by(response_id=response.id,
                                                     question_id="C1").one()
    assert proposed.is_proposed
    assert proposed.type == "P-RISK"

    # Changing one field records only that field.
    save_verdicts(client, response, {"B1": ("partly", "Fin policy.", "Sjekket mot fjorårets.")})
    later = db.session.query(AuditEvent).filter_by(action="verdict.changed",
                                                   field="B1.verdict").order_by(AuditEvent.id).all()
    assert [(e.before, e.after) for e in later] == [(None, "meets"), ("meets", "partly")]
    assert db.session.query(AuditEvent).filter_by(field="B1.comment_to_supplier").count() == 1


def test_a_verdict_on_a_question_not_in_the_version_saves_nothing(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    reply = save_verdicts(client, response, {"B1": ("meets", "", ""), "Z9": ("meets", "", "")})

    assert reply.status_code == 302
    assert any("Z9" in message for message in flashed(client))
    assert _verdicts(db, response) == {}
    assert db.session.query(AuditEvent).filter_by(action="verdict.changed").count() == 0


def test_a_question_hidden_for_this_agreement_is_refused_too(client, db, submitted, login_as):
    response = submitted()  # no social-dialogue requirement: section H is not in it
    login_as("reviewer")

    save_verdicts(client, response, {"H5": ("not_met", "", "")})

    assert _verdicts(db, response) == {}
    assert any("H5" in message for message in flashed(client))


def test_a_verdict_outside_the_list_is_refused_with_a_message(client, db, submitted, login_as):
    response = submitted()
    login_as("reviewer")

    reply = save_verdicts(client, response, {"B1": ("excellent", "", "")})

    assert reply.status_code == 422
    assert tr("Choose one of the verdicts in the list") in text(reply)
    assert _verdicts(db, response) == {}


def test_verdicts_are_refused_unless_the_response_awaits_review(client, db, make_response,
                                                                  login_as):
    response = make_response(status="in_progress")
    db.session.commit()
    login_as("reviewer")

    reply = save_verdicts(client, response, {"B1": ("meets", "", "")})

    assert reply.status_code == 302
    assert flashed(client)
    assert _verdicts(db, response) == {}
    page = client.get(f"/review/responses/{response.id}").get_data(as_text=True)
    assert tr("The response has not been submitted yet. Verdicts can be given once it is.") in page


def test_an_untouched_entry_never_overwrites_a_colleagues_newer_verdict(client, db, make, submitted,
                                                                         login_as):
    response = submitted()
    colleague = make.user(role="reviewer")
    db.session.commit()
    login_as("reviewer")
    shown = services.fingerprint(None, "", "")  # what the page showed: nothing yet

    services.save_verdicts(response, [services.VerdictInput("B1", "not_met", "Nei.", "")],
                           actor=colleague, today=clock.today())
    db.session.commit()

    # Sent back unchanged: skipped.
    save_verdicts(client, response, {"B1": ("", "", "", shown), "B2": ("meets", "", "", shown)})
    verdicts = _verdicts(db, response)
    assert verdicts["B1"].verdict == "not_met"
    assert verdicts["B2"].verdict == "meets"

    # Changed on a stale page: a conflict, theirs kept and shown.
    reply = save_verdicts(client, response, {"B1": ("meets", "OK", "", shown)})
    assert reply.status_code == 409
    assert "Nei." in text(reply)
    assert _verdicts(db, response)["B1"].verdict == "not_met"

    # Saving again from the conflict page replaces it knowingly.
    now = services.fingerprint("not_met", "Nei.", "")
    save_verdicts(client, response, {"B1": ("meets", "OK", "", now)})
    assert _verdicts(db, response)["B1"].verdict == "meets"


def test_gate_no_proposes_one_draft_deviation_however_often_it_is_checked(db, make, submitted):
    response = submitted(answers={"B1": {"answer": "no"}, "D1": {"answer": "no"}})
    reviewer = make.user(role="reviewer")

    proposed = db.session.query(Deviation).filter_by(response_id=response.id).all()
    assert sorted((d.question_id, d.type) for d in proposed) == [("B1", "P-POLICY"),
                                                                 ("D1", "P-ACTION")]
    b1 = next(d for d in proposed if d.question_id == "B1")
    assert b1.is_proposed
    assert b1.severity == "MAJOR"
    assert b1.detected_by == "SAQ"
    assert b1.supplier_id == response.supplier_id
    assert b1.agreement_id == response.agreement_id
    assert b1.detected_date == clock.today()
    assert b1.status == "REGISTERED"

    services.record_submission(response, response.latest_submission, actor=None, today=clock.today())
    services.save_verdicts(response, [services.VerdictInput("B1", "not_met")], actor=reviewer,
                           today=clock.today())
    db.session.commit()
    assert db.session.query(Deviation).filter_by(response_id=response.id).count() == 2


def test_not_met_on_c5_or_h5_proposes_the_process_deviation(client, db, submitted, login_as):
    response = submitted(social_dialogue=True)
    login_as("reviewer")

    save_verdicts(client, response, {"C5": ("not_met", "", ""), "H5": ("not_met", "", ""),
                                     "B4": ("not_met", "", "")})

    db.session.expire_all()
    found = {d.question_id: d.type for d in db.session.query(Deviation).filter_by(
        response_id=response.id)}
    assert found == {"C5": "P-TRANSP", "H5": "P-SD"}  # B4 carries no deviation type
    assert any(m.startswith("2 ") for m in flashed(client))  # "2 deviations are proposed …"


def test_a_discarded_proposal_stays_discarded_until_the_next_submission(client, db, make, submitted,
                                                                        resubmit, login_as):
    supplier_user = make.user(role="supplier")
    response = submitted(user=supplier_user, answers={"B1": {"answer": "no"}})
    proposal = db.session.query(Deviation).filter_by(response_id=response.id).one()
    reviewer = login_as("reviewer")

    reply = client.post(f"/deviations/{proposal.id}/discard",
                        data={"csrf_token": _token(client, response)})

    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.query(Deviation).count() == 0
    discarded = db.session.query(AuditEvent).filter_by(action="deviation.discarded").all()
    assert {e.object_type for e in discarded} == {"Deviation", "Response"}
    assert all(e.before["type"] == "P-POLICY" for e in discarded)
    services.save_verdicts(response, [services.VerdictInput("B2", "meets")], actor=reviewer,
                           today=clock.today())
    db.session.commit()
    assert db.session.query(Deviation).count() == 0

    # Returned and resubmitted with the same "No": a new submission, a new proposal.
    services.return_response(response, ["B4"], "Utdyp B4.", actor=reviewer)
    db.session.commit()
    resubmit(response, supplier_user, {"B4": {"answer": "Ny rutine."}})
    assert db.session.query(Deviation).filter_by(question_id="B1").count() == 1


def _token(client, response):
    return csrf_token(client, f"/review/responses/{response.id}")


def test_answers_changed_since_the_previous_submission_show_the_earlier_value(
    client, db, make, submitted, resubmit, login_as
):
    supplier_user = make.user(role="supplier")
    response = submitted(user=supplier_user, answers={"B4": {"answer": "Gammel rutine."}})
    login_as("reviewer")
    return_response(client, response, ["B4"], "Beskriv rutinen bedre.")
    resubmit(response, supplier_user, {"B4": {"answer": "Ny, bedre rutine."}})

    body = text(client.get(f"/review/responses/{response.id}"))

    assert tr("Changed since submission %(number)s", number=1) in body
    assert tr("Earlier answer (submission %(number)s)", number=1) in body
    assert "Gammel rutine." in body
    assert "Ny, bedre rutine." in body
    assert body.count(tr("Changed since submission %(number)s", number=1)) == 1


def test_answers_copied_from_last_year_and_not_confirmed_are_marked(client, db, make, make_response,
                                                                    submitted, login_as):
    # A response submitted before copies had to be confirmed: submitting then cleared the marks,
    # so the review page finds the unconfirmed copies in the audit trail.
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    last_year = submitted(user=user, year=2024)
    response = make_response(supplier, year=2025, agreement=last_year.agreement)
    sections = sections_of(response)
    source = last_year.submissions[-1]
    assert responses.copy_answers(response, responses.plan_copy(response, source, sections, actor=user),
                                  actor=user) > 0
    db.session.flush()
    responses.save_answers(response, {"B4": {"answer": "Endret i år."}}, {}, set(), actor=user)
    responses.save_answers(response, {"B2": dict(response_answers(response)["B2"])}, {}, {"B2"},
                           actor=user)
    for answer in response.answers:
        answer.is_copied = False
    responses.submit_response(response, sections, actor=user, locale="nb", declaration=declaration_by(user),
                              today=clock.today())
    db.session.commit()
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}").get_data(as_text=True)

    marked = tr("Copied from an earlier submission and not confirmed")
    blocks = {qid: page.split(f'id="q-{qid}"', 1)[1].split("</section>", 1)[0]
              for qid in ("B1", "B2", "B4")}
    assert marked in blocks["B1"]
    assert marked not in blocks["B2"]  # confirmed
    assert marked not in blocks["B4"]  # changed


def response_answers(response: Response) -> dict:
    return {a.question_id: a.value for a in response.answers}


def _question_html(page: str, question_id: str) -> str:
    start = page.index(f'id="q-{question_id}"')
    return page[start:page.index('<section class="question', start)]


def test_an_accepted_review_shows_its_verdicts_read_only(client, db, submitted, login_as):
    """Once accepted, the page has no verdict form; the verdicts the acceptance rests on are
    still shown beside each answer (they were hidden before: found by the answer-once browser
    test), with the comment to the supplier and without the internal note."""
    from tests.review.helpers import accept

    response = submitted()
    login_as("reviewer")
    save_verdicts(client, response, {"B1": ("partly", "Oppdater policyen.", "Kun for oss."),
                                     "B2": ("", "", "")})
    accept(client, response)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "accepted"

    page = client.get(f"/review/responses/{response.id}").get_data(as_text=True)
    assert 'name="verdicts-0-verdict"' not in page
    b1 = _question_html(page, "B1")
    assert "review-verdict" in b1
    assert tr("Partly meets") in b1
    assert "Oppdater policyen." in b1
    assert "Kun for oss." not in page
    b2 = _question_html(page, "B2")
    assert "review-verdict" not in b2  # no verdict given: nothing shown


def test_the_earlier_rounds_files_are_linked_where_they_are_kept(client, db, make, make_response,
                                                                 login_as):
    """A first submission is compared with the same agreement's submission of the year before;
    that submission's files belong to its own response and are downloaded from there (they were
    linked under this year's response: a 404)."""
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    agreement = make.agreement(suppliers=[supplier])

    def submitted_with(year: int, file_name: str) -> Any:
        response = make_response(supplier, agreement=agreement, year=year)
        sections = sections_of(response)
        for qid, value in sample_answers(sections).items():
            response.answers.append(Answer(question_id=qid, value=value, updated_by=user))
        response.files.append(EvidenceFile(
            question_id="B1", part_id="file", original_name=file_name, stored_name=make.stored_file().key,
            size=1234, sha256=str(year) * 16, mimetype="application/pdf", uploaded_by=user))
        db.session.flush()
        responses.submit_response(response, sections, actor=user, locale="nb",
                                  declaration=declaration_by(user), today=clock.today())
        return response

    last_year = submitted_with(2024, "policy-2024.pdf")
    this_year = submitted_with(2025, "policy-2025.pdf")
    db.session.commit()
    login_as("reviewer")

    page = client.get(f"/review/responses/{this_year.id}").get_data(as_text=True)

    earlier = re.search(r'href="([^"]+)">policy-2024\.pdf<', page)
    assert earlier is not None
    assert earlier.group(1).startswith(f"/responses/{last_year.id}/files/")
    assert client.get(earlier.group(1)).status_code == 200
    current = re.search(r'href="([^"]+)">policy-2025\.pdf<', page)
    assert current is not None
    assert current.group(1).startswith(f"/responses/{this_year.id}/files/")
    assert client.get(current.group(1)).status_code == 200
