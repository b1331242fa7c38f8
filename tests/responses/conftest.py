"""Fixtures for responses: a stored questionnaire version, a round and a response to fill in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from portal import clock
from portal.models import FollowUpRound, QuestionnaireVersion, Response
from portal.questionnaires.definition import load_definition, shipped_definitions


def store_shipped_version(db: Any) -> QuestionnaireVersion:
    path = shipped_definitions()[0]
    definition = load_definition(path)
    version = db.session.query(QuestionnaireVersion).filter_by(content_hash=definition.content_hash).first()
    if version is None:
        version = QuestionnaireVersion(
            key=definition.id, version=definition.version, title_nb=definition.title.nb,
            title_en=definition.title.en, content=definition.source, content_hash=definition.content_hash,
            filename=path.name,
        )
        db.session.add(version)
        db.session.flush()
    return version


@pytest.fixture
def version(db: Any) -> QuestionnaireVersion:
    return store_shipped_version(db)


@pytest.fixture
def make_response(db: Any, make: Any, version: QuestionnaireVersion) -> Any:
    def _make(supplier: Any = None, *, year: int = 2025, status: str = "not_started",
              variant: str = "full", social_dialogue: bool = False, deadline: date | None = None,
              agreement: Any = None) -> Response:
        supplier = supplier or make.supplier()
        agreement = agreement or make.agreement(
            suppliers=[supplier], questionnaire_variant=variant, social_dialogue_required=social_dialogue,
            social_dialogue_wording="Tiltak for sosial dialog" if social_dialogue else "",
        )
        round_ = db.session.query(FollowUpRound).filter_by(year=year).first()
        if round_ is None:
            round_ = FollowUpRound(year=year, name_nb=f"Oppfølging {year}", name_en=f"Follow-up {year}",
                                   questionnaire_version=version, buyer_id=agreement.buyer_id,
                                   deadline=deadline or clock.today() + timedelta(days=30))
            db.session.add(round_)
        response = Response(round=round_, agreement=agreement, supplier=supplier, status=status,
                            deadline=deadline or round_.deadline)
        db.session.add(response)
        db.session.flush()
        return response

    return _make
