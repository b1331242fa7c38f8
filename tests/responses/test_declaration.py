"""Copying last year's answers and the declaration: the declaration is never copied, it is given
with each submission and dated by the server, and copied answers must be confirmed first."""

from __future__ import annotations

import re
import subprocess

import pytest
from babel.dates import format_date

from portal import clock
from portal.models import Answer, Response, Submission
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.responses import services
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token

LAST_YEAR_DECLARATION = {"confirm": {"confirmed": "yes", "name": "Ola Fjorår", "title": "Tidligere leder",
                                     "date": "2024-09-20"}}


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext reads it, whitespace collapsed."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)  # noqa: S603, S607
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def _sections(response):
    definition = engine.definition_of(response.round.questionnaire_version)
    return engine.sections_for_agreement(definition, response.agreement)


def _last_year_and_this_year(make_response, db, user):
    """Last year's full submission (declaration included) and this year's empty response."""
    old = make_response(user.supplier, year=2024, status="accepted", variant="simplified")
    answers = sample_answers(_sections(old))
    answers["I1"] = LAST_YEAR_DECLARATION
    db.session.add(Submission(response=old, number=1, answers=answers, files=[], submitted_by=user))
    new = make_response(user.supplier, year=2025, agreement=old.agreement)
    db.session.commit()
    return old, new


def _copy(client, response):
    source = _only_source(response)
    path = f"/responses/{response.id}/copy/preview?submission={source.id}"
    return client.post(f"/responses/{response.id}/copy",
                       data={"csrf_token": csrf_token(client, path), "submission": source.id})


def _only_source(response):
    sources = services.copy_sources(response, _sections(response))
    assert len(sources) == 1
    return sources[0].submission


def _declare(client, response, **extra):
    path = f"/responses/{response.id}/submit"
    data = {"csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
            "q-I1-confirm-name": "Kari Nå", "q-I1-confirm-title": "Daglig leder"}
    data.update(extra)
    return client.post(path, data=data)


def _stored(db, response_id):
    db.session.expire_all()
    return {a.question_id: a for a in db.session.query(Answer).filter_by(response_id=response_id)}


def test_copying_never_copies_the_declaration(client, make_response, db, login_as):
    user = login_as("supplier")
    _old, new = _last_year_and_this_year(make_response, db, user)

    assert _copy(client, new).status_code == 302

    stored = _stored(db, new.id)
    assert "I1" not in stored
    assert stored["B3"].is_copied
    page = client.get(f"/responses/{new.id}/submit").get_data(as_text=True)
    assert "Ola Fjorår" not in page
    assert "checked" not in page.split('id="q-I1-confirm"', 1)[1].split(">", 1)[0]


def test_copied_answers_block_submission_and_are_listed_with_links(client, make_response, db, login_as):
    user = login_as("supplier")
    _old, new = _last_year_and_this_year(make_response, db, user)
    _copy(client, new)
    stored = _stored(db, new.id)
    for question_id, answer in stored.items():
        answer.is_copied = question_id in ("B3", "C1")  # the others confirmed already
    db.session.commit()

    page = client.get(f"/responses/{new.id}/submit")

    body = page.get_data(as_text=True)
    assert f'href="/responses/{new.id}/sections/B#q-B3"' in body
    assert f'href="/responses/{new.id}/sections/C#q-C1"' in body
    assert tr("copied, not yet confirmed") in text(page)

    refused = _declare(client, new)

    assert refused.status_code == 422
    assert tr("Copied answers not yet confirmed") in text(refused)
    stored = _stored(db, new.id)
    assert stored["B3"].is_copied  # a refused submission clears no mark
    assert stored["C1"].is_copied
    assert db.session.get(Response, new.id).submissions == []

    # Change one on its section page, confirm the other: then the submission goes through.
    section = f"/responses/{new.id}/sections/B"
    client.post(section, data={"csrf_token": csrf_token(client, section), "present-B3": "1",
                               "rev-B3": str(stored["B3"].revision), "q-B3-answer": "yes_some"})
    section = f"/responses/{new.id}/sections/C"
    client.post(section, data={"csrf_token": csrf_token(client, section), "present-C1": "1",
                               "rev-C1": str(stored["C1"].revision), "confirm-C1": "1",
                               "q-C1-answer": stored["C1"].value["answer"],
                               "q-C1-date": stored["C1"].value["date"]})
    assert not any(a.is_copied for a in _stored(db, new.id).values())

    assert _declare(client, new).status_code == 302
    assert db.session.get(Response, new.id).status == "submitted"


