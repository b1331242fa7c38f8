"""Today is the buyers' day in Norway, not the server clock's (UTC) day.

Between midnight and one (two in summer) in the morning in Norway, UTC is still on the
day before. CI met it in a test at 00:12 Oslo time; a reviewer at work then met it as
a refused deviation "detected in the future" and a late response not shown as late.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from threading import Thread

from freezegun import freeze_time

from portal import clock
from portal.i18n import format_date
from portal.models import Deviation
from tests.auth.helpers import post, text
from tests.deviations.helpers import deviation_form

#: 23:30 UTC on 6 December is 00:30 on 7 December in Oslo (CET, UTC+1).
WINTER_NIGHT = "2026-12-06 23:30:00"


def test_today_is_the_day_in_oslo_winter_and_summer(app):
    with freeze_time(WINTER_NIGHT):
        assert clock.today() == date(2026, 12, 7)
    with freeze_time("2026-12-06 22:59:59"):
        assert clock.today() == date(2026, 12, 6)
    with freeze_time("2026-07-06 22:30:00"):  # CEST, UTC+2: 00:30 on 7 July
        assert clock.today() == date(2026, 7, 7)
    with freeze_time("2026-07-06 21:59:59"):
        assert clock.today() == date(2026, 7, 6)


def test_the_zone_is_the_apps_setting_and_oslo_outside_an_app(app, monkeypatch):
    outside: list[date] = []
    with freeze_time(WINTER_NIGHT):
        thread = Thread(target=lambda: outside.append(clock.today()))  # no app context there
        thread.start()
        thread.join()
        assert outside == [date(2026, 12, 7)]
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "UTC")
        with app.app_context():
            assert clock.today() == date(2026, 12, 6)


def test_a_stored_moment_is_shown_with_the_oslo_date_of_its_time(app):
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    with app.app_context():  # a job or a PDF: no request
        assert format_date(moment, locale="en") == "7 Dec 2026, 00:30"
        assert clock.day_of(moment) == date(2026, 12, 7)
        assert clock.day_of(moment.replace(tzinfo=None)) == date(2026, 12, 7)  # naive is UTC
    with app.test_request_context("/"):
        assert format_date(moment, locale="nb") == "7. des. 2026, 00:30"


def test_after_midnight_in_norway_a_deviation_detected_today_is_not_in_the_future(
    client, db, make, login_as
):
    supplier = make.supplier()
    with freeze_time(WINTER_NIGHT, tick=True):
        login_as("reviewer")
        reply = post(client, "/deviations/new",
                     deviation_form(supplier_id=supplier.id, detected_date="2026-12-07",
                                    deadline="2027-01-31"),
                     token_from="/deviations/new")

    assert reply.status_code == 302, text(reply)
    assert db.session.query(Deviation).one().detected_date == date(2026, 12, 7)
