"""A small municipality whose report figures are counted by hand (see ``Municipality``).

The reporting year is 2025. Every record below exists to test one rule of DOMAIN 7.2;
the comments in the test files say which records each figure counts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.models import (
    Agreement,
    Buyer,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    QuestionnaireVersion,
    QuestionReview,
    Response,
    Supplier,
    User,
    buyer_supplier,
)
from tests.auth.helpers import isolate_requests
from tests.responses.conftest import store_shipped_version

YEAR = 2025
SECRET_SITE = "Secret Factory Ltd"
EVIL_FORMULA = '=HYPERLINK("http://evil")'

_registry_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_requests(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request gets its own application context and session, as in production."""
    isolate_requests(app, monkeypatch)


@dataclass
class Municipality:
    version: QuestionnaireVersion
    reviewer: User  # Seniorrådgiver – fagansvarlig etisk handel
    manager: User  # Kontraktsforvalter
    s1: Supplier  # on A1 and A2: followed up on both, counted once
    s2: Supplier  # on A3, the agreement that ends mid-2025
    s3: Supplier  # only activity is on A4, not active in 2025
    s4: Supplier  # submitted, not accepted, no 2025 follow-up (activity 31.12.2024)
    s5: Supplier  # activity on 31.12.2025
    s6: Supplier  # activity on 1.1.2026 only
    a1: Agreement  # Arbeidstøy: 2023–2026, S1 + S4
    a2: Agreement  # Frukt og grønt: from 1.3.2025 (new in 2025), S1
    a3: Agreement  # IKT- og AV-utstyr: 2022 – 30.6.2025 (ends mid-year), S2
    a4: Agreement  # Kontormateriell: 2021 – 31.12.2024 (not active in 2025), S3
    a5: Agreement  # Solcellepaneler: from 1.6.2024, no ethical flags, S5 + S6
    round_2024: FollowUpRound
    round_2025: FollowUpRound

    def response(self, supplier: Supplier, agreement: Agreement) -> Response:
        return next(r for r in self.round_2025.responses
                    if r.supplier_id == supplier.id and r.agreement_id == agreement.id)


def foreign_supplier(make: Any, name: str) -> Supplier:
    """The factory has few valid organisation numbers; foreign suppliers need none."""
    return make.supplier(name=name, country="SE", registry_id=f"556{next(_registry_ids):07d}")


def add_round(db: Any, version: QuestionnaireVersion, year: int, deadline: date,
              buyer: Buyer | None = None) -> FollowUpRound:
    """A round of ``buyer``; by default of the only buyer the test has."""
    buyer = buyer or db.session.scalars(select(Buyer).order_by(Buyer.id)).first()
    round_ = FollowUpRound(year=year, name_nb=f"Oppfølging {year}", name_en=f"Follow-up {year}",
                           questionnaire_version=version, deadline=deadline, buyer=buyer)
    db.session.add(round_)
    db.session.flush()
    return round_


def add_response(db: Any, round_: FollowUpRound, agreement: Agreement, supplier: Supplier,
                 status: str) -> Response:
    response = Response(round=round_, agreement=agreement, supplier=supplier, status=status,
                        deadline=round_.deadline)
    db.session.add(response)
    db.session.flush()
    return response


def add_verdict(db: Any, response: Response, question_id: str, verdict: str) -> QuestionReview:
    review = QuestionReview(response=response, question_id=question_id, verdict=verdict)
    db.session.add(review)
    db.session.flush()
    return review


def add_full_review(db: Any, response: Response, verdict: str = "meets") -> None:
    """A verdict on every scored question without a condition that the response shows: what
    the review's roll-up needs before it can light green."""
    from portal.review.services import definition_and_sections

    _definition, sections = definition_and_sections(response)
    for section in sections:
        for question in section.questions:
            if question.scored and question.condition is None:
                add_verdict(db, response, question.id, verdict)


