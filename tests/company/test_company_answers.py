"""Company answers (issue 14): answered once per supplier and year, shown in every response of
that year, frozen by each submission, the supplier's own."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.company import services as company_services
from portal.models import (
    AuditEvent,
    CompanyAnswerSet,
    EvidenceFile,
    QuestionReview,
    Response,
    Submission,
)
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.responses import services
from portal.review import services as review_services
from portal.rounds.services import create_round, ensure_shipped_versions
from portal.uploads import store_upload
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token, login

DECLARATION = {"I1": {"confirm": {"confirmed": "yes", "name": "Kari Nå", "title": "Daglig leder"}}}


class Two:
    """One supplier with responses to two buyers' rounds of 2026.2 (same year), and a reviewer each."""

    def __init__(self, db: Any, make: Any) -> None:
        versions = ensure_shipped_versions()
        self.version = next(v for v in versions if v.version == "2026.2")
        self.supplier = make.supplier(name="Felles Leverandør AS")
        self.user = make.user(role="supplier", supplier=self.supplier)
        self.buyer_a = make.default_buyer
        self.buyer_b = make.buyer(name="Kommune Bee")
        self.reviewer_a = make.user(role="reviewer", buyer=self.buyer_a)
        self.reviewer_b = make.user(role="reviewer", buyer=self.buyer_b)
        deadline = clock.today() + timedelta(days=30)
        self.responses = []
        for buyer, reference in ((self.buyer_a, "A-1"), (self.buyer_b, "B-1")):
            agreement = make.agreement(suppliers=[self.supplier], buyer=buyer, reference=reference,
                                       end_date=date(2030, 12, 31))
            round_ = create_round(year=2026, name_nb="Oppfølging 2026", name_en="Follow-up 2026",
                                  version=self.version, deadline=deadline, actor=None, buyer=buyer)
            response = Response(round=round_, agreement=agreement, supplier=self.supplier,
                                status="in_progress", deadline=deadline)
            db.session.add(response)
            self.responses.append(response)
        db.session.commit()
        self.definition = engine.definition_of(self.version)

    @property
    def a(self) -> Response:
        return self.responses[0]

    @property
    def b(self) -> Response:
        return self.responses[1]

    def sections(self, response: Response) -> tuple[Any, ...]:
        return engine.sections_for_agreement(self.definition, response.agreement)

    def company(self) -> CompanyAnswerSet:
        return company_services.ensure_set(self.supplier.id, 2026, self.version)

    def base(self) -> str:
        return f"/company/answers/2026/{self.version.id}"


@pytest.fixture
def two(db: Any, make: Any) -> Two:
    return Two(db, make)


def _sample(two: Two, *, company: bool) -> dict[str, dict[str, Any]]:
    answers = sample_answers(two.sections(two.a))
    return {qid: value for qid, value in answers.items()
            if two.definition.question(qid).is_company == company and not two.definition.question(qid).is_declaration}


def _fill_company(two: Two) -> CompanyAnswerSet:
    company = two.company()
    services.save_answers(company, _sample(two, company=True), {}, set(), actor=two.user)
    return company


def _fill_agreement(two: Two, response: Response) -> None:
    services.save_answers(response, _sample(two, company=False), {}, set(), actor=two.user)


def _submit(two: Two, response: Response) -> Submission:
    return services.submit_response(response, two.sections(response), actor=two.user, locale="nb",
                                    declaration=DECLARATION, today=clock.today())


