"""Copying from any earlier submission of the supplier's own organisation (issue 14, part 5):
chosen from a list that shows each one's source, previewed, confirmed; the source stays shown
at each copied answer until it is confirmed, one question at a time or a whole part at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale, ngettext

from portal import clock
from portal.models import Answer, AuditEvent, FollowUpRound, Response, Submission
from tests.auth.helpers import text, tr
from tests.conftest import csrf_token

B2 = {"answer": ["own_operations", "first_tier"]}
B4 = {"answer": "Rutinen for aktsomhet, vedtatt av styret."}
C1 = {"answer": "yes", "date": "2025-02-26"}
DECLARATION = {"confirm": {"confirmed": "yes", "name": "Ola Tidligere", "title": "Daglig leder",
                           "date": "2025-09-20"}}


def _submit(db, response, user, answers, *, when, number=1):
    """A submission of ``response`` made at ``when``."""
    submission = Submission(response=response, number=number, answers=answers, files=[], submitted_by=user,
                            submitted_at=when)
    response.status = "submitted"
    db.session.add(submission)
    db.session.flush()
    return submission


def _response_at(db, make, supplier, buyer, *, year=2025, name="Arbeidsklær"):
    """A response of ``supplier`` on a new agreement of ``buyer``, in that buyer's round of ``year``."""
    agreement = make.agreement(suppliers=[supplier], buyer=buyer, name_nb=name, name_en=name)
    round_ = db.session.query(FollowUpRound).filter_by(buyer_id=buyer.id, year=year).first()
    if round_ is None:
        from tests.responses.conftest import store_shipped_version

        round_ = FollowUpRound(buyer=buyer, year=year, name_nb=f"Oppfølging {buyer.name}",
                               name_en=f"Follow-up {buyer.name}", questionnaire_version=store_shipped_version(db),
                               deadline=clock.today() + timedelta(days=30))
        db.session.add(round_)
    response = Response(round=round_, agreement=agreement, supplier=supplier, deadline=round_.deadline)
    db.session.add(response)
    db.session.flush()
    return response


def _copy(client, response, submission_id):
    """Press "Copy" on the preview of ``submission_id`` (the token from any page: staff have no preview)."""
    return client.post(f"/responses/{response.id}/copy",
                       data={"csrf_token": csrf_token(client, "/accessibility"), "submission": str(submission_id)})


def _answers(db, response_id):
    db.session.expire_all()
    return {a.question_id: a for a in db.session.query(Answer).filter_by(response_id=response_id)}


def _ntr(singular, plural, num):
    with force_locale("nb"):
        return ngettext(singular, plural, num)


def _now(hours_ago=0):
    return datetime.now(UTC) - timedelta(hours=hours_ago)


def test_a_submission_of_the_same_round_an_hour_ago_is_offered_first_and_copied(client, make, db, login_as):
    """The complaint of issue 14: agreement 1 submitted an hour ago, agreement 2 got last year's answers."""
    user = login_as("supplier")
    buyer = make.default_buyer
    last_year = _response_at(db, make, user.supplier, buyer, year=2024, name="Arbeidsklær 2024")
    first = _response_at(db, make, user.supplier, buyer, name="Arbeidsklær, avtale 1")
    second = _response_at(db, make, user.supplier, buyer, name="Arbeidsklær, avtale 2")
    old = _submit(db, last_year, user, {"B4": {"answer": "Fjorårets rutine."}}, when=_now(24 * 300))
    recent = _submit(db, first, user, {"B2": B2, "B4": B4, "C1": C1}, when=_now(1))
    db.session.commit()

    page = client.get(f"/responses/{second.id}/copy")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    # Newest first, and the newest is the one chosen unless the supplier picks another.
    assert body.index(f'id="source-{recent.id}"') < body.index(f'id="source-{old.id}"')
    assert f'value="{recent.id}" checked' in body
    assert f'value="{old.id}" checked' not in body
    shown = text(page)
    for expected in ("Arbeidsklær, avtale 1", buyer.name, first.round.name_nb, "(2025)",
                     tr("Submission %(number)s, %(when)s", number=1, when="").strip(", "),
                     first.round.questionnaire_version.version,
                     _ntr("%(num)s answer fits the questions of this response",
                          "%(num)s answers fit the questions of this response", 3)):
        assert expected in shown, expected
    assert "Arbeidsklær, avtale 2" not in shown.split(tr("Submission to copy from"), 1)[1]  # not its own

    preview = client.get(f"/responses/{second.id}/copy/preview?submission={recent.id}")
    assert preview.status_code == 200
    filled = preview.get_data(as_text=True).split('id="fill-heading"', 1)[1]
    assert all(f'<span class="question__id">{q}</span>' in filled for q in ("B2", "B4", "C1"))
    assert f'name="submission" value="{recent.id}"' in filled
    assert _answers(db, second.id) == {}  # a preview changes nothing

    assert _copy(client, second, recent.id).status_code == 302

    stored = _answers(db, second.id)
    assert {q: a.value for q, a in stored.items()} == {"B2": B2, "B4": B4, "C1": C1}
    assert all(a.is_copied for a in stored.values())
    assert {a.copied_from_submission_id for a in stored.values()} == {recent.id}
    event = db.session.query(AuditEvent).filter_by(action="answers.copied", object_id=second.id).one()
    assert event.after["submission_id"] == recent.id


