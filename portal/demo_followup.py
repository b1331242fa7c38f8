"""Demo follow-up: rounds, answered and reviewed responses, activities and deviations.

Built on the demo register of ``portal.demo`` so that every screen and report has
something real at first start: a 2023 round in which the workwear and fruit
agreements were followed up (no deviations, as in the municipality's report), a
2024 round with responses in every status and deviations in every status, and an
open round for this year that the demo suppliers can fill in. Fjordvik's round of this year,
the newest, uses the questionnaire with company questions (2026.2): the workwear supplier
filled its company answers once and submitted Fjordvik's response with them, so Fjordvik's
reviewer sees them in the submission.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from weasyprint import HTML

from portal import uploads
from portal.company import services as company_services
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Buyer,
    Clarification,
    ClarificationReply,
    CompanyAnswerSet,
    Deviation,
    DeviationUpdate,
    EvidenceFile,
    FollowUpActivity,
    FollowUpRound,
    QuestionReview,
    Response,
    Submission,
    Supplier,
    User,
)
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.questionnaires.types import type_of
from portal.responses.services import snapshot_files, store_receipt
from portal.rounds.services import add_agreement_to_round, create_round, ensure_shipped_versions


def _at(day: date, hour: int = 10) -> datetime:
    from datetime import UTC

    return datetime.combine(day, time(hour), tzinfo=UTC)


def _agreement(reference: str) -> Agreement:
    agreement = db.session.scalar(select(Agreement).where(Agreement.reference == reference))
    assert agreement is not None, reference
    return agreement


def _evidence_pdf(title: str) -> uploads.StoredFile:
    html = f"<h1>{title}</h1><p>Demo document for Aktsom. Contains no real data.</p>"
    content = HTML(string=html).write_pdf()
    import io

    class _Named(io.BytesIO):
        pass

    return uploads.store_upload(_Named(content), f"{title.lower().replace(' ', '-')}.pdf")


def _fill(response: Response, author: User, day: date, *, seed: int) -> None:
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    answers = sample_answers(sections, seed=seed, today=day)
    for question_id, value in answers.items():
        if definition.question(question_id).is_company:
            continue  # answered once, in the supplier's company answers
        response.answers.append(Answer(question_id=question_id, value=value, updated_by=author,
                                       updated_at=_at(day)))
    for section in sections:
        for question in section.questions:
            if question.is_company:
                continue
            for part in question.parts:
                if type_of(part).holds_files and question.id in ("B1", "H5"):
                    stored = _evidence_pdf(f"{question.id} evidence {response.agreement.reference}")
                    response.files.append(EvidenceFile(
                        question_id=question.id, part_id=part.id, original_name=stored.original_name,
                        stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                        mimetype=stored.mimetype, uploaded_by=author, uploaded_at=_at(day),
                    ))
    response.status = "in_progress"
    response.started_at = _at(day - timedelta(days=10))


def _fill_company(response: Response, author: User, day: date, *, seed: int) -> CompanyAnswerSet:
    """The supplier's company answers for the response's year, with a policy document on B1."""
    round_ = response.round
    company = company_services.ensure_set(response.supplier_id, round_.year, round_.questionnaire_version)
    definition = engine.definition_of(round_.questionnaire_version)
    answers = sample_answers(definition.sections_for("full", social_dialogue=False), seed=seed, today=day)
    for question_id, value in answers.items():
        if definition.question(question_id).is_company:
            company.answers.append(Answer(question_id=question_id, value=value, updated_by=author,
                                          updated_at=_at(day)))
    stored = _evidence_pdf(f"B1 company policy {round_.year}")
    company.files.append(EvidenceFile(
        question_id="B1", part_id="file", original_name=stored.original_name, stored_name=stored.stored_name,
        size=stored.size, sha256=stored.sha256, mimetype=stored.mimetype, uploaded_by=author,
        uploaded_at=_at(day),
    ))
    db.session.flush()
    return company


def _submit(response: Response, author: User, day: date, *, receipt: bool) -> Submission:
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    db.session.flush()
    answers = {a.question_id: a.value for a in response.answers}
    files = snapshot_files(response)
    company = company_services.set_for_response(response)
    if company is not None:  # the company answers it uses, frozen in its snapshot
        shown = {q.id for s in sections for q in s.questions if q.is_company}
        answers.update({a.question_id: a.value for a in company.answers if a.question_id in shown})
        files += [{"id": f.id, "question_id": f.question_id, "part_id": f.part_id, "name": f.original_name,
                   "size": f.size, "sha256": f.sha256, "tag": f.tag, "uploaded_at": f.uploaded_at.isoformat(),
                   "uploaded_by": author.display_name}
                  for f in company_services.freeze_company_files(response, company, shown)]
    submission = Submission(
        number=len(response.submissions) + 1, submitted_at=_at(day), submitted_by=author,
        answers=answers, files=files, locale=author.locale,
    )
    response.submissions.append(submission)
    response.status = "resubmitted" if submission.number > 1 else "submitted"
    response.submitted_at, response.submitted_by = submission.submitted_at, author
    db.session.flush()
    if receipt:
        store_receipt(response, definition, sections, submission)
    return submission


def _verdicts(response: Response, reviewer: User, day: date, weak: dict[str, str] | None = None) -> None:
    weak = weak or {}
    for answer in response.answers:
        verdict = weak.get(answer.question_id, "meets")
        db.session.add(QuestionReview(
            response=response, question_id=answer.question_id, verdict=verdict, updated_by=reviewer,
            updated_at=_at(day),
            comment_to_supplier="Bra, takk." if verdict == "meets" else "Se kommentaren i avviket.",
            internal_note="Sjekket mot revisjonsrapporten." if verdict != "meets" else "",
        ))


def _accept(response: Response, reviewer: User, day: date) -> None:
    response.status = "accepted"
    response.accepted_at = _at(day)
    db.session.add(FollowUpActivity(kind="questionnaire_reviewed", date=day, agreement=response.agreement,
                                    supplier=response.supplier, response=response, created_by=reviewer,
                                    notes="Egenrapportering gjennomgått og godkjent."))


def _user_of(supplier: Supplier) -> User:
    user = next((u for u in supplier.users if u.is_active), None)
    if user is None:
        user = db.session.scalar(select(User).where(User.role == "admin"))
    assert user is not None
    return user


def _deviation(**values: Any) -> Deviation:
    deviation = Deviation(**values)
    db.session.add(deviation)
    return deviation


def load_demo_followup(reviewer: User, admin: User) -> int:
    """Create the demo rounds once; returns the number of rounds created."""
    existing = {r.year for r in db.session.scalars(select(FollowUpRound))}
    version = ensure_shipped_versions(admin)[0]
    created = 0
    workwear_tech, workwear_kitchen = _agreement("LK-2021-0155"), _agreement("LK-2021-0156")
    fruit, solar, ict, office = (_agreement(r) for r in ("LK-2022-0020", "LK-2023-0112", "LK-2023-0087",
                                                          "LK-2021-0210"))
    fuel, play = _agreement("LK-2020-0410"), _agreement("LK-2023-0045")

    if 2023 not in existing:
        created += 1
        round23 = create_round(year=2023, name_nb="Oppfølging 2023", name_en="Follow-up 2023", version=version,
                               deadline=date(2023, 6, 15), actor=admin,
                               intro_nb="Årlig egenrapportering for avtaler med utvidet kontraktsoppfølging.",
                               intro_en="Yearly self-assessment for agreements with extended contract follow-up.")
        for seed, agreement in enumerate((workwear_tech, workwear_kitchen, fruit), start=1):
            for response in add_agreement_to_round(round23, agreement, actor=admin):
                author = _user_of(response.supplier)
                _fill(response, author, date(2023, 5, 20), seed=seed)
                _submit(response, author, date(2023, 6, 1), receipt=False)
                _verdicts(response, reviewer, date(2023, 9, 5))
                _accept(response, reviewer, date(2023, 9, 5))
        for agreement, day in ((workwear_tech, date(2023, 10, 12)), (fruit, date(2023, 11, 2)),
                               (fuel, date(2023, 12, 31))):
            db.session.add(FollowUpActivity(kind="status_meeting", date=day, agreement=agreement,
                                            supplier=agreement.suppliers[0], created_by=reviewer,
                                            notes="Årlig statusmøte med bærekraft som fast punkt."))

    if 2024 not in existing:
        created += 1
        round24 = create_round(year=2024, name_nb="Oppfølging 2024", name_en="Follow-up 2024", version=version,
                               deadline=date(2024, 9, 30), actor=admin)
        responses: dict[str, Response] = {}
        for agreement in (workwear_tech, workwear_kitchen, fruit, solar, ict, office, play):
            for response in add_agreement_to_round(round24, agreement, actor=admin):
                responses[f"{agreement.reference}/{response.supplier.org_number}"] = response
        by_agreement = {key.split("/")[0]: r for key, r in responses.items()}
        solar_responses = [r for k, r in responses.items() if k.startswith("LK-2023-0112")]
        day = date(2024, 9, 20)
        # accepted
        accepted = by_agreement["LK-2021-0155"]
        author = _user_of(accepted.supplier)
        _fill(accepted, author, day, seed=11)
        _submit(accepted, author, day, receipt=True)
        _verdicts(accepted, reviewer, date(2024, 10, 15), {"H3": "partly", "E2": "partly"})
        _accept(accepted, reviewer, date(2024, 10, 15))
        # returned for clarification
        returned = by_agreement["LK-2021-0156"]
        _fill(returned, author, day, seed=12)
        _submit(returned, author, day, receipt=True)
        _verdicts(returned, reviewer, date(2024, 10, 20), {"C5": "partly", "H5": "not_met"})
        returned.status, returned.reopened_questions = "returned", ["C5", "H5"]
        db.session.add(Clarification(response=returned, number=1, questions=["C5", "H5"], returned_by=reviewer,
                                     returned_at=_at(date(2024, 10, 20)),
                                     message="Oppgi antall arbeidere for alle produksjonssteder og last opp "
                                             "dokumentasjon på tiltak for sosial dialog for 2024.",
                                     # A reply the supplier has begun and not yet sent.
                                     replies=[ClarificationReply(
                                         question_id="C5", updated_by=author, updated_at=_at(date(2024, 10, 22)),
                                         text="Tallene for Dhaka-fabrikken kommer fra revisjonen i november.")]))
        # resubmitted after a clarification
        resubmitted = by_agreement["LK-2022-0020"]
        fruit_author = _user_of(resubmitted.supplier)
        _fill(resubmitted, fruit_author, day, seed=13)
        first = _submit(resubmitted, fruit_author, day, receipt=False)
        banana_round = Clarification(response=resubmitted, number=1, questions=["C4"], returned_by=reviewer,
                                     returned_at=_at(date(2024, 10, 1)), message="Hvor langt bak i kjeden er "
                                     "bananene kartlagt?")
        db.session.add(banana_round)
        banana_round.replies.append(ClarificationReply(
            question_id="C4", updated_by=fruit_author, updated_at=_at(date(2024, 10, 8)),
            text="Vi har nå kartlagt bananene helt tilbake til plantasjene i Ecuador og Colombia."))
        # The answer to the clarification: the bananas are now mapped back to the plantations.
        c4 = next(a for a in resubmitted.answers if a.question_id == "C4")
        c4.value = {**c4.value, "answer": "raw_material"}
        c4.revision += 1
        second = _submit(resubmitted, fruit_author, date(2024, 10, 8), receipt=True)
        banana_round.answered_submission = second  # which froze the reply
        del first
        # submitted, in progress and not started
        # The solar supplier with a demo login has submitted; its partner is still working.
        submitted, in_progress = sorted(solar_responses, key=lambda r: not r.supplier.users)
        solar_author = _user_of(submitted.supplier)
        _fill(submitted, solar_author, day, seed=14)
        _submit(submitted, solar_author, date(2024, 9, 28), receipt=True)
        _fill(in_progress, _user_of(in_progress.supplier), day, seed=15)
        for answer in list(in_progress.answers)[12:]:
            in_progress.answers.remove(answer)
        _fill(by_agreement["LK-2021-0210"], _user_of(by_agreement["LK-2021-0210"].supplier), day, seed=16)
        db.session.flush()
        # The 2024 round is long past: its reminders went out back then, not at first start.
        for response in responses.values():
            response.reminded_14_at = response.reminded_3_at = response.reminded_overdue_at = _at(
                date(2024, 10, 1))
        _demo_deviations(reviewer, responses=by_agreement, solar=submitted)

    if 2026 not in existing:
        created += 1
        # Answered per response (the browser journey fills every part of it); Fjordvik's round of the
        # year uses the version with company questions (load_second_buyer_followup).
        round26 = create_round(year=2026, name_nb="Oppfølging 2026", name_en="Follow-up 2026", version=version,
                               deadline=date(2027, 1, 31), actor=admin,
                               intro_nb="Årets egenrapportering. Bruk gjerne fjorårets svar som utgangspunkt.",
                               intro_en="This year's self-assessment. You may start from last year's answers.")
        for agreement in (workwear_tech, workwear_kitchen, solar):
            add_agreement_to_round(round26, agreement, actor=admin)
    db.session.flush()
    return created


def _demo_deviations(reviewer: User, *, responses: dict[str, Response], solar: Response) -> None:
    workwear = responses["LK-2021-0155"]
    kitchen = responses["LK-2021-0156"]
    fruit = responses["LK-2022-0020"]
    common = {"created_by": reviewer, "detected_by": "SAQ"}
    rows = [
        dict(response=workwear, supplier=workwear.supplier, agreement=workwear.agreement, question_id="H3",
             type="P-SD", severity="MINOR", tier="T1", country="BD", site="Dhaka Apparel Works Ltd",
             description="Tiltak for sosial dialog mangler målbare indikatorer.", detected_date=date(2024, 10, 15),
             measures=["CAP", "TRAINING"], measures_text="Avtalt opplæring av arbeiderkomiteen.",
             deadline=date(2025, 3, 31), status="CLOSED_OK", closed_date=date(2025, 3, 20)),
        dict(response=kitchen, supplier=kitchen.supplier, agreement=kitchen.agreement, question_id="H5",
             type="P-SD", severity="MAJOR", tier="T1", country="CN", site="Ningbo Safety Textiles Co.",
             description="Ingen dokumentasjon på gjennomførte tiltak for sosial dialog.",
             detected_date=date(2024, 10, 20), measures=["CAP"], deadline=date(2025, 2, 28),
             status="AWAITING_CAP"),
        dict(response=fruit, supplier=fruit.supplier, agreement=fruit.agreement, type="WAGES", severity="MAJOR",
             tier="T3", country="EC", description="Lønn under minstelønn for sesongarbeidere på plantasjen.",
             detected_date=date(2024, 11, 5), detected_by="SITE", measures=["REMEDY", "REAUDIT"],
             measures_text="Etterbetaling og ny revisjon.", deadline=date(2025, 6, 30), status="IN_PROGRESS",
             remediation_for_workers="Etterbetaling av differansen for 2024."),
        dict(response=solar, supplier=solar.supplier, agreement=solar.agreement, type="FORCED",
             severity="CRITICAL", tier="T3", country="CN", description="Polysilisium kan ikke spores til "
             "produsent uten risiko for tvangsarbeid.", detected_date=date(2024, 12, 10), detected_by="MEDIA",
             measures=["DIALOGUE", "SUSPEND"], deadline=date(2025, 1, 31), status="ESCALATED"),
        dict(response=workwear, supplier=workwear.supplier, agreement=workwear.agreement, type="HOURS",
             severity="MINOR", tier="T1", country="TR", description="Overtid over lovens grense i høysesong.",
             detected_date=date(2025, 2, 14), detected_by="SITE", measures=["CAP"], deadline=date(2025, 8, 1),
             status="VERIFYING"),
        dict(response=fruit, supplier=fruit.supplier, agreement=fruit.agreement, type="OHS", severity="MAJOR",
             tier="T3", country="ES", description="Manglende verneutstyr ved sprøyting.",
             detected_date=date(2025, 4, 2), detected_by="GRIEV", measures=["DIALOGUE"],
             deadline=date(2026, 12, 15), status="NOTIFIED"),
        dict(response=solar, supplier=solar.supplier, agreement=solar.agreement, type="P-TRANSP",
             severity="MAJOR", tier="T2", country="CN", description="Produksjonsstedene for celler er ikke oppgitt.",
             detected_date=date(2025, 5, 12), measures=[], deadline=date(2027, 1, 15), status="REGISTERED"),
        dict(response=kitchen, supplier=kitchen.supplier, agreement=kitchen.agreement, type="DISCR",
             severity="MAJOR", tier="T1", country="IN", description="Kvinner får ikke ansiennitetstillegg.",
             detected_date=date(2025, 6, 3), detected_by="SITE", measures=["TERMINATE"],
             measures_text="Leverandørforholdet til fabrikken avsluttet ansvarlig.", deadline=date(2025, 9, 1),
             status="CLOSED_NOT_OK", closed_date=date(2025, 10, 1)),
        dict(response=workwear, supplier=workwear.supplier, agreement=workwear.agreement, type="CHILD",
             severity="CRITICAL", tier="T1", country="BD", description="Registrert ved en feil (feil leverandør).",
             detected_date=date(2025, 1, 9), measures=[], status="WITHDRAWN"),
        dict(response=solar, supplier=solar.supplier, agreement=solar.agreement, question_id="C1",
             type="P-RISK", severity="MAJOR", tier="T0", country="NO", description="Foreslått fra svar «Nei» "
             "på C1.", detected_date=date(2024, 9, 30), is_proposed=True, status="REGISTERED"),
    ]
    for values in rows:
        deviation = _deviation(**{**common, **values})
        if values["status"] not in ("REGISTERED", "WITHDRAWN"):
            # Dated like the rest of the scenario (a report as of 31.12 reads the history):
            # a closure on its closing day, any other change two weeks after detection.
            closed, detected = values.get("closed_date"), values["detected_date"]
            assert isinstance(detected, date)
            changed = closed if isinstance(closed, date) else detected + timedelta(days=14)
            deviation.updates.append(DeviationUpdate(kind="status", status_before="REGISTERED",
                                                     status_after=values["status"], author=reviewer,
                                                     text="Status oppdatert etter oppfølgingsmøte.",
                                                     created_at=_at(changed)))
        if values["status"] in ("IN_PROGRESS", "VERIFYING", "CLOSED_OK"):
            deviation.supplier_plan = "Vi gjennomfører korrigerende tiltak innen fristen."
    db.session.add(FollowUpActivity(kind="site_audit", date=date(2024, 11, 5), agreement=fruit.agreement,
                                    supplier=fruit.supplier, created_by=reviewer,
                                    notes="Tredjepartsrevisjon av plantasje (amfori BSCI)."))
    db.session.add(FollowUpActivity(kind="social_dialogue_evidence_reviewed", date=date(2025, 3, 20),
                                    agreement=workwear.agreement, supplier=workwear.supplier,
                                    created_by=reviewer, notes="Møtereferater fra arbeiderkomiteen gjennomgått."))


def load_second_buyer_followup(agreement: Agreement, buyer_id: int) -> None:
    """Fjordvik's 2026 round on the questionnaire with company questions (2026.2): the workwear
    supplier fills its company answers once and submits Fjordvik's response with them."""
    scoped = next(v for v in ensure_shipped_versions() if v.version == "2026.2")
    round_ = create_round(year=2026, name_nb="Oppfølging 2026", name_en="Follow-up 2026", version=scoped,
                          deadline=date(2026, 12, 15), actor=None, buyer=db.session.get(Buyer, buyer_id),
                          intro_nb="Årlig egenrapportering for arbeidsklæravtalen.",
                          intro_en="Yearly self-assessment for the workwear agreement.")
    (response,) = add_agreement_to_round(round_, agreement, actor=None)
    author = _user_of(response.supplier)
    _fill_company(response, author, date(2026, 11, 20), seed=26)
    _fill(response, author, date(2026, 11, 24), seed=27)
    _submit(response, author, date(2026, 11, 25), receipt=True)
    response.invited_at = _at(date(2026, 10, 15))


