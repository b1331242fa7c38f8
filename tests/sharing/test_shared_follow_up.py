"""Counting a received response as the receiver's follow-up: a shared self-assessment, or a
reused follow-up within three years (DOMAIN 8.1), in the receiver's 4.A.2 only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db as _db
from portal.models import FollowUpActivity, Response
from portal.reports import jsondoc, labels, queries, tables
from portal.sharing import services
from portal.tenancy import ALL_BUYERS, scope_to
from tests.auth.helpers import sign_in, text, tr
from tests.conftest import csrf_token
from tests.sharing.conftest import SOURCE, Sharing
from tests.sharing.test_sharing import shared


def _activities(db: Any) -> list[FollowUpActivity]:
    db.session.expire_all()
    return list(db.session.scalars(select(FollowUpActivity).order_by(FollowUpActivity.id)
                                   .execution_options(**{ALL_BUYERS: True})))


def _report(app: Flask, buyer_id: int, year: int) -> queries.YearReport:
    scope_to(_db.session(), buyer_id, joint_reads=True)
    try:
        with app.test_request_context():
            return queries.year_report(year, clock.today())
    finally:
        scope_to(_db.session(), None)


def _long(day: date) -> str:
    from flask_babel import force_locale, format_date

    with force_locale("nb"):
        return str(format_date(day))


def _accept_source(db: Any, w: Sharing, on: date) -> None:
    response = db.session.get(Response, w.response.id)
    response.status = "accepted"
    response.accepted_at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    db.session.commit()


def test_accepting_counts_the_supplier_once_for_the_receiver_with_the_source_named(
        app, client, db, sharing):
    w = sharing
    year = clock.today().year
    before = _report(app, w.source.id, year).follow_up
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")

    reply = client.post(f"/review/received/{made.id}/accept",
                        data={"csrf_token": token, "agreement_id": str(w.receiver_agreement.id)})
    again = client.post(f"/review/received/{made.id}/accept",
                        data={"csrf_token": token, "agreement_id": str(w.receiver_agreement.id)})

    assert reply.status_code == 302
    assert again.status_code == 302  # refused with a message: one is enough
    (activity,) = _activities(db)
    assert (activity.kind, activity.buyer_id, activity.agreement_id, activity.supplier_id,
            activity.share_id, activity.source_buyer_name, activity.date) == (
        "shared_self_assessment", w.receiver.id, w.receiver_agreement.id, w.supplier.id, made.id,
        SOURCE, clock.today())
    assert activity.response_id is None  # never a link into the source buyer's records

    follow = _report(app, w.receiver.id, year).follow_up
    assert (follow.suppliers, follow.agreements, follow.activities) == (1, 1, 1)
    assert [(m.kind, m.activities, m.suppliers, m.source) for m in follow.by_method] == [
        ("shared_self_assessment", 1, 1, SOURCE)]
    with app.test_request_context():
        label = labels.labels_for("nb").method("shared_self_assessment", source=SOURCE)
    assert label == tr("Shared self-assessment (from %(buyer)s)", buyer=SOURCE)
    assert SOURCE in label
    # The source buyer's figures do not change.
    assert _report(app, w.source.id, year).follow_up == before

    page = text(client.get(f"/reports?year={year}&live=1"))
    assert label in page
    csv = client.get(f"/reports/{year}/4a2_by_method.csv")
    assert csv.status_code == 200
    assert label in csv.get_data(as_text=True)
    document = client.get(f"/reports/{year}.json").get_json()
    (row,) = document["follow_up_4a2"]["by_method"]
    assert (row["kind"], row["source_buyer"], row["label"]) == (
        "shared_self_assessment", SOURCE, label)


def test_an_agreement_of_another_buyer_or_inactive_is_refused(client, db, make, sharing):
    w = sharing
    made = shared(client, db, w)
    ended = make.agreement(suppliers=[w.supplier], buyer=w.receiver, reference="MK-OLD",
                           start_date=date(2019, 1, 1), end_date=date(2020, 12, 31))
    db.session.commit()
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")

    for agreement_id in (w.source_agreement.id, ended.id):
        reply = client.post(f"/review/received/{made.id}/accept",
                            data={"csrf_token": token, "agreement_id": str(agreement_id)})
        assert reply.status_code == 422
        assert tr("Choose one of your agreements with this supplier that is active in the year") in text(reply)
    assert _activities(db) == []


def test_reuse_needs_an_accepted_result_no_older_than_three_years(app, client, db, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")
    today = clock.today()

    def reuse(day: date) -> Any:
        return client.post(f"/review/received/{made.id}/reuse", data={
            "csrf_token": token, "reuse-agreement_id": str(w.receiver_agreement.id),
            "reuse-date": day.isoformat()})

    not_accepted = reuse(today)
    assert not_accepted.status_code == 422
    assert tr("Only a follow-up the other buyer has accepted can be reused. Nothing was "
              "recorded.") in text(not_accepted)

    long_ago = today - timedelta(days=3 * 365 + 30)
    _accept_source(db, w, long_ago)
    too_old = reuse(today)
    assert too_old.status_code == 422
    assert tr("The other buyer accepted the follow-up on %(accepted)s: a result can be reused "
              "only within three years, so from %(cutoff)s for the date you gave. Nothing was "
              "recorded.", accepted=_long(long_ago), cutoff=_long(services.reuse_cutoff(today))) \
        in text(too_old)

    accepted_on = today - timedelta(days=40)
    _accept_source(db, w, accepted_on)
    before_acceptance = reuse(accepted_on - timedelta(days=1))
    assert before_acceptance.status_code == 422
    assert _activities(db) == []

    ok = reuse(today)

    assert ok.status_code == 302
    (activity,) = _activities(db)
    assert (activity.kind, activity.source_buyer_name, activity.source_date, activity.share_id) == (
        "reused_follow_up", SOURCE, accepted_on, made.id)


def test_the_export_tables_name_the_source(app, client, db, sharing):
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")
    client.post(f"/review/received/{made.id}/accept",
                data={"csrf_token": token, "agreement_id": str(w.receiver_agreement.id)})
    report = _report(app, w.receiver.id, clock.today().year)
    with app.test_request_context():
        table = tables.table(report, "4a2_by_method")
        document = jsondoc.document(report, "nb", "Mottakerkommune")
    assert any(SOURCE in str(row[0]) for row in table.rows)
    assert document["follow_up_4a2"]["by_method"][0]["source_buyer"] == SOURCE


def test_the_pdf_and_xlsx_name_the_source(client, db, monkeypatch, sharing):
    import io

    from openpyxl import load_workbook

    from portal import pdf as portal_pdf

    captured: list[str] = []
    real = portal_pdf.HTML

    def spy(*args: Any, **kwargs: Any) -> Any:
        captured.append(kwargs["string"])
        return real(*args, **kwargs)

    monkeypatch.setattr(portal_pdf, "HTML", spy)
    w = sharing
    made = shared(client, db, w)
    assert sign_in(client, w.receiver_reviewer.email).status_code == 302
    token = csrf_token(client, f"/review/received/{made.id}")
    client.post(f"/review/received/{made.id}/accept",
                data={"csrf_token": token, "agreement_id": str(w.receiver_agreement.id)})
    year = clock.today().year
    label = tr("Shared self-assessment (from %(buyer)s)", buyer=SOURCE)

    pdf = client.get(f"/reports/{year}.pdf?lang=nb")
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/{year}.xlsx").data))

    assert pdf.status_code == 200
    assert label in captured[-1]
    cells = [str(c.value) for row in workbook[tr("4.A.2 By method")].iter_rows() for c in row]
    assert label in cells