def test_answers_submitted_to_another_buyer_can_be_copied(client, make, db, login_as):
    user = login_as("supplier")
    elsewhere = make.buyer(name="Fjordvik kommune")
    theirs = _response_at(db, make, user.supplier, elsewhere, name="Fjordviks arbeidsklær")
    ours = _response_at(db, make, user.supplier, make.default_buyer)
    source = _submit(db, theirs, user, {"B4": B4}, when=_now(2))
    db.session.commit()

    listing = text(client.get(f"/responses/{ours.id}/copy"))
    assert "Fjordvik kommune" in listing
    assert "Fjordviks arbeidsklær" in listing

    assert _copy(client, ours, source.id).status_code == 302
    assert _answers(db, ours.id)["B4"].value == B4


def test_the_source_is_shown_at_each_copied_answer_and_to_staff_only_when_it_is_their_own(
    client, make, db, login_as
):
    user = login_as("supplier")
    elsewhere = make.buyer(name="Fjordvik kommune")
    theirs = _response_at(db, make, user.supplier, elsewhere, name="Fjordviks arbeidsklær")
    ours = _response_at(db, make, user.supplier, make.default_buyer)
    source = _submit(db, theirs, user, {"B4": B4}, when=_now(2))
    db.session.commit()
    _copy(client, ours, source.id)

    page = text(client.get(f"/responses/{ours.id}/sections/B"))

    prefix = tr("Copied from: %(source)s", source="")
    assert f"{prefix}Fjordvik kommune, {theirs.round.name_nb} (2025), Fjordviks arbeidsklær, " in page
    assert tr("Copied – not yet confirmed") in page

    # The buyer of this response reads it; another buyer's agreement with the supplier is not theirs to see.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    login_as("reviewer")
    staff_page = text(client.get(f"/responses/{ours.id}/sections/B"))
    assert "Fjordvik" not in staff_page
    assert tr("Copied from an earlier submission.") in staff_page


def test_another_suppliers_submission_cannot_be_previewed_or_copied(client, make, db, login_as):
    user = login_as("supplier")
    ours = _response_at(db, make, user.supplier, make.default_buyer)
    other = make.supplier(name="Konkurrent AS")
    theirs = _response_at(db, make, other, make.default_buyer, name="Konkurrentens avtale")
    foreign = _submit(db, theirs, make.user(role="supplier", supplier=other), {"B4": {"answer": "Hemmelig"}},
                      when=_now(1))
    own = _submit(db, ours, user, {"B4": B4}, when=_now(1))  # this response's own submission
    ours.status = "returned"
    db.session.commit()

    assert "Konkurrent" not in text(client.get(f"/responses/{ours.id}/copy"))
    for submission in (foreign, own):
        assert client.get(f"/responses/{ours.id}/copy/preview?submission={submission.id}").status_code == 404
        assert _copy(client, ours, submission.id).status_code == 404
    assert {a.question_id: a.value for a in _answers(db, ours.id).values()} == {}

    # Nothing chosen, or nonsense: a message and the list again.
    reply = client.post(f"/responses/{ours.id}/copy", data={"csrf_token": csrf_token(client, "/accessibility"),
                                                             "submission": "abc"})
    assert reply.status_code == 302
    assert reply.location.endswith(f"/responses/{ours.id}/copy")
    assert tr("Choose the submission to copy from.") in text(client.get(reply.location))


def test_the_declaration_is_never_copied_and_the_preview_says_so(client, make, db, login_as):
    user = login_as("supplier")
    first = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 1")
    second = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 2")
    source = _submit(db, first, user, {"B4": B4, "I1": DECLARATION}, when=_now(1))
    db.session.commit()

    preview = text(client.get(f"/responses/{second.id}/copy/preview?submission={source.id}"))
    assert tr("The declaration (%(questions)s) is never copied: you give it yourself when you submit.",
              questions="I1") in preview
    _copy(client, second, source.id)

    stored = _answers(db, second.id)
    assert "I1" not in stored
    assert "B4" in stored
    assert "Ola Tidligere" not in client.get(f"/responses/{second.id}/submit").get_data(as_text=True)