def _post_section(client: Any, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


# One set per supplier, year and version


def test_one_set_per_supplier_year_and_version(two, db, make):
    first = two.company()
    assert two.company().id == first.id
    other = make.supplier()
    assert company_services.ensure_set(other.id, 2026, two.version).id != first.id
    db.session.commit()
    db.session.add(CompanyAnswerSet(supplier_id=two.supplier.id, year=2026, questionnaire_version_id=two.version.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_set_is_used_by_the_responses_of_its_year_and_version_only(two, db, make):
    company = two.company()
    assert {r.id for r in company.responses} == {two.a.id, two.b.id}
    older = next(v for v in ensure_shipped_versions() if v.version == "2026.1")
    round_ = create_round(year=2026, name_nb="Uten omfang", name_en="Without scope", version=older,
                          deadline=clock.today(), actor=None, buyer=two.buyer_a)
    unscoped = Response(round=round_, agreement=two.a.agreement, supplier=two.supplier, deadline=clock.today())
    db.session.add(unscoped)
    db.session.flush()
    assert company_services.set_for_response(unscoped, create=True) is None  # 2026.1 has no company questions
    assert company_services.set_for_response(two.a) is not None


# Shown in every response, of every buyer


def test_company_answers_filled_once_show_in_the_responses_of_two_buyers(client, two, db):
    login(client, two.user.email)
    page = client.get(two.base())
    assert page.status_code == 200
    assert "A-1" not in text(page)  # agreements are shown by name
    assert two.a.agreement.name in text(page)
    assert two.b.agreement.name in text(page)
    saved = _post_section(client, f"{two.base()}/sections/B",
                          {"present-B4": "1", "q-B4-answer": "Vi har en egen policy for aktsomhet."})
    assert saved.status_code == 302
    stored = db.session.scalar(select(CompanyAnswerSet))
    assert {a.question_id: a.value for a in stored.answers} == {"B4": {"answer": "Vi har en egen policy for aktsomhet."}}
    for response in (two.a, two.b):
        section = client.get(f"/responses/{response.id}/sections/B")
        body = section.get_data(as_text=True)
        assert "Vi har en egen policy for aktsomhet." in body
        assert tr("Edit in the company answers") in text(section)
        assert f"{two.base()}/sections/B#q-B4" in body
        assert 'name="q-B4-answer"' not in body  # read-only in the response
        assert 'name="q-B3-answer"' in body  # B3 is about this agreement: answered here


def test_a_response_page_does_not_change_company_answers(client, two, db):
    company = _fill_company(two)
    db.session.commit()
    before = {a.question_id: dict(a.value) for a in company.answers}
    login(client, two.user.email)
    _post_section(client, f"/responses/{two.a.id}/sections/B",
                  {"present-B4": "1", "q-B4-answer": "Overskrevet fra avtalen", "present-B3": "1",
                   "q-B3-answer": "yes_all"})
    db.session.expire_all()
    company = db.session.get(CompanyAnswerSet, company.id)
    assert {a.question_id: dict(a.value) for a in company.answers} == before
    own = {a.question_id: a.value for a in db.session.get(Response, two.a.id).answers}
    assert "B4" not in own
    assert own["B3"]["answer"] == "yes_all"


def test_the_company_page_answers_only_company_questions(client, two, db):
    login(client, two.user.email)
    page = client.get(f"{two.base()}/sections/B").get_data(as_text=True)
    assert 'name="q-B1-answer"' in page
    assert "q-B3-answer" not in page  # an agreement question of a company section
    assert client.get(f"{two.base()}/sections/C").status_code == 404  # no company question in C
    _post_section(client, f"{two.base()}/sections/B", {"present-B3": "1", "q-B3-answer": "yes_all"})
    assert db.session.scalar(select(CompanyAnswerSet)).answers == []


def test_company_changes_are_in_the_audit_trail(two, db):
    company = _fill_company(two)
    db.session.flush()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "CompanyAnswerSet",
                                                         AuditEvent.action == "answer.changed")).all()
    assert {e.field for e in events} == set(_sample(two, company=True))
    assert all(e.object_id == company.id and e.supplier_id == two.supplier.id for e in events)
    assert all(e.buyer_id is None for e in events)  # the supplier's own: in no buyer's trail


def test_a_stale_company_save_is_a_conflict(two, db, make):
    colleague = make.user(role="supplier", supplier=two.supplier)
    company = two.company()
    services.save_answers(company, {"B4": {"answer": "Første"}}, {"B4": None}, set(), actor=two.user)
    result = services.save_answers(company, {"B4": {"answer": "Andre"}}, {"B4": None}, set(), actor=colleague)
    assert [c.question_id for c in result.conflicts] == ["B4"]
    assert {a.question_id: a.value for a in company.answers}["B4"] == {"answer": "Første"}


# Editable while a response using the set is


def test_editable_while_at_least_one_response_is_editable(client, two, db):
    company = _fill_company(two)
    for response in two.responses:
        _fill_agreement(two, response)
    _submit(two, two.a)
    db.session.commit()
    company = db.session.get(CompanyAnswerSet, company.id)
    company.__dict__.pop("_responses", None)
    assert company.can_edit(two.user)  # b is still a draft
    _submit(two, two.b)
    db.session.commit()
    company.__dict__.pop("_responses", None)
    assert not company.can_edit(two.user)

    login(client, two.user.email)
    page = client.get(f"{two.base()}/sections/B")
    assert tr("The company answers are read-only: every response that uses them has been submitted. They open "
              "again if a buyer returns a response to you for clarification.") in text(page)
    refused = _post_section(client, f"{two.base()}/sections/B", {"present-B4": "1", "q-B4-answer": "Endret"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert {a.question_id: a.value for a in db.session.get(CompanyAnswerSet, company.id).answers}["B4"] != {
        "answer": "Endret"}


def test_a_returned_response_opens_its_reopened_company_question(two, db):
    company = _fill_company(two)
    for response in two.responses:
        _fill_agreement(two, response)
        _submit(two, response)
    db.session.flush()
    review_services.return_response(two.a, ["B4"], "Utdyp B4, takk.", actor=two.reviewer_a)
    db.session.flush()
    company.__dict__.pop("_responses", None)
    assert company.can_edit(two.user)
    assert company.can_edit_question(two.user, "B4")
    assert not company.can_edit_question(two.user, "B1")
    result = services.save_answers(company, {"B1": {"answer": "no"}, "B4": {"answer": "Utdypet"}},
                                   {}, set(), actor=two.user)
    assert result.saved == ["B4"]


# Submitting freezes the company answers in the snapshot


def test_submit_freezes_company_answers_and_files_in_the_snapshot(client, two, db):
    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf")
    evidence = services.add_evidence(company, "B1", "file", stored, "Policy", actor=two.user)
    _fill_agreement(two, two.a)
    submission = _submit(two, two.a)
    db.session.commit()
    company_answers = {a.question_id: dict(a.value) for a in company.answers}
    assert {qid: submission.answers[qid] for qid in company_answers} == company_answers
    assert set(_sample(two, company=False)) <= set(submission.answers)
    (listed,) = [f for f in submission.files if f["question_id"] == "B1"]
    frozen = db.session.get(EvidenceFile, listed["id"])
    assert frozen.response_id == two.a.id
    assert frozen.copied_from_id == evidence.id
    assert frozen.stored_name == evidence.stored_name
    assert frozen.removed_at is not None

    # Later edits of the set change no submitted snapshot.
    services.save_answers(company, {"B4": {"answer": "Endret etterpå"}}, {}, set(), actor=two.user)
    services.remove_evidence(company, evidence, actor=two.user)
    db.session.commit()
    db.session.expire_all()
    snapshot = db.session.get(Submission, submission.id)
    assert snapshot.answers["B4"] == company_answers["B4"]
    assert [f["id"] for f in snapshot.files if f["question_id"] == "B1"] == [frozen.id]

    # The frozen file downloads for the supplier and for the staff of the response's buyer only.
    path = f"/responses/{two.a.id}/files/{frozen.id}"
    login(client, two.user.email)
    assert client.get(path).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    login(client, two.reviewer_a.email)
    assert client.get(path).status_code == 200
    review = client.get(f"/review/responses/{two.a.id}")
    assert review.status_code == 200
    assert company_answers["B4"]["answer"] in review.get_data(as_text=True)
    assert "policy.pdf" in review.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    login(client, two.reviewer_b.email)
    assert client.get(path).status_code == 404


def test_the_draft_company_answers_are_not_shown_to_staff(client, two, db):
    company = _fill_company(two)
    services.save_answers(company, {"B4": {"answer": "Hemmelig utkast"}}, {}, set(), actor=two.user)
    db.session.commit()
    login(client, two.reviewer_a.email)
    page = client.get(f"/responses/{two.a.id}/sections/B")
    assert page.status_code == 200
    assert "Hemmelig utkast" not in page.get_data(as_text=True)
    assert client.get(two.base()).status_code == 403


def test_submission_needs_the_company_answers_too(client, two, db):
    _fill_agreement(two, two.a)
    db.session.commit()
    login(client, two.user.email)
    check = client.get(f"/responses/{two.a.id}/submit")
    body = text(check)
    assert "B. " in body
    refused = _post_section(client, f"/responses/{two.a.id}/submit",
                            {"q-I1-confirm-confirmed": "yes", "q-I1-confirm-name": "Kari", "q-I1-confirm-title": "Leder"})
    assert refused.status_code == 422
    assert db.session.get(Response, two.a.id).submissions == []
    db.session.expire_all()
    response = db.session.get(Response, two.a.id)
    with pytest.raises(services.ResponseStateError, match="B1"):
        _check_complete_or_raise(two, response)
    _fill_company(two)
    db.session.commit()
    db.session.expire_all()
    response = db.session.get(Response, two.a.id)
    _check_complete_or_raise(two, response)


def _check_complete_or_raise(two: Two, response: Response) -> None:
    """The merged completeness check, as the submit page makes it."""
    sections = two.sections(response)
    company = company_services.set_for_response(response)
    answers = company_services.merged_answers(response, company, sections)
    answers.update(DECLARATION)
    files = company_services.merged_files(response, company, sections)
    states = engine.response_state(sections, answers, files, "nb")
    missing = [q.question.id for s in states for q in s.problems]
    if missing:
        raise services.ResponseStateError(",".join(missing))


# Each buyer's own verdicts


def test_each_buyer_gives_its_own_verdicts_on_the_same_company_answers(client, two, db):
    _fill_company(two)
    for response in two.responses:
        _fill_agreement(two, response)
        _submit(two, response)
    db.session.commit()
    review_services.save_verdicts(two.a, [review_services.VerdictInput("B4", "meets", "Bra fra A")],
                                  actor=two.reviewer_a, today=clock.today())
    review_services.save_verdicts(two.b, [review_services.VerdictInput("B4", "not_met", "Mangler hos B")],
                                  actor=two.reviewer_b, today=clock.today())
    db.session.commit()
    verdicts = {(v.response_id, v.question_id): v.verdict for v in db.session.scalars(select(QuestionReview))}
    assert verdicts[(two.a.id, "B4")] == "meets"
    assert verdicts[(two.b.id, "B4")] == "not_met"
    snapshot_a, snapshot_b = two.a.submissions[0].answers, two.b.submissions[0].answers
    assert snapshot_a["B4"] == snapshot_b["B4"]  # the same company answer in both

    login(client, two.reviewer_b.email)
    page = client.get(f"/review/responses/{two.b.id}").get_data(as_text=True)
    assert "Mangler hos B" in page
    assert "Bra fra A" not in page
    assert client.get(f"/review/responses/{two.a.id}").status_code == 404


# Copying


def test_the_company_page_copies_company_answers_from_an_earlier_submission(client, two, db):
    _fill_company(two)
    _fill_agreement(two, two.a)
    source = _submit(two, two.a)
    db.session.commit()
    # Next year's round of the same buyer: a new set, filled by copying.
    round_ = create_round(year=2027, name_nb="Oppfølging 2027", name_en="Follow-up 2027", version=two.version,
                          deadline=clock.today() + timedelta(days=30), actor=None, buyer=two.buyer_a)
    db.session.add(Response(round=round_, agreement=two.a.agreement, supplier=two.supplier,
                            status="not_started", deadline=round_.deadline))
    db.session.commit()
    login(client, two.user.email)
    path = f"/company/answers/2027/{two.version.id}/copy"
    assert client.get(path).status_code == 200
    copied = client.post(path, data={"csrf_token": csrf_token(client, path), "submission": source.id})
    assert copied.status_code == 302
    company = company_services.find_set(two.supplier.id, 2027, two.version.id)
    assert company is not None
    company_ids = set(_sample(two, company=True))
    assert {a.question_id for a in company.answers} == company_ids
    assert all(a.is_copied and a.copied_from_submission_id == source.id for a in company.answers)
    # A copy of another supplier's submission is refused.
    assert client.post(path, data={"csrf_token": csrf_token(client, path), "submission": 999999}).status_code == 404
    nothing = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert nothing.status_code == 302


def test_a_response_copy_takes_only_agreement_questions_when_the_version_has_scopes(two, db):
    _fill_company(two)
    _fill_agreement(two, two.a)
    source = _submit(two, two.a)
    db.session.flush()
    plan = services.plan_copy(two.b, source, two.sections(two.b), actor=two.user)
    filled = {item.question.id for item in plan.fill}
    assert filled
    assert not any(two.definition.question(qid).is_company for qid in filled)


def test_unconfirmed_company_copies_block_the_submission(two, db):
    _fill_agreement(two, two.a)
    company = two.company()
    company.answers.append(_copied_answer(two))
    db.session.flush()
    services.save_answers(company, {k: v for k, v in _sample(two, company=True).items() if k != "B4"}, {}, set(),
                          actor=two.user)
    with pytest.raises(services.ResponseStateError):
        _submit(two, two.a)


def _copied_answer(two: Two) -> Any:
    from portal.models import Answer

    return Answer(question_id="B4", value=_sample(two, company=True)["B4"], is_copied=True, updated_by=two.user)


# Isolation


def test_company_answers_are_the_suppliers_own(client, two, db, make):
    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "egen.pdf")
    evidence = services.add_evidence(company, "B1", "file", stored, "", actor=two.user)
    db.session.commit()
    stranger = make.user(role="supplier")
    db.session.commit()
    login(client, stranger.email)
    assert client.get(two.base()).status_code == 404  # no response of the stranger uses it
    assert client.get(f"{two.base()}/files/{evidence.id}").status_code == 404
    assert client.get(f"/responses/{two.a.id}/files/{evidence.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    login(client, two.user.email)
    assert client.get(f"{two.base()}/files/{evidence.id}").status_code == 200
    assert client.get(f"/responses/{two.a.id}/files/{evidence.id}").status_code == 200


# What reads the snapshot: the answer package and sharing


def test_the_answer_package_carries_the_company_answers_and_files(app, two, db):
    import json
    import zipfile

    from portal.responses import package

    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf")
    services.add_evidence(company, "B1", "file", stored, "", actor=two.user)
    _fill_agreement(two, two.a)
    submission = _submit(two, two.a)
    db.session.commit()
    with zipfile.ZipFile(BytesIO(package.build_package(two.a, submission))) as archive:
        document = json.loads(archive.read("answers.json"))
        names = archive.namelist()
    assert document["answers"]["B4"] == {a.question_id: a.value for a in company.answers}["B4"]
    assert [f["question_id"] for f in document["files"]] == ["B1"]
    assert any(name.endswith("policy.pdf") for name in names)

    # Imported into a draft of the same version, company questions stay with the company answers.
    with app.test_request_context():
        checked = package.read_package(package.build_package(two.a, submission), two.b, "nb")
    result = services.import_answers(two.b, checked.values, checked.files, actor=two.user,
                                     source=checked.source)
    # B4 is already answered in the company answers both responses use: kept as it is.
    assert "B4" in result.kept
    assert "B4" not in result.imported
    assert "B3" in result.imported
    assert all(not two.definition.question(a.question_id).is_company for a in two.b.answers)


def test_a_package_imported_where_no_company_answers_exist_fills_them_marked_copied(app, two, db, make):
    """The same supplier on another installation (here: another supplier's draft with no company
    answers yet) imports a package: the agreement answers land in the response, the company
    answers and files in the company answers of the year, each marked copied until confirmed."""
    from portal.responses import package

    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf")
    services.add_evidence(company, "B1", "file", stored, "", actor=two.user)
    _fill_agreement(two, two.a)
    submission = _submit(two, two.a)
    elsewhere = make.supplier(name="Samme Leverandør, annen installasjon")
    user = make.user(role="supplier", supplier=elsewhere)
    agreement = make.agreement(suppliers=[elsewhere], reference="C-1", end_date=date(2030, 12, 31))
    draft = Response(round=two.a.round, agreement=agreement, supplier=elsewhere, status="not_started",
                     deadline=two.a.deadline)
    db.session.add(draft)
    db.session.commit()

    with app.test_request_context():
        checked = package.read_package(package.build_package(two.a, submission), draft, "nb")
    result = services.import_answers(draft, checked.values, checked.files, actor=user, source=checked.source)
    db.session.commit()

    theirs = company_services.find_set(elsewhere.id, 2026, two.version.id)
    assert theirs is not None
    company_answers = {a.question_id: a for a in theirs.answers}
    assert company_answers["B4"].value == {a.question_id: a.value for a in company.answers}["B4"]
    assert all(a.is_copied for a in theirs.answers)
    assert [f.original_name for f in theirs.files] == ["policy.pdf"]
    assert {"B4", "B1", "B3"} <= set(result.imported)
    assert all(not two.definition.question(a.question_id).is_company for a in draft.answers)
    assert draft.status == "in_progress"


def test_a_shared_submission_shows_and_serves_its_company_files_to_the_receiving_buyer(client, two, db):
    from portal.sharing import services as sharing

    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "delt-policy.pdf")
    services.add_evidence(company, "B1", "file", stored, "", actor=two.user)
    _fill_agreement(two, two.a)
    submission = _submit(two, two.a)
    share = sharing.grant_share(two.a, two.buyer_b.id, actor=two.user)
    db.session.commit()
    (frozen,) = [f["id"] for f in submission.files if f["question_id"] == "B1"]
    login(client, two.reviewer_b.email)
    page = client.get(f"/review/received/{share.id}")
    assert page.status_code == 200
    assert "delt-policy.pdf" in page.get_data(as_text=True)
    assert client.get(f"/review/received/{share.id}/files/{frozen}").status_code == 200


def test_the_start_page_counts_the_company_answers_in_the_progress(app, two, db):
    from portal.responses.overview import response_overview

    with app.test_request_context():
        before = {row.response.id: row.answered for row in response_overview(two.supplier.id)}
        _fill_company(two)
        db.session.flush()
        after = {row.response.id: row.answered for row in response_overview(two.supplier.id)}
    assert after[two.a.id] > before[two.a.id]
    assert after[two.b.id] == after[two.a.id]  # the same company answers count in both


# Retention (portal/privacy/retention.py)


def test_company_answers_go_when_the_last_agreement_using_them_has_expired(two, db, app):
    from portal import storage
    from portal.models import Answer
    from portal.privacy import retention

    company = _fill_company(two)
    stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf")
    services.add_evidence(company, "B1", "file", stored, "Policy", actor=two.user)
    two.b.agreement.end_date = date(2032, 6, 30)  # the other buyer's agreement ends later
    db.session.commit()
    app.config["RETENTION_EVIDENCE_YEARS"] = 2
    app.config["RETENTION_ANSWERS_YEARS"] = 2

    def company_rows() -> tuple[int, int]:
        answers = db.session.scalars(select(Answer).where(Answer.company_set_id == company.id)).all()
        files = db.session.scalars(select(EvidenceFile).where(EvidenceFile.company_set_id == company.id)).all()
        return len(answers), len(files)

    filled = company_rows()
    assert filled[0]
    assert filled[1] == 1

    # A's period is over, B's is not: the company answers still serve B's response.
    assert not [e for e in retention.apply_retention(date(2034, 1, 1)) if e.agreement_reference == "B-1"]
    db.session.commit()
    assert company_rows() == filled
    assert storage.exists(stored.stored_name)

    # B's period is over too: the answers and the file go, named with B's agreement.
    found = retention.apply_retention(date(2034, 7, 1))
    db.session.commit()

    mine = [e for e in found if e.agreement_reference == "B-1"]
    assert {(e.kind, e.company_set_id) for e in mine} == {("evidence", None), ("answers", company.id)}
    assert [e.key for e in mine if e.kind == "evidence"] == [stored.stored_name]
    assert company_rows() == (0, 0)
    assert not storage.exists(stored.stored_name)
    # Nothing is left to delete the next night.
    assert not [e for e in retention.apply_retention(date(2034, 7, 2)) if e.agreement_reference == "B-1"]


def test_company_answers_are_kept_while_an_agreement_using_them_has_no_end(two, db, app):
    from portal.privacy import retention

    _fill_company(two)
    two.b.agreement.end_date = None
    db.session.commit()
    app.config["RETENTION_ANSWERS_YEARS"] = 0

    found = retention.apply_retention(date(2100, 1, 1), dry_run=True)

    assert [e for e in found if e.company_set_id is not None] == []
