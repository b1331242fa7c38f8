"""Warnings that name their rows, and the three checks of issue 16, counted by hand on the
``town`` of conftest (2025):

* activity outside its agreement's period: A3 ended 30.6.2025; S2's document review on
  15.8.2025 is after it (A4's site audit is on an agreement not active in 2025: that is the
  other warning) — 1;
* deviation found by a method with no matching activity: every 2025 deviation was found by
  self-assessment (SAQ, the default); S1's has S1's reviewed questionnaire of 10.4.2025, S2's
  WAGES has only a document review, S6's P-DOC only a questionnaire of 1.1.2026 — 2;
* submissions unreviewed for more than 60 days: S4's response on A1, submitted 1.5.2025 and
  still "submitted" — 1 (S1's, resubmitted ten days ago, has not waited long enough).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from portal import clock
from portal.reports import queries, records
from portal.tenancy import scope_to
from tests.auth.helpers import markup, text
from tests.reports.conftest import YEAR, add_activity, add_response

TODAY = clock.today()


def _age_submissions(db, town):
    town.response(town.s4, town.a1).submitted_at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    recent = town.response(town.s1, town.a2)
    recent.status = "resubmitted"
    recent.submitted_at = datetime.now(UTC) - timedelta(days=10)
    db.session.commit()


def _codes(report):
    return {w.code: w.numbers for w in report.warnings}


def test_the_three_new_checks_count_by_hand(town, db):
    _age_submissions(db, town)

    codes = _codes(queries.year_report(YEAR, TODAY, unreviewed_days=60))

    assert codes["activity_outside_agreement"] == {"activities": 1}
    assert codes["deviation_without_activity"] == {"deviations": 2}
    assert codes["unreviewed_submissions"] == {"responses": 1, "days": 60}


def test_the_days_are_a_setting(app, town, db):
    _age_submissions(db, town)
    # 1.5.2025 is more than 60 days ago but not more than 10 000.
    app.config["REPORT_UNREVIEWED_DAYS"] = 10_000

    assert "unreviewed_submissions" not in _codes(queries.year_report(YEAR, TODAY))


def test_each_warning_lists_exactly_the_records_it_counts(town, db):
    _age_submissions(db, town)
    report = queries.year_report(YEAR, TODAY, unreviewed_days=60)

    def listed(code):
        rows, total = records.records(code, YEAR, TODAY, 60)
        assert total == len(rows)
        return [(r.day, r.supplier, r.agreement, r.code) for r in rows]

    for warning in report.warnings:
        if warning.code in records.CODES:
            assert len(listed(warning.code)) == next(iter(warning.numbers.values())), warning.code
    assert listed("activity_outside_agreement") == [
        (date(2025, 8, 15), town.s2.name, "LK-A3", "document_review")]
    assert listed("activities_not_counted") == [(date(2025, 3, 1), town.s3.name, "LK-A4", "site_audit")]
    assert listed("deviation_without_activity") == [
        (date(2025, 5, 10), town.s6.name, "LK-A5", "P-DOC"),
        (date(2025, 6, 1), town.s2.name, "LK-A3", "WAGES")]
    assert listed("proposed_unconfirmed") == [(date(2025, 7, 7), town.s4.name, "LK-A1", "FORCED")]
    assert listed("unanswered_without_pdoc") == [(date(2025, 5, 1), town.s5.name, "LK-A5", "not_started")]
    assert listed("unreviewed_submissions") == [(date(2025, 5, 1), town.s4.name, "LK-A1", "submitted")]
    # Recording the missing activity settles S2's deviation.
    add_activity(db, "questionnaire_reviewed", date(2025, 7, 1), town.a3, town.s2, town.reviewer)
    assert _codes(queries.year_report(YEAR, TODAY))["deviation_without_activity"] == {"deviations": 1}


def test_another_buyers_records_are_neither_counted_nor_listed(town, db, make):
    other = make.buyer(name="Annen kommune")
    theirs = make.supplier(name="Fremmed AS", buyer=other)
    agreement = make.agreement(suppliers=[theirs], buyer=other, reference="AK-1",
                               start_date=date(2025, 6, 1), end_date=None)
    add_activity(db, "site_audit", date(2025, 2, 1), agreement, theirs, None)
    round_ = add_response(db, town.round_2025, agreement, theirs, "submitted")
    round_.submitted_at = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.commit()
    scope_to(db.session(), town.reviewer.buyer_id)
    try:
        codes = _codes(queries.year_report(YEAR, TODAY, unreviewed_days=60))
        assert codes["activity_outside_agreement"] == {"activities": 1}
        assert "unreviewed_submissions" not in codes
        rows, _total = records.records("activity_outside_agreement", YEAR, TODAY, 60)
        assert [r.supplier for r in rows] == [town.s2.name]
    finally:
        scope_to(db.session(), None)


def test_the_page_links_each_warning_to_its_records(client, town, login_as):
    login_as("reviewer", locale="en")

    page = markup(client.get(f"/reports?year={YEAR}&live=1"))

    assert f'href="/reports/{YEAR}/warnings/activity_outside_agreement">Which ones?</a>' in page
    listing = client.get(f"/reports/{YEAR}/warnings/activity_outside_agreement")
    assert listing.status_code == 200
    body = text(listing)
    assert "1 follow-up activity of the year is dated outside its agreement's period" in body
    assert town.s2.name in body
    assert 'href="/review/activities/' in markup(listing)
    assert client.get(f"/reports/{YEAR}/warnings/no_such_check").status_code == 404
    assert client.get("/reports/1999/warnings/proposed_unconfirmed").status_code == 404