def inbox_lights(year: int, today: date) -> dict[str | None, tuple[int, int, int, int]]:
    """(green, yellow, red, none) by DFØ category, each response's light computed as the
    inbox and the review page compute it (``portal.review.queries.light_of``)."""
    from collections import Counter

    from sqlalchemy import select

    from portal.extensions import db
    from portal.review import queries as review_queries

    responses = list(db.session.scalars(
        select(Response).join(Response.round).where(FollowUpRound.year == year)
    ))
    verdicts = review_queries.verdict_values([r.id for r in responses])
    deviations = review_queries.deviation_facts_for(responses)
    counts: Counter[tuple[str | None, str]] = Counter(
        (response.agreement.dfo_category,
         review_queries.light_of(response, verdicts.get(response.id, {}),
                                 deviations[response.id], today).light or "none")
        for response in responses
    )
    categories = {category for category, _light in counts}
    return {category: tuple(counts[(category, light)]  # type: ignore[misc]
                            for light in ("green", "yellow", "red", "none"))
            for category in categories}


def add_activity(db: Any, kind: str, day: date, agreement: Agreement, supplier: Supplier,
                 by: User | None) -> FollowUpActivity:
    activity = FollowUpActivity(kind=kind, date=day, agreement=agreement, supplier=supplier,
                                created_by=by)
    db.session.add(activity)
    db.session.flush()
    return activity


def add_deviation(db: Any, supplier: Supplier, agreement: Agreement | None, **values: Any) -> Deviation:
    defaults: dict[str, Any] = {"type": "WAGES", "tier": "T1", "country": "BD", "status": "REGISTERED",
                                "detected_date": date(YEAR, 3, 1), "site": SECRET_SITE,
                                "description": f"Found at {SECRET_SITE}"}
    defaults.update(values)
    if agreement is None and "buyer_id" not in defaults:
        # Registered on the supplier alone: the buyer whose register it is in.
        defaults["buyer_id"] = db.session.scalar(
            select(buyer_supplier.c.buyer_id).where(buyer_supplier.c.supplier_id == supplier.id).limit(1))
    deviation = Deviation(supplier=supplier, agreement=agreement, **defaults)
    db.session.add(deviation)
    db.session.flush()
    return deviation


