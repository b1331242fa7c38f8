"""Every answer of a round or of the inbox's filter as a workbook (issue 15, reviewer)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from flask_babel import force_locale, to_user_timezone
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal import clock
from portal.models import Answer, EvidenceFile, FollowUpRound, Response
from portal.questionnaires.definition import load_definition, shipped_definitions
from portal.responses import services as responses
from portal.review import services
from portal.rounds.services import ensure_shipped_versions
from portal.templating import response_status_label
from tests.auth.helpers import text, tr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(reply: Any) -> Any:
    assert reply.status_code == 200, reply.get_data(as_text=True)[:2000]
    assert reply.content_type == XLSX
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    return load_workbook(BytesIO(reply.data))


def rows(ws: Worksheet) -> list[dict[str, Any]]:
    """The sheet's rows as mappings of heading → value."""
    values = list(ws.iter_rows(values_only=True))
    headers = values[0]
    return [dict(zip(headers, row, strict=True)) for row in values[1:]]


def heading(ws: Worksheet, start: str) -> str:
    """The one column heading that starts with ``start`` (e.g. "B5 – " … ": Antall totalt")."""
    found = [str(c.value) for c in ws[1] if str(c.value).startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def by_supplier(ws: Worksheet, locale: str = "nb") -> dict[str, dict[str, Any]]:
    return {row[tr("Supplier", locale)]: row for row in rows(ws)}


def status(value: str, locale: str = "nb") -> str:
    with force_locale(locale):
        return response_status_label(value)


def round_of(response: Response) -> FollowUpRound:
    return response.round


def test_a_round_gives_one_row_per_response_and_a_sheet_per_table(
    client, db, make, make_response, submitted, login_as
):
    alfa = submitted(make.supplier(name="Alfa AS"), answers={
        "B1": {"answer": "yes", "date": "2025-03-01"},
        "B2": {"answer": ["own_operations", "first_tier"]},
        "B5": {"trained": "12", "total": "40,5"},
    })
    draft = make_response(make.supplier(name="Beta AS"), status="in_progress")
    supplier_user = make.user(role="supplier", supplier=draft.supplier)
    draft.answers.append(Answer(question_id="B5", value={"trained": "3"}, updated_by=supplier_user))
    draft.files.append(EvidenceFile(question_id="B1", part_id="file", original_name="policy.pdf",
                                    stored_name=make.stored_file().key, size=12, sha256="0" * 64,
                                    mimetype="application/pdf", uploaded_by=supplier_user))
    make_response(make.supplier(name="Gamma AS"))
    db.session.commit()
    login_as("reviewer")

    wb = workbook(client.get(f"/rounds/{alfa.round_id}/answers.xlsx"))

    assert wb.sheetnames[:4] == [tr("About the export"), tr("Answers"), "C5 Produksjonssted", "E3 Avvik"]
    answers = wb[tr("Answers")]
    assert [c.value for c in answers[1]][:8] == [
        tr("Supplier"), tr("Organisation number"), tr("Agreement"), tr("Round"), tr("Reference"),
        tr("Status"), tr("Submitted"), tr("Answers from")]
    table = by_supplier(answers)
    assert set(table) == {"Alfa AS", "Beta AS", "Gamma AS"}
    row = table["Alfa AS"]
    assert row[tr("Organisation number")] == alfa.supplier.org_number
    assert row[tr("Agreement")] == alfa.agreement.name_nb
    assert row[tr("Round")] == "Oppfølging 2025"
    assert row[tr("Status")] == status("submitted")
    # the day in Oslo, which is not UTC's for an hour or two around midnight
    submitted_on = to_user_timezone(alfa.latest_submission.submitted_at).date()
    assert row[tr("Submitted")] == datetime.combine(submitted_on, datetime.min.time())
    assert row[tr("Answers from")] == tr("Submission %(number)s", number=1)
    assert row[_first(answers, "B1")] == "Ja"  # the label, not "yes"
    assert row[_part(answers, "B1", "Dato")] == datetime(2025, 3, 1)
    assert row[heading(answers, "B2 – ")] == "Egen virksomhet; Leverandører i første ledd"
    assert row[_part(answers, "B5", "Antall som har fått opplæring")] == 12  # a number, not text
    assert row[_part(answers, "B5", "Antall totalt")] == 40.5
    assert row[heading(answers, "C5 – ")] == 3  # rows, listed on the table's own sheet

    sites = rows(wb["C5 Produksjonssted"])
    assert [s[tr("Supplier")] for s in sites] == ["Alfa AS"] * 3
    assert [s["Produksjonssted (nummer)"] for s in sites] == [1, 2, 3]
    assert sites[0]["Navn på produksjonssted"] == "Dhaka Apparel Works Ltd"
    assert sites[0]["Land"] == "Bangladesh"  # the country's name in the reader's language
    assert sites[0][tr("Agreement")] == alfa.agreement.name_nb

    # Not yet submitted: the answers saved so far, and the row says so.
    beta = table["Beta AS"]
    assert beta[tr("Status")] == status("in_progress")
    assert beta[tr("Submitted")] is None
    assert beta[tr("Answers from")] == tr("Draft, not submitted: the answers saved so far")
    assert beta[_part(answers, "B5", "Antall som har fått opplæring")] == 3
    assert beta[_part(answers, "B1", "Policy")] == "policy.pdf"  # files by their names
    gamma = table["Gamma AS"]
    assert gamma[tr("Answers from")] == tr("Nothing answered yet")
    assert gamma[heading(answers, "B2 – ")] is None
    assert gamma[heading(answers, "C5 – ")] is None  # not answered, rather than 0 rows

    about = {r[0]: r[1] for r in wb[tr("About the export")].iter_rows(values_only=True) if r[0]}
    assert about[tr("Number of responses")] == 3
    assert about[tr("Responses")] == tr("Follow-up round: %(name)s", name="Oppfølging 2025")


def _first(ws: Worksheet, question: str) -> str:
    """The heading of a question's first part (a question with several parts has a column each)."""
    return next(str(c.value) for c in ws[1] if str(c.value).startswith(f"{question} – "))


def _part(ws: Worksheet, question: str, part_label: str) -> str:
    found = [str(c.value) for c in ws[1]
             if str(c.value).startswith(f"{question} – ") and f": {part_label}" in str(c.value)]
    assert len(found) == 1, (question, part_label, found)
    return found[0]


def test_an_english_reader_gets_english_labels_and_sheet_names(client, db, make, submitted, login_as):
    response = submitted(make.supplier(name="Alfa AS"))
    login_as("reviewer", locale="en")

    wb = workbook(client.get(f"/rounds/{response.round_id}/answers.xlsx"))

    assert wb.sheetnames[:4] == ["About the export", "Answers", "C5 Production site", "E3 Deviation"]
    answers = wb["Answers"]
    row = by_supplier(answers, "en")["Alfa AS"]
    assert row["Status"] == status("submitted", "en")
    assert row["Answers from"] == "Submission 1"
    assert row[heading(answers, "A2 – Is your company subject to the Norwegian Transparency Act")] == "Yes"
    assert row["Round"] == "Follow-up 2025"
    assert row["Agreement"] == response.agreement.name_en
    sites = rows(wb["C5 Production site"])
    assert sites[0]["Country"] == "Bangladesh"
    assert sites[1]["Country"] == "China"
    assert sites[0]["Production site (number)"] == 1


def test_the_latest_submission_is_exported_never_a_later_draft(
    client, db, make, submitted, resubmit, login_as
):
    response = submitted(make.supplier(name="Alfa AS"), answers={"B5": {"trained": "12", "total": "40"}})
    reviewer = make.user(role="reviewer")
    services.return_response(response, ["B5"], "Oppgi tallene på nytt", actor=reviewer)
    db.session.commit()
    user = response.submissions[0].submitted_by
    responses.save_answers(response, {"B5": {"trained": "20", "total": "40"}}, {}, set(), actor=user)
    db.session.commit()
    login_as("reviewer")
    url = f"/rounds/{response.round_id}/answers.xlsx"

    answers = workbook(client.get(url))[tr("Answers")]
    row = by_supplier(answers)["Alfa AS"]
    assert row[_part(answers, "B5", "Antall som har fått opplæring")] == 12
    assert row[tr("Answers from")] == tr("Submission %(number)s", number=1)
    assert row[tr("Status")] == status("returned")

    resubmit(response, user, {"B5": {"trained": "25", "total": "40"}})
    answers = workbook(client.get(url))[tr("Answers")]
    row = by_supplier(answers)["Alfa AS"]
    assert row[_part(answers, "B5", "Antall som har fått opplæring")] == 25
    assert row[tr("Answers from")] == tr("Submission %(number)s", number=2)


def test_the_inbox_export_follows_the_filter(client, db, make, make_response, submitted, login_as):
    alfa = submitted(make.supplier(name="Alfa AS"))
    submitted(make.supplier(name="Beta AS"))
    make_response(make.supplier(name="Utkast AS"), status="in_progress")
    db.session.commit()
    login_as("reviewer")

    default = by_supplier(workbook(client.get("/review/answers.xlsx"))[tr("Answers")])
    assert set(default) == {"Alfa AS", "Beta AS"}  # the inbox's default view: what needs action
    everything = by_supplier(workbook(client.get("/review/answers.xlsx?status=all"))[tr("Answers")])
    assert set(everything) == {"Alfa AS", "Beta AS", "Utkast AS"}
    one = workbook(client.get(f"/review/answers.xlsx?supplier={alfa.supplier_id}"))
    assert set(by_supplier(one[tr("Answers")])) == {"Alfa AS"}
    assert {r[tr("Supplier")] for r in rows(one["C5 Produksjonssted"])} == {"Alfa AS"}
    searched = workbook(client.get("/review/answers.xlsx?q=beta&status=all"))
    assert set(by_supplier(searched[tr("Answers")])) == {"Beta AS"}

    page = client.get("/review")
    assert 'href="/review/answers.xlsx"' in page.get_data(as_text=True)
    filtered = client.get(f"/review?supplier={alfa.supplier_id}").get_data(as_text=True)
    assert f'href="/review/answers.xlsx?supplier={alfa.supplier_id}"' in filtered


def test_a_filter_without_responses_says_so_and_keeps_the_filter(client, db, make, submitted, login_as):
    submitted(make.supplier(name="Alfa AS"))
    login_as("reviewer")

    reply = client.get("/review/answers.xlsx?status=accepted&q=alfa")

    assert reply.status_code == 302
    assert reply.headers["Location"] == "/review?status=accepted&q=alfa"
    page = client.get(reply.headers["Location"])
    assert tr("No responses match this filter, so there are no answers to download. "
              "Choose another filter.") in text(page)


def test_a_round_without_responses_says_so(client, db, make, version, login_as):
    round_ = FollowUpRound(year=2025, name_nb="Tom runde", name_en="Empty round",
                           questionnaire_version=version, buyer=make.default_buyer,
                           deadline=clock.today() + timedelta(days=30))
    db.session.add(round_)
    db.session.commit()
    login_as("reviewer")

    page = client.get(f"/rounds/{round_.id}")
    assert "answers.xlsx" not in page.get_data(as_text=True)  # no link to an empty download
    reply = client.get(f"/rounds/{round_.id}/answers.xlsx")

    assert reply.status_code == 302
    assert reply.headers["Location"] == f"/rounds/{round_.id}"
    assert tr("The round has no responses yet, so there are no answers to download.") in text(
        client.get(reply.headers["Location"]))


def test_the_round_page_links_to_the_download(client, db, make, submitted, login_as):
    response = submitted(make.supplier(name="Alfa AS"))
    login_as("reviewer")

    page = client.get(f"/rounds/{response.round_id}")

    assert f'href="/rounds/{response.round_id}/answers.xlsx"' in page.get_data(as_text=True)
    assert tr("Download answers (XLSX)") in text(page)


def test_another_buyers_responses_are_never_exported(client, db, make, make_response, submitted, login_as):
    submitted(make.supplier(name="Egen AS"))
    other = make.buyer(name="Annen kommune")
    foreign_supplier = make.supplier(name="Fremmed AS", buyer=other)
    foreign_agreement = make.agreement(suppliers=[foreign_supplier], buyer=other)
    foreign = submitted(foreign_supplier, agreement=foreign_agreement, year=2024)
    assert foreign.round.buyer_id == other.id
    login_as("reviewer")

    wb = workbook(client.get("/review/answers.xlsx?status=all"))
    assert set(by_supplier(wb[tr("Answers")])) == {"Egen AS"}
    assert all("Fremmed AS" not in str(cell) for ws in wb.worksheets
               for row in ws.iter_rows(values_only=True) for cell in row)
    assert client.get(f"/rounds/{foreign.round_id}/answers.xlsx").status_code == 404
    # Naming the other buyer's supplier or round in the filter finds nothing either.
    assert client.get(f"/review/answers.xlsx?supplier={foreign_supplier.id}&status=all").status_code == 302
    assert client.get(f"/review/answers.xlsx?round={foreign.round_id}&status=all").status_code == 302


def test_suppliers_are_refused(client, db, make, submitted, login_as):
    response = submitted(make.supplier(name="Alfa AS"))
    login_as("supplier", supplier=response.supplier)

    assert client.get("/review/answers.xlsx?status=all").status_code == 403
    assert client.get(f"/rounds/{response.round_id}/answers.xlsx").status_code == 403


def test_text_that_looks_like_a_formula_stays_text(client, db, make, submitted, login_as):
    typed = {"name": "=HYPERLINK(\"https://evil.example\",\"klikk\")", "job_title": "+47 999 99 999",
             "email": "@SUM(A1:A9)"}
    response = submitted(make.supplier(name="Alfa AS"), answers={"A1": typed, "B4": {"answer": "-2+3"}})
    login_as("reviewer")

    answers = workbook(client.get(f"/rounds/{response.round_id}/answers.xlsx"))[tr("Answers")]

    headers = [c.value for c in answers[1]]
    cells = {headers[i]: cell for i, cell in enumerate(answers[2])}
    for part, label in (("name", "Navn"), ("job_title", "Stilling"), ("email", "E-post")):
        cell = cells[_part(answers, "A1", label)]
        assert cell.data_type == "s"
        assert cell.value == typed[part]
    b4 = cells[heading(answers, "B4 – ")]
    assert (b4.data_type, b4.value) == ("s", "-2+3")


def test_the_export_costs_the_same_number_of_queries_for_more_responses(
    client, db, make, make_response, submitted, login_as, count_queries
):
    def draft() -> None:
        response = make_response(make.supplier(), status="in_progress")
        response.answers.append(Answer(question_id="B5", value={"trained": "3"},
                                       updated_by=make.user(role="supplier", supplier=response.supplier)))

    first = submitted(make.supplier())
    draft()
    db.session.commit()
    login_as("reviewer")
    url = f"/rounds/{first.round_id}/answers.xlsx"
    client.get(url)
    db.session.expire_all()
    with count_queries() as few:
        assert client.get(url).status_code == 200
        assert client.get("/review/answers.xlsx?status=all").status_code == 200

    for _ in range(4):
        submitted(make.supplier())
        draft()
    make_response(make.supplier(), status="not_started")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert client.get(url).status_code == 200
        assert client.get("/review/answers.xlsx?status=all").status_code == 200

    assert len(many) == len(few), "\n".join(few) + "\n=====\n" + "\n".join(many)


def test_responses_to_several_questionnaire_versions_get_a_set_of_sheets_each(
    client, db, make, make_response, submitted, login_as
):
    older = submitted(make.supplier(name="Alfa AS"))
    versions = {v.content_hash: v for v in ensure_shipped_versions()}
    newer_definition = load_definition(shipped_definitions()[1])
    newer_version = versions[newer_definition.content_hash]
    assert newer_version.id != older.round.questionnaire_version_id
    db.session.add(FollowUpRound(year=2026, name_nb="Oppfølging 2026", name_en="Follow-up 2026",
                                 questionnaire_version=newer_version, buyer=make.default_buyer,
                                 deadline=clock.today() + timedelta(days=30)))
    db.session.flush()
    newer = submitted(make.supplier(name="Beta AS"), year=2026)
    assert newer.round.questionnaire_version_id == newer_version.id
    login_as("reviewer")

    wb = workbook(client.get("/review/answers.xlsx?status=all"))

    old_label, new_label = older.round.questionnaire_version.version, newer_version.version
    first, second = f"{tr('Answers')} {old_label}", f"{tr('Answers')} {new_label}"
    assert first in wb.sheetnames
    assert second in wb.sheetnames
    assert set(by_supplier(wb[first])) == {"Alfa AS"}
    assert set(by_supplier(wb[second])) == {"Beta AS"}
    assert f"C5 Produksjonssted {old_label}" in wb.sheetnames
    assert f"C5 Produksjonssted {new_label}" in wb.sheetnames
    assert all(len(name) <= 31 for name in wb.sheetnames)
    about = {r[0]: r[1] for r in wb[tr("About the export")].iter_rows(values_only=True) if r[0]}
    assert about[tr("Questionnaire versions")] == tr(
        "The responses answer %(count)s questionnaire versions: each has its own sheets, since a "
        "question may differ between versions.", count=2)


def test_a_participant_in_a_joint_agreement_gets_that_agreements_responses_only(
    client, db, make, submitted, login_as
):
    joint = submitted(make.supplier(name="Felles AS"))
    own = submitted(make.supplier(name="Egen AS"))
    assert own.round_id == joint.round_id
    partner = make.buyer(name="Deltakerkommune")
    joint.agreement.participants.append(partner)
    db.session.commit()
    login_as("reviewer", buyer=partner)

    round_book = workbook(client.get(f"/rounds/{joint.round_id}/answers.xlsx"))
    assert set(by_supplier(round_book[tr("Answers")])) == {"Felles AS"}
    assert {r[tr("Supplier")] for r in rows(round_book["C5 Produksjonssted"])} == {"Felles AS"}
    inbox_book = workbook(client.get("/review/answers.xlsx?status=all"))
    assert set(by_supplier(inbox_book[tr("Answers")])) == {"Felles AS"}


def test_more_responses_than_one_workbook_holds_are_refused_with_advice(
    app, client, db, make, submitted, login_as, monkeypatch
):
    first = submitted(make.supplier(name="Alfa AS"))
    submitted(make.supplier(name="Beta AS"))
    monkeypatch.setitem(app.config, "ANSWERS_EXPORT_MAX_RESPONSES", 1)
    login_as("reviewer")
    advice = tr("The answers of %(num)s responses are too many for one download: at most "
                "%(limit)s can be downloaded at a time. Narrow the filter, for example to one "
                "round or one agreement, and download again.", num="2", limit="1")

    reply = client.get("/review/answers.xlsx?status=all")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/review?status=all"
    assert advice in text(client.get(reply.headers["Location"]))
    reply = client.get(f"/rounds/{first.round_id}/answers.xlsx")
    assert reply.headers["Location"] == f"/rounds/{first.round_id}"
    assert advice in text(client.get(reply.headers["Location"]))
    # Narrowed to what fits, the download is made.
    one = workbook(client.get(f"/review/answers.xlsx?supplier={first.supplier_id}"))
    assert set(by_supplier(one[tr("Answers")])) == {"Alfa AS"}


def test_values_keep_their_type_and_what_does_not_parse_stays_as_typed(app, db):
    from portal.questionnaires.definition import Option, Part, Text
    from portal.questionnaires.types import MAX_TEXT, Context, type_of

    def typed_value(part, raw, ctx):
        return type_of(part).cell(raw, part, ctx)

    ctx = Context(locale="en")
    number = Part(id="n", type="number")
    assert typed_value(number, "1 234", ctx) == 1234
    assert typed_value(number, "12,5", ctx) == 12.5
    assert typed_value(number, "about ten", ctx) == "about ten"  # a draft may hold anything
    assert typed_value(number, "", ctx) is None
    when = Part(id="d", type="date")
    assert typed_value(when, "31.01.2025", ctx) == date(2025, 1, 31)
    assert typed_value(when, "soon", ctx) == "soon"
    choice = Part(id="c", type="single", options=(Option("a", Text("Alfa nb", "Alfa en")),))
    assert typed_value(choice, "a", ctx) == "Alfa en"
    assert typed_value(choice, "gone", ctx) == "gone"  # an option no longer offered: as stored
    assert typed_value(Part(id="y", type="yes_no"), "no", ctx) == "No"
    assert typed_value(Part(id="y", type="yes_no_unknown"), "unknown", Context(locale="nb")) == "Vet ikke"
    declaration = Part(id="i", type="confirm")
    assert typed_value(declaration, {}, ctx) is None
    with app.test_request_context(), force_locale("en"):
        assert typed_value(declaration, {"name": "Per"}, ctx) == tr("Not confirmed", "en")
    # Several choices apart by semicolons (a label may hold a comma); text bounded, never empty.
    several = Part(id="m", type="multi", options=(Option("a", Text("A", "Forced, bonded")),
                                                  Option("b", Text("B", "Child"))))
    assert typed_value(several, ["a", "b"], ctx) == "Forced, bonded; Child"
    assert typed_value(several, [], ctx) is None
    assert typed_value(Part(id="t", type="text"), "x" * (MAX_TEXT + 5), ctx) == "x" * MAX_TEXT
    assert typed_value(Part(id="t", type="text"), "", ctx) is None
    assert typed_value(Part(id="u", type="url"), "https://a.example", ctx) == "https://a.example"


def test_odd_query_strings_and_ids_never_give_a_server_error(client, db, make, submitted, login_as):
    submitted(make.supplier(name="Alfa AS"))
    login_as("reviewer")

    odd = client.get("/review/answers.xlsx?supplier=%C2%B2&round=2147483648&q=a%00b&status=%00"
                     "&sort=%00&light=%00&category=%00&overdue=%00&agreement=-1")
    assert odd.status_code == 302  # a filter that finds nothing, said on the inbox
    ignored = workbook(client.get("/review/answers.xlsx?supplier=%C2%B2&status=all&sort=-nonsense"))
    assert set(by_supplier(ignored[tr("Answers")])) == {"Alfa AS"}
    assert client.get("/rounds/99999999999/answers.xlsx").status_code == 404
