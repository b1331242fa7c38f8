"""Fixtures for the review: submitted responses, resubmissions and a query counter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from portal import clock
from portal.models import Answer, Response, User
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.responses import services as responses
from portal.review import services as review
from tests.responses.conftest import make_response, version  # noqa: F401 - fixtures used here

__all__ = ["make_response", "version"]


def declaration_by(user: User) -> dict[str, Any]:
    """The declaration (I1) as the submitting user gives it on the check page."""
    return {"I1": {"confirm": {"confirmed": "yes", "name": user.display_name, "title": "Daglig leder"}}}


def sections_of(response: Response) -> Any:
    definition = engine.definition_of(response.round.questionnaire_version)
    return engine.sections_for_agreement(definition, response.agreement)


@pytest.fixture
def submitted(db: Any, make: Any, make_response: Any) -> Callable[..., Response]:
    """A response filled with sample answers (with overrides) and submitted by a supplier user."""

    def _submitted(supplier: Any = None, *, answers: dict[str, Any] | None = None,
                   user: User | None = None, **kwargs: Any) -> Response:
        supplier = supplier or (user.supplier if user else make.supplier())
        user = user or make.user(role="supplier", supplier=supplier)
        response = make_response(supplier, **kwargs)
        sections = sections_of(response)
        values = sample_answers(sections)
        values.update(answers or {})
        for question_id, value in values.items():
            response.answers.append(Answer(question_id=question_id, value=value, updated_by=user))
        db.session.flush()
        submission = responses.submit_response(response, sections, actor=user, locale="nb",
                                               declaration=declaration_by(user), today=clock.today())
        review.record_submission(response, submission, actor=user, today=clock.today())
        db.session.commit()
        return response

    return _submitted


@pytest.fixture
def resubmit(db: Any) -> Callable[..., Any]:
    """What the supplier's submit route does after a return: save the reopened answers, submit."""

    def _resubmit(response: Response, user: User, changes: dict[str, dict[str, Any]]) -> Any:
        db.session.expire_all()  # the return may have happened in another session
        result = responses.save_answers(response, changes, {}, set(), actor=user)
        assert not result.conflicts
        submission = responses.submit_response(response, sections_of(response), actor=user,
                                               locale=user.locale, declaration=declaration_by(user),
                                               today=clock.today())
        review.record_submission(response, submission, actor=user, today=clock.today())
        db.session.commit()
        return submission

    return _resubmit