def test_submitting_never_clears_copy_marks(make_response, db, make):
    user = make.user(role="supplier")
    _old, new = _last_year_and_this_year(make_response, db, user)
    sections = _sections(new)
    services.copy_answers(new, services.plan_copy(new, _only_source(new), sections, actor=user), actor=user)
    db.session.flush()
    declaration = {"I1": {"confirm": {"confirmed": "yes", "name": "Kari Nå", "title": "Daglig leder"}}}

    with pytest.raises(services.ResponseStateError):
        services.submit_response(new, sections, actor=user, locale="nb", declaration=declaration,
                                 today=clock.today())

    assert all(a.is_copied for a in new.answers)
    assert new.submissions == []


def test_the_declaration_is_given_with_the_submission_and_dated_today(client, make_response, db, login_as,
                                                                      sent_mail):
    user = login_as("supplier")
    user.name, user.job_title = "Kari Nå", ""  # no title in the profile: it is asked for
    response = make_response(user.supplier, variant="simplified")
    for question_id, value in sample_answers(_sections(response)).items():
        db.session.add(Answer(response=response, question_id=question_id, updated_by=user,
                              value=LAST_YEAR_DECLARATION if question_id == "I1" else value))
    db.session.commit()

    # A stored tick is not a declaration: the check page shows the box empty, and a submission
    # without the tick is refused with a message at the box.
    page = client.get(f"/responses/{response.id}/submit").get_data(as_text=True)
    assert "checked" not in page.split('id="q-I1-confirm"', 1)[1].split(">", 1)[0]
    refused = _declare(client, response, **{"q-I1-confirm-confirmed": ""})
    assert refused.status_code == 422
    assert tr("Tick the box to give the declaration") in text(refused)
    assert _stored(db, response.id)["I1"].value["confirm"]["confirmed"] == ""

    reply = _declare(client, response, **{"q-I1-confirm-date": "2024-09-20"})

    assert reply.status_code == 302
    submission = db.session.get(Response, response.id).submissions[0]
    declared = submission.answers["I1"]["confirm"]
    assert declared == {"confirmed": "yes", "name": "Kari Nå", "title": "Daglig leder",
                        "date": clock.today().isoformat()}
    receipt = pdf_text(client.get(f"/responses/{response.id}/submissions/1/receipt.pdf").data)
    assert tr("Confirmed by %(name)s, %(title)s", name="Kari Nå", title="Daglig leder") in receipt
    assert format_date(clock.today(), "long", locale="nb") in receipt
    assert "2024" not in receipt


def test_the_section_page_does_not_take_the_declaration(client, make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    path = f"/responses/{response.id}/sections/I"

    page = client.get(path)

    assert 'name="q-I1-confirm-confirmed"' not in page.get_data(as_text=True)
    assert f'href="/responses/{response.id}/submit"' in page.get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_token(client, path), "present-I1": "1",
                            "q-I1-confirm-confirmed": "yes", "q-I1-confirm-name": "Kari",
                            "q-I1-confirm-title": "Leder"})
    assert "I1" not in _stored(db, response.id)


def test_the_declaration_is_signed_with_the_profile_not_typed(client, make_response, db, login_as, sent_mail):
    user = login_as("supplier")
    user.name, user.job_title = "Kari Nå", "Daglig leder"
    response = make_response(user.supplier, variant="simplified")
    for question_id, value in sample_answers(_sections(response)).items():
        if question_id != "I1":
            db.session.add(Answer(response=response, question_id=question_id, updated_by=user, value=value))
    db.session.commit()

    page = client.get(f"/responses/{response.id}/submit").get_data(as_text=True)
    assert 'name="q-I1-confirm-name"' not in page
    assert 'name="q-I1-confirm-title"' not in page
    assert 'name="q-I1-confirm-date"' not in page
    assert "Kari Nå" in page
    assert "Daglig leder" in page
    assert format_date(clock.today(), "long", locale="nb") in page

    # A name posted by hand is not the signature: the profile's is.
    reply = _declare(client, response, **{"q-I1-confirm-name": "Noen Andre", "q-I1-confirm-date": "2020-01-01"})
    assert reply.status_code == 302
    declared = db.session.get(Response, response.id).submissions[0].answers["I1"]["confirm"]
    assert declared == {"confirmed": "yes", "name": "Kari Nå", "title": "Daglig leder",
                        "date": clock.today().isoformat()}
