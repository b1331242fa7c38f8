"""A supplier with agreements at two buyers (a third has none), and one submitted response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from portal import clock
from portal.models import (
    Agreement,
    Answer,
    Buyer,
    Deviation,
    EvidenceFile,
    QuestionReview,
    Response,
    Supplier,
    User,
)
from portal.questionnaires.samples import sample_answers
from portal.responses import services as responses
from tests.responses.conftest import make_response, version  # noqa: F401 - fixtures used here
from tests.review.conftest import declaration_by, sections_of

SOURCE = "Kildekommune"
RECEIVER = "Mottakerkommune"
THIRD = "Tredje kommune"
SOURCE_NOTE = "Kildens interne notat"
SOURCE_COMMENT = "Kildens kommentar til leverandøren"
SOURCE_DEVIATION = "Kildens avvik om lønn"


@dataclass
class Sharing:
    source: Buyer
    receiver: Buyer
    third: Buyer
    supplier: Supplier
    supplier_user: User
    response: Response  # submitted, of the source buyer's agreement
    source_agreement: Agreement
    receiver_agreement: Agreement
    evidence: EvidenceFile
    source_reviewer: User
    receiver_reviewer: User
    third_reviewer: User
    other_supplier_user: User


@pytest.fixture
def sharing(db: Any, make: Any, make_response: Any) -> Sharing:  # noqa: F811
    source = make.default_buyer
    source.name = SOURCE
    receiver = make.buyer(name=RECEIVER)
    third = make.buyer(name=THIRD)
    supplier = make.supplier(name="Delt Arbeidsklær AS")
    user = make.user(role="supplier", supplier=supplier, email="leverandor@delt.example")
    source_agreement = make.agreement(suppliers=[supplier], reference="KK-1")
    receiver_agreement = make.agreement(suppliers=[supplier], buyer=receiver, reference="MK-1",
                                        name_nb="Mottakers arbeidstøy")
    make.agreement(buyer=third, reference="TK-1")  # the third buyer: another supplier only
    response = make_response(supplier, agreement=source_agreement)
    sections = sections_of(response)
    for qid, value in sample_answers(sections).items():
        response.answers.append(Answer(question_id=qid, value=value, updated_by=user))
    evidence = EvidenceFile(question_id="B1", part_id="file", original_name="policy.pdf",
                            stored_name=make.stored_file().key, size=15, sha256="0" * 64,
                            mimetype="application/pdf", uploaded_by=user)
    response.files.append(evidence)
    db.session.flush()
    responses.submit_response(response, sections, actor=user, locale="nb",
                              declaration=declaration_by(user), today=clock.today())
    source_reviewer = make.user(role="reviewer", buyer=source)
    db.session.add(Deviation(supplier_id=supplier.id, agreement_id=source_agreement.id,
                             response_id=response.id, type="WAGES", detected_date=clock.today(),
                             status="NOTIFIED", description=SOURCE_DEVIATION,
                             internal_note=SOURCE_NOTE))
    db.session.add(QuestionReview(response_id=response.id, question_id="B1", verdict="not_met",
                                  comment_to_supplier=SOURCE_COMMENT, internal_note=SOURCE_NOTE,
                                  updated_by_id=source_reviewer.id))
    world = Sharing(
        source=source, receiver=receiver, third=third, supplier=supplier, supplier_user=user,
        response=response, source_agreement=source_agreement,
        receiver_agreement=receiver_agreement, evidence=evidence,
        source_reviewer=source_reviewer,
        receiver_reviewer=make.user(role="reviewer", buyer=receiver),
        third_reviewer=make.user(role="reviewer", buyer=third),
        other_supplier_user=make.user(role="supplier", email="leverandor@annen.example"),
    )
    db.session.commit()
    return world
