"""Fixtures for rounds, questionnaire versions, invitations and reminders."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from portal import clock
from portal.models import FollowUpRound, QuestionnaireVersion, User
from portal.rounds import services
from tests.auth.helpers import isolate_requests, location
from tests.conftest import post_form
from tests.factories import Factories


@pytest.fixture(autouse=True)
def _isolated_requests(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request gets its own application context and session, as in production."""
    isolate_requests(app, monkeypatch)


@pytest.fixture
def version(db: Any) -> QuestionnaireVersion:
    """The shipped DFØ questionnaire, stored."""
    stored = services.ensure_shipped_versions()
    db.session.commit()
    return stored[0]


@pytest.fixture
def make_round(db: Any, make: Any, version: QuestionnaireVersion) -> Callable[..., FollowUpRound]:
    def _make_round(deadline: date | None = None, actor: User | None = None, **kwargs: Any) -> FollowUpRound:
        values: dict[str, Any] = {
            "year": 2025,
            "name_nb": "Oppfølging 2025",
            "name_en": "Follow-up 2025",
            "version": version,
            "deadline": deadline or clock.today() + timedelta(days=60),
            "intro_nb": "Velkommen",
            "intro_en": "Welcome",
        }
        values.update(kwargs)
        if actor is None:
            values.setdefault("buyer", make.default_buyer)
        round = services.create_round(actor=actor, **values)
        db.session.commit()
        return round

    return _make_round


@pytest.fixture
def active_agreement(make: Factories) -> Callable[..., Any]:
    """An agreement running today, whatever today is."""

    def _agreement(**kwargs: Any) -> Any:
        values: dict[str, Any] = {
            "start_date": clock.today() - timedelta(days=365),
            "end_date": clock.today() + timedelta(days=365),
        }
        values.update(kwargs)
        return make.agreement(**values)

    return _agreement



MINIMAL_DEFINITION = """\
# A small questionnaire for import tests.
id: {key}
version: "{version}"
title: {{nb: {title}, en: Small questionnaire}}
sections:
  - id: A
    title: {{nb: Del A, en: Part A}}
    questions:
      - id: A1
        simplified: true
        required: true
        text: {{nb: Er det sant, en: Is it true}}
        review: {{}}
        parts:
          - id: answer
            type: yes_no
            required: true
"""


def definition_text(key: str = "small", version: str = "2025.1", title: str = "Lite skjema") -> str:
    return MINIMAL_DEFINITION.format(key=key, version=version, title=title)


BROKEN_DEFINITION = """\
id: small
version: "2025.1"
title: {nb: Lite skjema, en: Small questionnaire}
sections:
  - id: A
    title: {nb: Del A}
    questions: []
"""


def ntr(singular: str, plural: str, num: int, locale: str = "nb", **values: Any) -> str:
    """What an ngettext call shows in ``locale``; needs an application context."""
    from flask_babel import force_locale, ngettext

    with force_locale(locale):
        return ngettext(singular, plural, num, **values)


CONFIRMATION = re.compile(r'name="confirmation" value="([0-9a-f]{64})"')


def choose_agreements(client: Any, round_id: int, data: dict[str, Any], *, bulk: bool = False) -> Any:
    """Post the choice on the round page; answers with the redirect to the preview."""
    path = f"/rounds/{round_id}/agreements" + ("/bulk" if bulk else "")
    return post_form(client, path, data, token_from=f"/rounds/{round_id}")


def confirmation_on(page: str) -> str | None:
    """The fingerprint the preview's confirm button posts, or None when it offers none."""
    match = CONFIRMATION.search(page)
    return match.group(1) if match else None


def add_through_preview(client: Any, round_id: int, data: dict[str, Any], *, bulk: bool = False) -> Any:
    """What an administrator does: choose, read the preview, confirm it."""
    choice = choose_agreements(client, round_id, data, bulk=bulk)
    assert choice.status_code == 302, choice.get_data(as_text=True)[:500]
    preview = client.get(location(choice))
    assert preview.status_code == 200
    token = confirmation_on(preview.get_data(as_text=True))
    assert token is not None, "the preview offers no confirmation"
    path = f"/rounds/{round_id}/agreements" + ("/bulk" if bulk else "")
    return post_form(client, path, {**data, "confirmation": token}, token_from=location(choice))
