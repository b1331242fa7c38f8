"""The review page's changes when the previous submission answers another questionnaire version
(issue 14, part 8): a response submitted once is compared with the supplier's submission on the
same agreement in the earlier round, through the versions' mapping; questions new in this version
are shown as new, and the questions the earlier version dropped are listed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale, ngettext

from portal import clock
from portal.models import FollowUpRound, Response, Submission
from tests.auth.helpers import markup, text, tr
from tests.questionnaires.renumbered import DFO_2026, store_version

EARLIER = {
    "B2": {"answer": ["own_operations", "first_tier"]},
    "B3": {"answer": "yes_all"},
    "B4": {"answer": "Styret får en rapport hvert år."},
    "B5": {"trained": "4", "total": "10"},
    "C1": {"answer": "yes", "date": "2026-02-26"},
}
NOW = {
    "B2": {"answer": "yes_all"},  # the earlier B3, unchanged
    "B3": {"answer": ["own_operations", "first_tier", "further_tiers"]},  # the earlier B2, one more tier
    "B4": {"answer": "Daglig leder."},  # new in 2099.1
    "B5": {"answer": "Styret får en rapport hvert kvartal."},  # the earlier B4, reworded
    "C1": {"answer": "yes", "date": "2026-02-26"},
}


def _submitted(db, make, supplier, user, agreement, version, year, answers):
    round_ = FollowUpRound(buyer_id=agreement.buyer_id, year=year, name_nb=f"Oppfølging {year}",
                           name_en=f"Follow-up {year}", questionnaire_version=version,
                           deadline=clock.today() + timedelta(days=30))
    when = datetime.now(UTC) - timedelta(days=2027 - year)
    response = Response(round=round_, agreement=agreement, supplier=supplier, deadline=round_.deadline,
                        status="submitted", submitted_at=when, submitted_by=user)
    response.submissions.append(Submission(number=1, answers=answers, files=[], submitted_by=user,
                                           submitted_at=when, locale="nb"))
    db.session.add_all([round_, response])
    db.session.flush()
    return response


def _setup(db, make, *, earlier_version=None):
    user = make.user(role="supplier")
    agreement = make.agreement(suppliers=[user.supplier])
    _submitted(db, make, user.supplier, user, agreement, earlier_version or store_version(db, DFO_2026), 2026,
               EARLIER)
    response = _submitted(db, make, user.supplier, user, agreement, store_version(db), 2027, NOW)
    db.session.commit()
    return response


def _question(html, question_id):
    return html.split(f'id="q-{question_id}"', 1)[1].split('<section class="question review-question"', 1)[0]


def test_the_first_submission_is_compared_with_the_earlier_rounds_through_the_mapping(
        client, db, make, login_as):
    response = _setup(db, make)
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}")

    assert page.status_code == 200
    html = markup(page)
    changed = tr("Changed since the submission for %(year)s", year=2026)
    # B3 is compared with the earlier B2 (one tier added), B5 with the earlier B4 (reworded).
    assert changed in _question(html, "B3")
    assert tr("Earlier %(question)s", question="B2") in _question(html, "B3")
    assert re.search(r"<ins><span class=\"ds-sr-only\">[^<]*</span>kvartal\.</ins>", _question(html, "B5"))
    assert tr("Earlier %(question)s", question="B4") in _question(html, "B5")
    # B2 holds the earlier B3's answer unchanged; C1 is the same question with the same answer.
    assert changed not in _question(html, "B2")
    assert changed not in _question(html, "C1")
    # B4 is new in this version: shown as new, not compared with the earlier B4.
    assert tr("New in this version of the questionnaire") in _question(html, "B4")
    assert changed not in _question(html, "B4")
    # The earlier B5 (trained, total) is listed once as no longer asked.
    dropped = re.findall(r'<ul class="ds-list review-dropped">(.*?)</ul>', html, re.S)
    assert len(dropped) == 1
    assert re.findall(r'<span class="question__id">([A-Z0-9]+)</span>', dropped[0]) == ["B5"]
    with force_locale("nb"):
        listed = ngettext("%(num)s question is new in this version and is shown as new: %(questions)s.",
                          "%(num)s questions are new in this version and are shown as new: %(questions)s.",
                          1, questions="B4")
    assert listed in text(page)


def test_only_changes_lists_the_changed_and_the_new_questions(client, db, make, login_as):
    response = _setup(db, make)
    login_as("reviewer")

    everything = text(client.get(f"/review/responses/{response.id}"))
    with force_locale("nb"):
        link = ngettext("Show only the %(num)s question changed since the submission for %(year)s",
                        "Show only the %(num)s questions changed since the submission for %(year)s", 3, year=2026)
    assert link in everything
    page = client.get(f"/review/responses/{response.id}?changes=only")

    # The declaration I1 is not in either snapshot here, so it is unchanged.
    assert re.findall(r'id="q-([A-Z0-9]+)"', markup(page)) == ["B3", "B4", "B5"]
    assert tr("Only the questions whose answer changed since the submission for %(year)s are shown.",
              year=2026) in text(page)


def test_the_same_version_a_year_earlier_is_compared_question_by_question(client, db, make, login_as):
    """Without renumbering nothing is new or dropped, and each question is compared with its own id."""
    response = _setup(db, make, earlier_version=store_version(db))
    login_as("reviewer")

    html = markup(client.get(f"/review/responses/{response.id}"))

    assert "review-dropped" not in html
    assert tr("New in this version of the questionnaire") not in html
    changed = tr("Changed since the submission for %(year)s", year=2026)
    assert [qid for qid in ("B2", "B3", "B4", "B5", "C1") if changed in _question(html, qid)] == [
        "B2", "B3", "B4", "B5"]


def test_a_second_submission_is_still_compared_with_the_first(client, db, make, login_as):
    response = _setup(db, make)
    user = response.submitted_by
    response.submissions.append(Submission(number=2, answers={**NOW, "B4": {"answer": "Styreleder."}},
                                           files=[], submitted_by=user, submitted_at=datetime.now(UTC),
                                           locale="nb"))
    response.status = "resubmitted"
    db.session.commit()
    login_as("reviewer")

    html = markup(client.get(f"/review/responses/{response.id}"))

    assert tr("Changed since submission %(number)s", number=1) in _question(html, "B4")
    assert "review-dropped" not in html
    assert tr("Changed since the submission for %(year)s", year=2026) not in html
