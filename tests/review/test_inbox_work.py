"""The inbox as the reviewer's work list: what needs action first, search, sortable columns,
exports of the current filter and bulk reminders and deadlines."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from freezegun import freeze_time
from openpyxl import load_workbook

from portal import clock
from portal.models import AuditEvent, Response
from tests.conftest import post_form
from tests.review.test_inbox import _rows, _table


def _names(page: str, *names: str) -> list[str]:
    table = _table(page)
    return sorted((n for n in names if n in table), key=table.index)


def test_the_default_view_is_what_needs_action(client, db, make, make_response, submitted,
                                               login_as):
    submitted(make.supplier(name="Innsendt AS"))
    make_response(make.supplier(name="Ikke startet AS"))
    late = make_response(make.supplier(name="Forsinket AS"), status="in_progress")
    late.deadline = clock.today() - timedelta(days=2)
    db.session.commit()
    login_as("reviewer")

    page = client.get("/review").get_data(as_text=True)
    assert _names(page, "Innsendt AS", "Forsinket AS", "Ikke startet AS") == [
        "Forsinket AS", "Innsendt AS"]
    everything = client.get("/review?status=all").get_data(as_text=True)
    assert len(_rows(everything)) == 3
    assert len(_rows(client.get("/review?status=bogus").get_data(as_text=True))) == 2


def test_search_finds_supplier_org_number_and_agreement(client, db, make, submitted, login_as):
    first = submitted(make.supplier(name="Østlandske Klær AS"))
    second = submitted(make.supplier(name="Data AS"))
    second.agreement.name_nb = "Rammeavtale PC-er"
    db.session.commit()
    login_as("reviewer")

    def found(q: str) -> list[str]:
        page = client.get("/review", query_string={"q": q}).get_data(as_text=True)
        return _names(page, "Østlandske Klær AS", "Data AS")

    assert found("østlandske") == ["Østlandske Klær AS"]  # any case, not only ASCII
    assert found("ØSTLANDSKE klær") == ["Østlandske Klær AS"]
    number = first.supplier.org_number
    assert found(f"{number[:3]} {number[3:6]} {number[6:]}") == ["Østlandske Klær AS"]
    assert found("pc-er") == ["Data AS"]
    assert found("finnes ikke") == []
    assert client.get("/review", query_string={"q": "%_\x00" + "x" * 500}).status_code == 200


def test_every_column_sorts_both_ways_with_aria_sort(client, db, make, make_response, login_as):
    for name, days in (("Ærlig AS", 20), ("Berg AS", 5), ("Åsen AS", 40)):
        make_response(make.supplier(name=name), deadline=clock.today() + timedelta(days=days))
    db.session.commit()
    login_as("reviewer")
    names = ("Ærlig AS", "Berg AS", "Åsen AS")

    by_name = client.get("/review?status=all&sort=supplier").get_data(as_text=True)
    assert _names(by_name, *names) == ["Berg AS", "Ærlig AS", "Åsen AS"]  # Norwegian alphabet
    assert 'aria-sort="ascending"' in by_name
    assert by_name.count("aria-sort=") == 1
    reverse = client.get("/review?status=all&sort=-supplier").get_data(as_text=True)
    assert _names(reverse, *names) == ["Åsen AS", "Ærlig AS", "Berg AS"]
    assert 'aria-sort="descending"' in reverse
    # The heading links keep the filters and turn the order round.
    assert 'href="/review?status=all&amp;sort=-supplier"' in by_name
    for column in ("agreement", "round", "status", "deadline", "light"):
        for order in (column, f"-{column}"):
            page = client.get(f"/review?status=all&sort={order}")
            assert page.status_code == 200
            assert len(_rows(page.get_data(as_text=True))) == 3
    by_deadline = client.get("/review?status=all&sort=-deadline").get_data(as_text=True)
    assert _names(by_deadline, *names) == ["Åsen AS", "Ærlig AS", "Berg AS"]
    assert client.get("/review?sort=drop table").status_code == 200


def test_export_has_every_row_of_the_filter_and_no_formulas(client, db, make, submitted,
                                                            login_as, app):
    app.config["PAGE_SIZE"] = 1
    submitted(make.supplier(name="=HYPERLINK(\"http://evil\")"))
    submitted(make.supplier(name="Andre AS"))
    submitted(make.supplier(name="Ikke med AS"))
    db.session.commit()
    login_as("reviewer")

    reply = client.get("/review/export.csv?q=AS&sort=supplier")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig")), delimiter=";"))
    names = [row[0] for row in rows[1:]]
    assert names == ["Andre AS", "Ikke med AS"]
    everything = client.get("/review/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in everything

    book = load_workbook(io.BytesIO(client.get("/review/export.xlsx").get_data()))
    sheet = book["responses"]
    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 3
    formula = next(row[0] for row in sheet.iter_rows(min_row=2) if "HYPERLINK" in str(row[0].value))
    assert formula.data_type == "s"


def test_bulk_reminder_mails_the_waiting_suppliers_only(client, db, make, make_response, submitted,
                                                       login_as, sent_mail):
    waiting = make_response(make.supplier(name="Venter AS"), status="in_progress")
    make.user(role="supplier", supplier=waiting.supplier, email="venter@example.no")
    done = submitted(make.supplier(name="Ferdig AS"))
    db.session.commit()
    login_as("reviewer")
    sent_mail.clear()

    reply = post_form(client, "/review/bulk?status=all", {
        "responses": [str(waiting.id), str(done.id)], "remind": "1"}, token_from="/review")

    assert reply.status_code == 302
    assert reply.headers["Location"] == "/review?status=all"
    assert [m.to for m in sent_mail] == ["venter@example.no"]
    actions = db.session.query(AuditEvent.action, AuditEvent.object_id).filter_by(
        action="response.reminder_sent").all()
    assert actions == [("response.reminder_sent", waiting.id)]
    page = client.get("/review?status=all").get_data(as_text=True)
    assert "Påminnelse er sendt for 1 svar" in page


def test_bulk_deadline_moves_the_selected_and_says_what_was_missing(client, db, make,
                                                                    make_response, login_as,
                                                                    sent_mail):
    first = make_response(make.supplier(name="En AS"))
    second = make_response(make.supplier(name="To AS"))
    untouched = make_response(make.supplier(name="Tre AS"))
    db.session.commit()
    before = untouched.deadline
    login_as("reviewer")
    new = clock.today() + timedelta(days=90)

    missing = post_form(client, "/review/bulk?status=all",
                        {"responses": [str(first.id)], "extend": "1"}, token_from="/review")
    assert missing.status_code == 400
    body = missing.get_data(as_text=True)
    assert "Feil:" in body
    assert 'href="#new_deadline"' in body
    assert 'href="#reason"' in body
    assert f'value="{first.id}" checked' in body  # the selection is kept

    nothing = post_form(client, "/review/bulk", {"remind": "1"}, token_from="/review")
    assert nothing.status_code == 400
    assert 'href="#responses"' in nothing.get_data(as_text=True)

    reply = post_form(client, "/review/bulk?status=all", {
        "responses": [str(first.id), str(second.id)], "extend": "1",
        "new_deadline": new.isoformat(), "reason": "Ferie"}, token_from="/review")
    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, first.id).deadline == new
    assert db.session.get(Response, second.id).deadline == new
    assert db.session.get(Response, untouched.id).deadline == before
    assert db.session.query(AuditEvent).filter_by(action="response.deadline_extended").count() == 2


def test_bulk_with_a_foreign_or_unknown_id_changes_nothing(client, db, make, make_response,
                                                           login_as):
    mine = make_response(make.supplier(name="Min AS"))
    db.session.commit()
    before = mine.deadline
    login_as("reviewer")
    for bad in ("999999", "99999999999", "abc"):
        reply = post_form(client, "/review/bulk", {
            "responses": [str(mine.id), bad], "extend": "1",
            "new_deadline": (clock.today() + timedelta(days=90)).isoformat(), "reason": "x"},
            token_from="/review")
        assert reply.status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(Response, mine.id).deadline == before


def test_bulk_on_another_buyers_response_is_404_and_changes_nothing(client, db, make,
                                                                    make_response, login_as,
                                                                    sent_mail):
    other = make.buyer(name="Annen kommune")
    foreign_agreement = make.agreement(buyer_id=other.id, suppliers=[make.supplier(name="Fremmed AS")])
    foreign = make_response(foreign_agreement.suppliers[0], agreement=foreign_agreement)
    make.user(role="supplier", supplier=foreign.supplier)
    db.session.commit()
    before = foreign.deadline
    login_as("reviewer")
    sent_mail.clear()

    assert "Fremmed AS" not in _table(client.get("/review?status=all").get_data(as_text=True))
    assert "Fremmed AS" not in client.get("/review/export.csv?status=all").get_data().decode()
    for action in ({"remind": "1"}, {"extend": "1", "reason": "x",
                                      "new_deadline": (clock.today() + timedelta(days=60)).isoformat()}):
        reply = post_form(client, "/review/bulk", {"responses": [str(foreign.id)], **action},
                          token_from="/review")
        assert reply.status_code == 404
    db.session.expire_all()
    assert db.session.get(Response, foreign.id).deadline == before
    assert sent_mail == []


def test_after_midnight_in_norway_yesterdays_deadline_is_late_in_the_inbox(
    client, db, make, make_response, login_as
):
    late = make_response(make.supplier(name="Forsinket AS"), status="in_progress")
    on_time = make_response(make.supplier(name="I tide AS"), status="in_progress")
    late.deadline, on_time.deadline = date(2026, 12, 6), date(2026, 12, 7)
    db.session.commit()
    with freeze_time("2026-12-06 23:30:00", tick=True):  # 00:30 on 7 December in Oslo
        login_as("reviewer")
        page = client.get("/review").get_data(as_text=True)

    assert _names(page, "Forsinket AS", "I tide AS") == ["Forsinket AS"]