def test_answers_already_given_are_kept(client, make, db, login_as):
    user = login_as("supplier")
    first = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 1")
    second = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 2")
    source = _submit(db, first, user, {"B2": B2, "B4": B4}, when=_now(1))
    mine = {"answer": "Vår egen, nyere rutine."}
    second.answers.append(Answer(question_id="B4", value=mine, updated_by=user))
    db.session.commit()

    preview = client.get(f"/responses/{second.id}/copy/preview?submission={source.id}").get_data(as_text=True)
    kept = preview.split('id="kept-heading"', 1)[1]
    assert '<span class="question__id">B4</span>' in kept
    assert '<span class="question__id">B4</span>' not in preview.split('id="fill-heading"', 1)[1].split(
        'id="kept-heading"', 1)[0]

    _copy(client, second, source.id)

    stored = _answers(db, second.id)
    assert stored["B4"].value == mine
    assert not stored["B4"].is_copied
    assert stored["B2"].value == B2
    assert stored["B2"].is_copied


def test_a_whole_part_is_confirmed_at_once_with_the_earlier_values_shown(client, make, db, login_as):
    user = login_as("supplier")
    first = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 1")
    second = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 2")
    source = _submit(db, first, user, {"B2": B2, "B4": B4, "C1": C1}, when=_now(1))
    db.session.commit()
    _copy(client, second, source.id)
    path = f"/responses/{second.id}/sections/B"

    page = client.get(path).get_data(as_text=True)

    panel = page.split('class="copied-part"', 1)[1].split("</section>", 1)[0]
    assert B4["answer"] in panel  # the earlier value, read-only
    assert 'name="action" value="confirm_copies"' in panel
    assert tr("Everything in this part is still correct") in panel
    assert "<fieldset" not in panel
    assert 'type="checkbox"' not in panel  # not an answer option

    stored = _answers(db, second.id)
    reply = client.post(path, data={
        "csrf_token": csrf_token(client, path), "action": "confirm_copies",
        "present-B2": "1", "rev-B2": str(stored["B2"].revision), "q-B2-answer": B2["answer"],
        "present-B4": "1", "rev-B4": str(stored["B4"].revision), "q-B4-answer": B4["answer"],
    })

    assert reply.status_code == 302
    stored = _answers(db, second.id)
    assert not stored["B2"].is_copied
    assert not stored["B4"].is_copied
    assert stored["B4"].value == B4
    assert stored["C1"].is_copied  # another part: still to be checked
    event = db.session.query(AuditEvent).filter_by(action="answers.section_confirmed", object_id=second.id).one()
    assert event.field == "B"
    assert event.after == {"questions": ["B2", "B4"]}
    assert 'class="copied-part"' not in client.get(path).get_data(as_text=True)


def test_confirming_a_part_saves_a_changed_answer_as_changed(client, make, db, login_as):
    user = login_as("supplier")
    first = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 1")
    second = _response_at(db, make, user.supplier, make.default_buyer, name="Avtale 2")
    source = _submit(db, first, user, {"B2": B2, "B4": B4}, when=_now(1))
    db.session.commit()
    _copy(client, second, source.id)
    path = f"/responses/{second.id}/sections/B"
    stored = _answers(db, second.id)

    client.post(path, data={
        "csrf_token": csrf_token(client, path), "action": "confirm_copies",
        "present-B2": "1", "rev-B2": str(stored["B2"].revision), "q-B2-answer": B2["answer"],
        "present-B4": "1", "rev-B4": str(stored["B4"].revision), "q-B4-answer": "Endret i år.",
    })

    stored = _answers(db, second.id)
    assert stored["B4"].value == {"answer": "Endret i år."}
    assert not stored["B4"].is_copied
    assert stored["B4"].copied_from_submission_id is None
    assert not stored["B2"].is_copied
    assert stored["B2"].copied_from_submission_id == source.id
    event = db.session.query(AuditEvent).filter_by(action="answers.section_confirmed", object_id=second.id).one()
    assert event.after == {"questions": ["B2"]}


def test_staff_cannot_copy_and_a_submitted_response_takes_no_copy(client, make, db, login_as):
    supplier_user = make.user(role="supplier")
    first = _response_at(db, make, supplier_user.supplier, make.default_buyer, name="Avtale 1")
    second = _response_at(db, make, supplier_user.supplier, make.default_buyer, name="Avtale 2")
    source = _submit(db, first, supplier_user, {"B4": B4}, when=_now(1))
    db.session.commit()

    login_as("reviewer")
    assert client.get(f"/responses/{second.id}/copy").status_code == 403
    assert client.get(f"/responses/{second.id}/copy/preview?submission={source.id}").status_code == 403
    assert _copy(client, second, source.id).status_code == 403

    second.status = "submitted"
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accessibility")})
    from tests.conftest import login

    login(client, supplier_user.email)
    reply = _copy(client, second, source.id)
    assert reply.status_code == 302
    assert reply.location.endswith(f"/responses/{second.id}")
    assert _answers(db, second.id) == {}
