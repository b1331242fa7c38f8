"""Publishing a year: the report kept as it was sent, its files, its versions, what changed.

The town of ``conftest`` in 2024, counted by hand (statuses as of today):
* 4.A.2: one activity dated 2024 (spot check 31.12.2024 on A1 for S4): 1 supplier,
  1 agreement, 1 activity;
* 4.A.3: two deviations detected in 2024: OHS (notified, open) and HOURS (closed
  1.2.2025); one of the two is closed.
"""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from sqlalchemy import select

from portal import clock
from portal.models import AuditEvent, Deviation, PublishedReport, PublishedReportFile
from portal.reports import publishing
from portal.reports.publishing import Change
from portal.reports.tables import TABLE_KEYS
from tests.auth.helpers import post, text
from tests.reports.conftest import SECRET_SITE, add_activity

YEAR = 2024


def _published(db) -> list[PublishedReport]:
    db.session.expire_all()
    return list(db.session.scalars(select(PublishedReport).order_by(PublishedReport.version)))


def _change_later(db, town) -> None:
    """After publication: the open 2024 deviation is closed, a 2024 meeting with S1 recorded.

    The closure is dated within 2024 (entered late): the 2024 report is as of 31.12.2024, so
    a closure dated after that day would not change it (tests/reports/test_as_of.py)."""
    ohs = db.session.scalar(select(Deviation).where(Deviation.type == "OHS"))
    ohs.status, ohs.closed_date = "CLOSED_OK", date(2024, 12, 28)
    add_activity(db, "status_meeting", date(2024, 6, 1), town.a1, town.s1, town.reviewer)
    db.session.commit()


def test_admin_publishes_and_the_files_are_stored(client, town, login_as, db):
    login_as("admin", locale="en")

    reply = post(client, f"/reports/{YEAR}/publish")

    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(f"/reports?year={YEAR}")
    [published] = _published(db)
    # A past year is published as of its 31 December (issue 16).
    expected_as_of = date(YEAR, 12, 31) if clock.today().year > YEAR else clock.today()
    assert (published.year, published.version, published.status_as_of) == (YEAR, 1, expected_as_of)
    assert set(published.documents) == {"nb", "en"}
    figures = published.documents["en"]["follow_up_4a2"]
    assert (figures["suppliers"], figures["agreements"], figures["activities"]) == (1, 1, 1)
    assert published.documents["en"]["deviations_4a3"]["count"] == 2
    # JSON, PDF and XLSX and one CSV per table, in each language.
    assert published.exports_stored_at is not None
    assert len(published.files) == 2 * (3 + len(TABLE_KEYS))
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "report.published" in actions
    assert "report.exports_stored" in actions
    pdf = client.get(f"/reports/published/{published.id}.pdf?lang=nb")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    assert "v1-nb.pdf" in pdf.headers["Content-Disposition"]


def test_a_published_2024_report_is_unchanged_by_later_edits_and_lists_them(client, town, login_as, db):
    login_as("admin", locale="en")
    post(client, f"/reports/{YEAR}/publish")
    [published] = _published(db)
    json_before = client.get(f"/reports/published/{published.id}.json?lang=en").data
    page = text(client.get(f"/reports?year={YEAR}"))
    assert "Published version 1" in page
    assert "Nothing in the report has changed since publication." in page

    _change_later(db, town)

    json_after = client.get(f"/reports/published/{published.id}.json?lang=en").data
    assert json_after == json_before
    stored = orjson.loads(json_after)
    assert stored["follow_up_4a2"]["suppliers"] == 1
    page = text(client.get(f"/reports?year={YEAR}"))
    # The published figures first ...
    assert "Suppliers subject to contract follow-up 1" in page
    # ... and what changed since, counted by hand: S1's meeting adds an activity and a
    # supplier; closing OHS closes one deviation.
    assert "1 follow-up activity added" in page
    assert "Suppliers subject to contract follow-up (4.A.2): 1 then, 2 now" in page
    assert "1 deviation closed" in page
    # The live figures are one click away.
    live = text(client.get(f"/reports?year={YEAR}&live=1"))
    assert "These are the live figures. Version 1 of this report was published" in live
    assert "Suppliers subject to contract follow-up 2" in live


def test_publishing_again_makes_a_new_version_and_keeps_the_old(client, town, login_as, db):
    login_as("admin", locale="en")
    post(client, f"/reports/{YEAR}/publish")
    _change_later(db, town)

    post(client, f"/reports/{YEAR}/publish")

    first, second = _published(db)
    assert (first.version, second.version) == (1, 2)
    assert first.documents["en"]["follow_up_4a2"]["suppliers"] == 1
    assert second.documents["en"]["follow_up_4a2"]["suppliers"] == 2
    page = text(client.get(f"/reports?year={YEAR}"))
    assert "Published version 2" in page
    assert "Nothing in the report has changed since publication." in page
    for version in (first, second):
        reply = client.get(f"/reports/published/{version.id}.json?lang=en")
        assert orjson.loads(reply.data)["follow_up_4a2"]["suppliers"] == version.version
        assert client.get(f"/reports/published/{version.id}/4a3.csv?lang=nb").status_code == 200
        assert client.get(f"/reports/published/{version.id}.xlsx").status_code == 200


def test_reviewers_cannot_publish(client, town, login_as, db):
    login_as("reviewer", locale="en")

    assert post(client, f"/reports/{YEAR}/publish").status_code == 403
    assert _published(db) == []
    assert "A buyer administrator publishes the report." in text(client.get(f"/reports?year={YEAR}"))