def build_municipality(db: Any, make: Any, domain: str = "kommune.example") -> Municipality:
    version = store_shipped_version(db)
    reviewer = make.user(role="reviewer", job_title="Seniorrådgiver – fagansvarlig etisk handel",
                         email=f"fagansvarlig@{domain}")
    manager = make.user(role="reviewer", job_title="Kontraktsforvalter",
                        email=f"forvalter@{domain}")
    s1, s2, s3, s4, s5, s6 = (
        foreign_supplier(make, f"{name} Leverandør AB")
        for name in ("Alfa", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")
    )
    a1 = make.agreement(suppliers=[s1, s4], name_nb="Arbeidstøy", name_en="Workwear",
                        reference="LK-A1", kind="framework", dfo_category="workwear",
                        start_date=date(2023, 1, 1), end_date=date(2026, 12, 31),
                        qualification_requirement=True, award_criterion=False,
                        contract_condition=True, estimated_value=Decimal("1000000"))
    a2 = make.agreement(suppliers=[s1], name_nb="Frukt og grønt", name_en="Fruit and vegetables",
                        reference="LK-A2", kind="framework", dfo_category="food",
                        start_date=date(2025, 3, 1), end_date=None,
                        qualification_requirement=False, award_criterion=False,
                        contract_condition=True, estimated_value=None)
    a3 = make.agreement(suppliers=[s2], name_nb="IKT- og AV-utstyr", name_en="ICT and AV equipment",
                        reference="LK-A3", kind="contract", dfo_category="ict",
                        start_date=date(2022, 1, 1), end_date=date(2025, 6, 30),
                        qualification_requirement=True, award_criterion=True,
                        contract_condition=True, estimated_value=Decimal("500000"))
    a4 = make.agreement(suppliers=[s3], name_nb="Kontormateriell", name_en="Office supplies",
                        reference="LK-A4", kind="framework", dfo_category="office",
                        start_date=date(2021, 1, 1), end_date=date(2024, 12, 31),
                        contract_condition=True, estimated_value=Decimal("200000"))
    a5 = make.agreement(suppliers=[s5, s6], name_nb="Solcellepaneler", name_en="Solar panels",
                        reference="LK-A5", kind="framework", dfo_category="building",
                        start_date=date(2024, 6, 1), end_date=None,
                        qualification_requirement=False, award_criterion=False,
                        contract_condition=False, estimated_value=Decimal("300000"))

    round_2024 = add_round(db, version, 2024, date(2024, 5, 1))
    add_response(db, round_2024, a1, s1, "accepted")
    round_2025 = add_round(db, version, YEAR, date(2025, 5, 1))
    add_response(db, round_2025, a1, s1, "accepted")
    r2 = add_response(db, round_2025, a2, s1, "accepted")
    r3 = add_response(db, round_2025, a1, s4, "submitted")  # submitted, never accepted
    r4 = add_response(db, round_2025, a3, s2, "returned")
    add_response(db, round_2025, a5, s5, "not_started")  # deadline 1.5.2025 has passed
    add_response(db, round_2025, a5, s6, "in_progress")  # deadline 1.5.2025 has passed
    # Verdicts for the traffic lights: "meets" on every question, a "partly", and a "does not
    # meet" on the gate question B1.
    add_full_review(db, r2)
    add_verdict(db, r3, "B2", "partly")
    add_verdict(db, r4, "B1", "not_met")

    add_activity(db, "questionnaire_reviewed", date(2025, 4, 10), a1, s1, reviewer)
    add_activity(db, "status_meeting", date(2025, 9, 1), a2, s1, reviewer)
    add_activity(db, "document_review", date(2025, 8, 15), a3, s2, manager)  # after A3 ended: same year
    add_activity(db, "site_audit", date(2025, 3, 1), a4, s3, manager)  # A4 not active in 2025
    add_activity(db, "spot_check", date(2025, 12, 31), a5, s5, manager)
    add_activity(db, "questionnaire_reviewed", date(2026, 1, 1), a5, s6, reviewer)
    add_activity(db, "spot_check", date(2024, 12, 31), a1, s4, reviewer)

    # d1 and d2 differ only in the order of their measures and in statuses with one EHN text.
    add_deviation(db, s1, a1, type="WAGES", tier="T1", country="BD", measures=["CAP", "DIALOGUE"],
                  measures_text="Etterbetaling avtalt", status="IN_PROGRESS",
                  detected_date=date(2025, 2, 10), deadline=date(2099, 1, 1))
    add_deviation(db, s2, a3, type="WAGES", tier="T1", country="BD", measures=["DIALOGUE", "CAP"],
                  measures_text=EVIL_FORMULA, status="VERIFYING", detected_date=date(2025, 6, 1))
    add_deviation(db, s6, a5, type="P-DOC", tier="T0", country="NO", measures=[],
                  measures_text="", status="REGISTERED", detected_date=date(2025, 5, 10),
                  deadline=date(2025, 6, 1))
    # December of the year before, still open.
    add_deviation(db, s1, a1, type="OHS", tier="T2", country="CN", measures=["REAUDIT"],
                  status="NOTIFIED", detected_date=date(2024, 12, 15))
    # Withdrawn, and proposed but unconfirmed: neither is a deviation.
    add_deviation(db, s2, a3, type="CHILD", status="WITHDRAWN", detected_date=date(2025, 3, 3))
    add_deviation(db, s4, a1, type="FORCED", status="REGISTERED", is_proposed=True,
                  detected_date=date(2025, 7, 7))
    # Closed before 2025: not open in 2025; closed during 2025: open in it.
    add_deviation(db, s2, a3, type="CHILD", tier="T3", country="IN", status="CLOSED_OK",
                  detected_date=date(2023, 5, 5), closed_date=date(2024, 10, 1))
    add_deviation(db, s2, a3, type="HOURS", tier="T1", country="VN", status="CLOSED_OK",
                  detected_date=date(2024, 3, 3), closed_date=date(2025, 2, 1))

    make.risk(impact_nb="Tvangsarbeid i solcelleproduksjon", impact_en="Forced labour in solar",
              themes=["FORCED", "FOA"], geography="Globalt", position=1)
    make.risk(impact_nb="Dyrevelferd", impact_en="Animal welfare", themes=["ANIMAL"],
              geography="Norge", position=2)
    db.session.commit()
    return Municipality(version, reviewer, manager, s1, s2, s3, s4, s5, s6, a1, a2, a3, a4, a5,
                        round_2024, round_2025)


@pytest.fixture
def town(db: Any, make: Any) -> Municipality:
    return build_municipality(db, make)

