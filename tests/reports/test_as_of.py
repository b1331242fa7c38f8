"""A past year's report as of its 31 December (issue 16 part 2), with "as of today" as an option.

The town (tests/reports/conftest.py) has a CHILD deviation found on 5.5.2023 and closed on
1.10.2024 with no status change recorded: on 31.12.2023 it was open, "verifying" (the only
status a deviation is closed OK from).

The scenario: a deviation found on 10.5.2023 on Arbeidstøy (S1), moved to IN_PROGRESS on
1.6.2023 and closed on 1.2.2025. On 31.12.2023 it was in progress ("being remedied"); today it
is closed. A second one, found on 2.10.2023, was NOTIFIED on 5.10.2023 and moved on after the
year, so it is the one that tells "the status of the first change after the day" apart from
"the creation status".
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from portal import clock
from portal.models import DeviationUpdate, FollowUpActivity, ResponseStatus, Submission
from portal.reports import queries
from tests.auth.helpers import text
from tests.reports.conftest import add_activity, add_deviation, add_response, add_round

PAST = 2023
YEAR_END = date(PAST, 12, 31)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _status_change(deviation, before: str, after: str, day: date) -> None:
    deviation.updates.append(DeviationUpdate(kind="status", status_before=before,
                                             status_after=after, created_at=_at(day)))


@pytest.fixture
def history(db, town):
    closed = add_deviation(db, town.s1, town.a1, type="WAGES", tier="T1", country="BD",
                           detected_date=date(PAST, 5, 10), status="CLOSED_OK",
                           deadline=date(PAST, 9, 1), closed_date=date(2025, 2, 1))
    _status_change(closed, "REGISTERED", "IN_PROGRESS", date(PAST, 6, 1))
    _status_change(closed, "IN_PROGRESS", "VERIFYING", date(2024, 11, 1))
    _status_change(closed, "VERIFYING", "CLOSED_OK", date(2025, 2, 1))
    notified = add_deviation(db, town.s1, town.a1, type="HOURS", tier="T2", country="TR",
                             detected_date=date(PAST, 10, 2), status="ESCALATED",
                             deadline=date(2024, 3, 1))
    _status_change(notified, "REGISTERED", "NOTIFIED", date(PAST, 10, 5))
    _status_change(notified, "NOTIFIED", "ESCALATED", date(2024, 4, 2))
    db.session.commit()
    return closed, notified


@pytest.fixture
def reviewer(client, login_as):
    return login_as("reviewer", locale="en")


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))


def test_report_basis_is_year_end_for_past_years_only():
    today = date(2026, 12, 6)
    assert queries.report_basis(2023, today) == date(2023, 12, 31)
    assert queries.report_basis(2025, today) == date(2025, 12, 31)
    assert queries.report_basis(2023, today, as_of_today=True) is None
    # The current year is always as of today, whatever is asked.
    assert queries.report_basis(2026, today) is None


def test_statuses_as_of_31_december_from_the_history(app, history):
    today = clock.today()
    with app.app_context():
        past = queries.year_report(PAST, today, as_of=YEAR_END)
        now = queries.year_report(PAST, today)
    assert [(r.type, r.status, r.ehn_status) for r in past.deviations.detected.rows] == [
        ("CHILD", "VERIFYING", "being_remedied"), ("WAGES", "IN_PROGRESS", "being_remedied"),
        ("HOURS", "NOTIFIED", "not_started")]
    assert [(r.type, r.status, r.ehn_status) for r in now.deviations.detected.rows] == [
        ("CHILD", "CLOSED_OK", "closed"), ("WAGES", "CLOSED_OK", "closed"),
        ("HOURS", "ESCALATED", "escalated")]
    assert [(g.type, g.ehn_status, g.count) for g in past.deviations.detected.groups] == [
        ("CHILD", "being_remedied", 1), ("HOURS", "not_started", 1),
        ("WAGES", "being_remedied", 1)]
    assert past.today == YEAR_END
    assert past.as_of == YEAR_END
    assert now.as_of is None


def test_a_deviation_with_no_recorded_change_keeps_its_status(app, db, town):
    add_deviation(db, town.s1, town.a1, type="DISCR", detected_date=date(PAST, 3, 3),
                  status="AWAITING_CAP")
    db.session.commit()
    with app.app_context():
        past = queries.year_report(PAST, clock.today(), as_of=YEAR_END)
    assert [r.status for r in past.deviations.detected.rows if r.type == "DISCR"] == ["AWAITING_CAP"]


def test_earlier_years_still_open_show_their_status_on_the_day(app, history):
    """In the 2024 report, the 2023 deviations are 'earlier, still open' with their 31.12.2024
    status: CHILD closed (1.10.2024), WAGES verifying (closed in 2025), HOURS escalated."""
    with app.app_context():
        report = queries.year_report(2024, clock.today(), as_of=date(2024, 12, 31))
    assert [(r.type, r.status) for r in report.deviations.earlier_open.rows] == [
        ("CHILD", "CLOSED_OK"), ("WAGES", "VERIFYING"), ("HOURS", "ESCALATED")]


def test_the_page_is_as_of_31_december_by_default_and_as_of_today_on_request(client, history, reviewer):
    default = client.get(f"/reports?year={PAST}")
    assert default.status_code == 200
    body = text(default)
    assert (f"Statuses as of 31 December {PAST}, the end of the reporting year; later changes "
            "are not included.") in body
    assert "Being remedied" in body
    assert "Closed" not in body
    assert "as_of=today" in default.get_data(as_text=True)  # the toggle

    today = client.get(f"/reports?year={PAST}&as_of=today")
    assert today.status_code == 200
    body = text(today)
    assert "Statuses as of today." in body
    assert "Closed" in body
    assert "Being remedied" not in body
    # The downloads of the page follow its basis.
    assert f"/reports/{PAST}.json?as_of=today" in today.get_data(as_text=True)


def test_a_bad_as_of_value_is_a_message_not_an_error(client, history, reviewer):
    page = client.get(f"/reports?year={PAST}&as_of=yesterday")
    assert page.status_code == 200
    body = text(page)
    assert ("The report can be shown as of the end of the year or as of today; the value "
            "given is neither, so it is shown as of the end of the year.") in body
    assert "Being remedied" in body
    for url in (f"/reports/{PAST}.json?as_of=31.12.2023", f"/reports/{PAST}/4a3.csv?as_of=1999-01-01",
                f"/reports/{PAST}.xlsx?as_of=" + "x" * 300):
        reply = client.get(url)
        assert reply.status_code == 400, url
        assert "Bad request" in text(reply)


def test_the_current_year_is_always_as_of_today(client, db, town, reviewer):
    this_year = clock.today().year
    add_deviation(db, town.s1, town.a1, detected_date=date(this_year, 1, 1))
    db.session.commit()
    body = text(client.get(f"/reports?year={this_year}"))
    assert "Statuses as of today." in body
    assert "as_of=today" not in client.get(f"/reports?year={this_year}").get_data(as_text=True)
    document = client.get(f"/reports/{this_year}.json").get_json()
    assert document["as_of"] == {"date": clock.today().isoformat(), "basis": "today"}


def test_json_and_csv_follow_the_basis(client, history, reviewer):
    document = client.get(f"/reports/{PAST}.json").get_json()
    assert document["as_of"] == {"date": YEAR_END.isoformat(), "basis": "year_end"}
    assert document["status_as_of"] == YEAR_END.isoformat()
    assert [r["status"] for r in document["deviations_4a3"]["rows"]] == [
        "VERIFYING", "IN_PROGRESS", "NOTIFIED"]
    live = client.get(f"/reports/{PAST}.json?as_of=today").get_json()
    assert live["as_of"] == {"date": clock.today().isoformat(), "basis": "today"}
    assert [r["status"] for r in live["deviations_4a3"]["rows"]] == [
        "CLOSED_OK", "CLOSED_OK", "ESCALATED"]

    rows = _csv(client.get(f"/reports/{PAST}/4a3.csv").data)
    assert rows[0][-1] == "Status as of"
    status = rows[0].index("Status")
    assert [(row[status], row[-1]) for row in rows[1:]] == [
        ("Being remedied", YEAR_END.isoformat()), ("Being remedied", YEAR_END.isoformat()),
        ("Identified, not started", YEAR_END.isoformat())]
    rows = _csv(client.get(f"/reports/{PAST}/4a3.csv?as_of=today").data)
    assert [(row[status], row[-1]) for row in rows[1:]] == [
        ("Closed", clock.today().isoformat()), ("Closed", clock.today().isoformat()),
        ("Escalated", clock.today().isoformat())]


def test_the_workbook_names_its_basis(client, history, reviewer):
    reply = client.get(f"/reports/{PAST}.xlsx")
    sheet = load_workbook(io.BytesIO(reply.data), read_only=True)["About"]
    about = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert about["Status as of"].date() == YEAR_END
    assert about["Basis"] == ("Statuses as of 31 December 2023, the end of the reporting year; "
                              "later changes are not included.")


def test_overdue_is_judged_on_the_day(app, db, town, history):
    """A 2023 round due 1.12.2023, answered on 20.12.2023 and accepted in 2025: not answered by
    the deadline either way; on 31.12.2023 submitted, not accepted."""
    round_ = add_round(db, town.version, PAST, date(PAST, 12, 1))
    late = add_response(db, round_, town.a1, town.s1, ResponseStatus.ACCEPTED.value)
    late.accepted_at = _at(date(2025, 1, 15))
    db.session.add(Submission(response=late, number=1, submitted_at=_at(date(PAST, 12, 20)),
                              answers={}, files=[]))
    never = add_response(db, round_, town.a1, town.s4, ResponseStatus.NOT_STARTED.value)
    never.deadline = date(2024, 6, 1)  # extended: not late on 31.12.2023, late today
    db.session.commit()
    with app.app_context():
        past = queries.year_report(PAST, clock.today(), as_of=YEAR_END).follow_up.funnel
        now = queries.year_report(PAST, clock.today()).follow_up.funnel
    assert (past.invited, past.submitted, past.accepted, past.not_answered) == (2, 1, 0, 0)
    assert (now.invited, now.submitted, now.accepted, now.not_answered) == (2, 1, 1, 1)
    assert dict(past.by_status)["submitted"] == 1


def test_a_withdrawn_activity_is_out_of_every_year(app, db, town):
    """Withdrawal corrects a record made in error, so it applies to past years too (the
    published version keeps what was published and lists the correction)."""
    kept = add_activity(db, "status_meeting", date(PAST, 4, 1), town.a1, town.s1, town.reviewer)
    wrong = add_activity(db, "site_audit", date(PAST, 5, 1), town.a3, town.s2, town.reviewer)
    wrong.withdrawn_at = _at(date(2025, 3, 1))
    db.session.commit()
    with app.app_context():
        past = queries.year_report(PAST, clock.today(), as_of=YEAR_END).follow_up
    assert (past.suppliers, past.activities) == (1, 1)
    assert isinstance(kept, FollowUpActivity)