def test_an_unknown_year_or_file_is_404(client, town, login_as, db):
    login_as("admin", locale="en")
    assert post(client, "/reports/1999/publish").status_code == 404
    post(client, f"/reports/{YEAR}/publish")
    [published] = _published(db)
    assert client.get(f"/reports/published/{published.id}.docx").status_code == 404
    assert client.get(f"/reports/published/{published.id}/secrets.csv").status_code == 404
    assert client.get(f"/reports/published/{published.id}.pdf?lang=de").status_code == 404
    assert client.get(f"/reports/published/{published.id + 1}.pdf").status_code == 404


def test_published_files_never_name_the_site(client, town, login_as, db):
    login_as("admin", locale="en")
    post(client, "/reports/2025/publish")
    [published] = _published(db)
    for stored in published.files:
        if stored.format in ("json", "csv"):
            body = client.get(f"/reports/published/{published.id}"
                              + (f"/{stored.name}.csv" if stored.name else ".json")
                              + f"?lang={stored.locale}").data.decode("utf-8-sig")
            assert SECRET_SITE not in body


def test_the_job_refuses_files_for_figures_that_changed_meanwhile(app, town, db):
    """A worker may run the job after records changed: it then stores no file that would
    differ from the published figures, only the reason."""
    from portal.tenancy import scope_to

    scope_to(db.session(), town.reviewer.buyer_id)
    published = PublishedReport(buyer_id=town.reviewer.buyer_id, year=YEAR, version=1,
                                status_as_of=clock.today(), published_by_id=None,
                                documents=publishing.live_documents(YEAR, clock.today(), (2024, 2025),
                                                                    "Kommune"))
    db.session.add(published)
    db.session.commit()
    _change_later(db, town)

    publishing.store_exports(published, "Kommune")

    assert published.exports_problem == "changed"
    assert published.exports_stored_at is None
    assert db.session.scalar(select(PublishedReportFile.id)) is None
    scope_to(db.session(), None)


def _doc(*, activities=1, suppliers=1, agreements=1, active=4, count=2, statuses=("not_started", "closed"),
         text="A", warnings=("x",), requirements=3):
    return {
        "follow_up_4a2": {"activities": activities, "suppliers": suppliers, "agreements": agreements},
        "key_figures": {"active_agreements": active},
        "deviations_4a3": {"count": count, "rows": [{"ehn_status": s} for s in statuses],
                           "earlier_open": {"rows": []}},
        "text_4a1": {"text": text},
        "warnings": [{"code": c} for c in warnings],
        "requirements_2a2": [{}] * requirements,
    }


def test_changes_are_counted_from_the_documents():
    assert publishing.changes(_doc(), _doc()) == []
    assert publishing.changes(_doc(), _doc(activities=3, statuses=("closed", "closed"))) == [
        Change("activities_added", {"num": 2}), Change("deviations_closed", {"num": 1})]
    assert publishing.changes(_doc(), _doc(activities=0, suppliers=0, count=3, text="B",
                                           warnings=("y", "z"), requirements=2,
                                           statuses=("not_started", "escalated"))) == [
        Change("activities_removed", {"num": 1}),
        Change("suppliers_followed_up", {"before": 1, "after": 0}),
        Change("deviations_added", {"num": 1}),
        Change("deviations_reopened", {"num": 1}),
        Change("text_4a1"),
        Change("warnings_new", {"num": 2}),
        Change("warnings_resolved", {"num": 1}),
        Change("requirements", {"before": 3, "after": 2}),
    ]


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_every_change_has_a_message(app, locale):
    from flask_babel import force_locale

    codes = ["activities_added", "activities_removed", "deviations_added", "deviations_removed",
             "deviations_closed", "deviations_reopened", "warnings_new", "warnings_resolved"]
    with app.test_request_context(), force_locale(locale):
        for code in codes:
            assert "2" in publishing.change_message(Change(code, {"num": 2}))
        for code in ("suppliers_followed_up", "agreements_followed_up", "active_agreements",
                     "requirements"):
            message = publishing.change_message(Change(code, {"before": 5, "after": 7}))
            assert "5" in message
            assert "7" in message
        assert publishing.change_message(Change("text_4a1"))


def test_the_published_report_lists_corrections_made_after_publication(client, town, login_as, db):
    from portal.models import FollowUpActivity

    login_as("admin", locale="en")
    post(client, f"/reports/{YEAR}/publish")
    page = text(client.get(f"/reports?year={YEAR}"))
    assert "No follow-up activity of the year has been corrected or withdrawn since publication." in page
    spot_check = db.session.scalar(select(FollowUpActivity).where(
        FollowUpActivity.date == date(2024, 12, 31)))
    # A 2025 activity corrected is not a correction of 2024.
    other = db.session.scalar(select(FollowUpActivity).where(FollowUpActivity.date == date(2025, 4, 10)))
    view = f"/review/activities/{spot_check.id}"

    post(client, f"{view}/withdraw", {"reason": "Stikkprøven gjaldt 2025"}, token_from=view)
    post(client, f"/review/activities/{other.id}/edit",
         {"kind": "questionnaire_reviewed", "date": "2025-04-11", "reason": "Dato"},
         token_from=f"/review/activities/{other.id}/edit")

    page = text(client.get(f"/reports?year={YEAR}"))
    assert "Activity withdrawn Stikkprøven gjaldt 2025" in page
    assert "Dato" not in page.split("Corrections since publication")[1].split("Key information")[0]
    assert "1 follow-up activity removed or withdrawn" in page
    assert "Suppliers subject to contract follow-up (4.A.2): 1 then, 0 now" in page