def load_joint_followup(agreement: Agreement, reviewer: User, admin: User) -> None:
    """The cooperation's 2024 follow-up of its joint agreement (created with the agreement)."""
    version = ensure_shipped_versions(admin)[0]
    round_ = create_round(year=2024, name_nb="Felles oppfølging 2024", name_en="Joint follow-up 2024",
                          version=version, deadline=date(2024, 10, 15), actor=admin,
                          intro_nb="Egenrapportering for den felles rammeavtalen for arbeidsklær.",
                          intro_en="Self-assessment for the joint workwear framework agreement.")
    (response,) = add_agreement_to_round(round_, agreement, actor=admin)
    author = _user_of(response.supplier)
    _fill(response, author, date(2024, 10, 1), seed=21)
    _submit(response, author, date(2024, 10, 10), receipt=True)
    # Reviewed, ready to accept: a verdict on every answer, one of them internal.
    _verdicts(response, reviewer, date(2024, 11, 4), {"C5": "partly"})
    response.reminded_14_at = response.reminded_3_at = response.reminded_overdue_at = _at(
        date(2024, 10, 1))
    db.session.add(FollowUpActivity(
        kind="document_review", date=date(2024, 11, 5), agreement=agreement,
        supplier=response.supplier, created_by=reviewer,
        notes="Gjennomgått revisjonsrapport fra fabrikken i Bangladesh for samarbeidets medlemmer.",
    ))
    _deviation(supplier=response.supplier, agreement=agreement, response=response,
               question_id="C5", type="HOURS", severity="MAJOR", tier="T1", country="BD",
               site="Dhaka Apparel Works Ltd", detected_date=date(2024, 11, 5), detected_by="DESK",
               description="Overtid ut over lovens grense i høysesong ved én fabrikk.",
               measures=["CAP", "DIALOGUE"], measures_text="Plan for bemanning i høysesong.",
               responsible="Nordlys Arbeidsklær AS (demo)", deadline=date(2025, 3, 31),
               status="IN_PROGRESS", created_by=reviewer,
               internal_note="Følg opp på neste statusmøte i samarbeidet.")
    db.session.flush()
