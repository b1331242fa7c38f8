"""The reviewer's new screens walked through the pages (issue 15), by role and label.

Starting from the demo data (and ``prepare_screens``' response states): the review page one
part at a time with next/previous and "only changes"; "Download answers (XLSX)" from the
inbox and from the round page, opened with openpyxl; files attached to a deviation by staff,
of which the supplier sees only the visible one; the response's history and the audit log
in words, with what the system did shown as done by Aktsom.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import REVIEWER, SUPPLIER, accept_response, login, logout, tr
from tests.browser.screens import ACCOUNTS, prepare_screens

#: What a raw code looks like on a page meant to be in words: a class name with an id
#: ("FollowUpActivity 10"), a status or action code ("AWAITING_CAP", "response.submit"), JSON.
RAW_CODE = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+ \d+|\b[A-Z]{3,}_[A-Z_]+\b|\b[a-z_]+\.[a-z_]+\b|[{}\[\]]\"")


@pytest.fixture
def ids(demo_world: Any) -> dict[str, Any]:
    return prepare_screens()


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def raw_codes(text: str) -> list[str]:
    """Raw codes in ``text``, leaving out e-mail addresses and file names (dotted, but words)."""
    text = re.sub(r"\S+@\S+", "", text)
    text = re.sub(r"\S+\.(?:ya?ml|pdf|txt|xlsx|csv|png|jpe?g|docx?)\b", "", text)
    return [m.group(0) for m in RAW_CODE.finditer(text)]


def test_the_review_page_one_part_at_a_time_and_only_changes(page: Page, ids: dict[str, Any]) -> None:
    login(page, REVIEWER)
    page.goto(f"/review/responses/{ids['resubmitted_response']}")
    page.get_by_role("link", name=tr("nb", "Review one part at a time")).click()
    expect(page).to_have_url(re.compile(r"[?&]part=A\b"))
    position = tr("nb", "Part %(number)s of %(total)s", number=1, total=99).replace(" ", r"\s").replace("99", r"\d+")
    expect(page.locator("main").get_by_text(re.compile(f"^{position}$"))).to_have_count(1)
    expect(page.locator("section.review-question[id^='q-B']")).to_have_count(0)  # only part A
    steps = page.get_by_role("navigation", name=re.compile(tr("nb", "Parts"))).first
    expect(steps.get_by_role("link", name=re.compile(r"^←"))).to_have_count(0)  # no part before A
    steps.get_by_role("link", name=re.compile(r"B\. ")).click()
    expect(page).to_have_url(re.compile(r"[?&]part=B\b"))
    expect(page.locator("section.review-question[id^='q-A']")).to_have_count(0)
    expect(page.locator("section.review-question[id^='q-B']").first).to_be_visible()
    page.get_by_role("navigation", name=re.compile(tr("nb", "Parts"))).first.get_by_role(
        "link", name=re.compile(r"A\. ")).click()
    expect(page).to_have_url(re.compile(r"[?&]part=A\b"))

    # The answer and its verdict side by side: saving a part's verdicts keeps the part view.
    first = page.locator("section.review-question").filter(has=page.get_by_role("radio")).first
    first.get_by_role("radio", name=tr("nb", "Meets"), exact=True).check()
    page.get_by_role("button", name=tr("nb", "Save verdicts")).click()
    expect(flash(page)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]part=A\b"))
    first = page.locator("section.review-question").filter(has=page.get_by_role("radio")).first
    expect(first.get_by_role("radio", name=tr("nb", "Meets"), exact=True)).to_be_checked()

    # Only the questions changed since the last submission, each with what changed.
    page.get_by_role("link", name=tr("nb", "Show every part on one page")).click()
    expect(page).not_to_have_url(re.compile(r"part="))
    every = page.locator("section.review-question").count()
    only = page.locator("a.ds-link[href*='changes=only']")
    expect(only).to_have_count(1)
    assert "%(" not in only.inner_text()
    only.click()
    expect(page).to_have_url(re.compile(r"[?&]changes=only\b"))
    shown = page.locator("section.review-question")
    assert 0 < shown.count() < every, (shown.count(), every)
    for question in shown.all():
        expect(question.locator(".review-changes")).to_be_visible()
    # The supplier's reply to round 1 is next to the question it answers (C4) also here.
    expect(page.locator("#q-C4 .review-reply")).to_contain_text(
        tr("nb", "The supplier's reply to clarification round %(number)s", number=1))
    page.get_by_role("link", name=tr("nb", "Show all questions")).click()
    expect(page.locator("section.review-question")).to_have_count(every)


def _download_workbook(page: Page, link: Locator, tmp_path: Path, name: str) -> Any:
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    path = tmp_path / name
    download.save_as(path)
    return load_workbook(path)


def test_answers_download_as_xlsx_from_the_inbox_and_the_round(page: Page, ids: dict[str, Any],
                                                               tmp_path: Path) -> None:
    login(page, REVIEWER)
    page.goto("/review")
    wb = _download_workbook(page, page.get_by_role("link", name=tr("nb", "Download answers (XLSX)")),
                            tmp_path, "inbox.xlsx")
    names = wb.sheetnames
    assert names[0] == tr("nb", "About the export"), names
    assert any(n.startswith(tr("nb", "Answers")) for n in names), names
    # A sheet per table question: production sites (C5) among them.
    assert any(n.startswith("C5 ") for n in names), names
    answers = wb[next(n for n in names if n.startswith(tr("nb", "Answers")))]
    inbox_rows = page.locator("table.inbox-table tbody tr").count()
    assert answers.max_row - 1 == inbox_rows, (answers.max_row, inbox_rows)  # one row per response
    wb.close()

    page.goto(f"/rounds/{ids['round']}")
    wb = _download_workbook(page, page.get_by_role("link", name=tr("nb", "Download answers (XLSX)")),
                            tmp_path, "round.xlsx")
    assert any(n.startswith("C5 ") for n in wb.sheetnames), wb.sheetnames
    suppliers = {str(row[0].value) for row in wb[next(n for n in wb.sheetnames if n.startswith(
        tr("nb", "Answers")))].iter_rows(min_row=2) if row and row[0].value}
    assert suppliers, "the round's workbook has no responses"
    wb.close()


def test_staff_attach_files_to_a_deviation_and_the_supplier_sees_the_visible_one(
        page: Page, ids: dict[str, Any], tmp_path: Path) -> None:
    visible, internal = tmp_path / "revisjonsrapport.txt", tmp_path / "intern-vurdering.txt"
    visible.write_text("Revisjonsrapport mottatt på e-post.", encoding="utf-8")
    internal.write_text("Vår egen vurdering.", encoding="utf-8")
    url = f"/deviations/{ids['supplier_deviation']}"

    login(page, REVIEWER)
    page.goto(url)
    files = page.get_by_role("region", name=tr("nb", "Attach files"))
    files.get_by_role("button", name=tr("nb", "Attach files")).click()  # nothing chosen: refused
    expect(page).to_have_title(re.compile("^" + re.escape(tr("nb", "Error:"))))
    expect(page.get_by_text(tr("nb", "Choose at least one file to attach")).first).to_be_visible()

    files = page.get_by_role("region", name=tr("nb", "Attach files"))
    files.get_by_label(tr("nb", "Files"), exact=True).set_input_files(visible)
    files.get_by_label(tr("nb", "Note about the files")).fill("Revisjonsrapport fra leverandørens revisor.")
    files.get_by_role("checkbox", name=tr("nb", "Internal: only municipal staff see these files and the note")).uncheck()
    files.get_by_role("button", name=tr("nb", "Attach files")).click()
    expect(flash(page)).to_contain_text(tr("nb", "%(num)s file is attached.", num=1))
    files = page.get_by_role("region", name=tr("nb", "Attach files"))
    files.get_by_label(tr("nb", "Files"), exact=True).set_input_files(internal)
    expect(files.get_by_role("checkbox", name=re.compile(tr("nb", "Internal")))).to_be_checked()  # the default
    files.get_by_role("button", name=tr("nb", "Attach files")).click()
    expect(page.get_by_role("link", name=visible.name)).to_be_visible()
    expect(page.get_by_role("link", name=internal.name)).to_be_visible()
    logout(page)

    login(page, SUPPLIER)
    page.goto(url)
    link = page.get_by_role("link", name=visible.name)
    expect(link).to_be_visible()
    expect(page.get_by_text("Revisjonsrapport fra leverandørens revisor.")).to_be_visible()
    expect(page.get_by_role("link", name=internal.name)).to_have_count(0)
    with page.expect_download() as info:
        link.click()
    assert Path(info.value.path()).read_text(encoding="utf-8") == "Revisjonsrapport mottatt på e-post."


def _audit_cells(page: Page, column: int) -> list[str]:
    return [t.strip() for t in page.locator(f"table.audit-table tbody tr td:nth-child({column})").all_inner_texts()]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_history_and_audit_log_are_in_words(page: Page, ids: dict[str, Any], lang: str) -> None:
    # The reviewer accepts a response: the follow-up activity that records is done by Aktsom.
    login(page, ACCOUNTS[("reviewer", lang)])
    page.goto(f"/review/responses/{ids['submitted_response']}")
    accept_response(page, lang)
    page.get_by_role("link", name=tr(lang, "History of the response")).click()
    expect(heading(page)).to_have_text(re.compile("^" + re.escape(tr(lang, "History: %(supplier)s", supplier="X")
                                                                  .split("X")[0])))
    table = page.locator("table.audit-table")
    expect(table).to_be_visible()
    assert not raw_codes(table.inner_text()), raw_codes(table.inner_text())[:10]
    assert all(_audit_cells(page, 3)), "an event without words for what happened"
    events = list(zip(_audit_cells(page, 2), _audit_cells(page, 3), strict=True))
    reviewer = page.locator("header").get_by_text(re.compile(r"\(demo\)")).first.inner_text().strip()
    assert ("Aktsom", tr(lang, "Follow-up activity recorded")) in events, events
    assert any(who == reviewer for who, _what in events), (reviewer, events)
    logout(page)

    login(page, ACCOUNTS[("admin", lang)])
    page.goto("/review/audit")
    expect(heading(page)).to_have_text(tr(lang, "Audit log"))
    assert not raw_codes(page.locator("table.audit-table").inner_text())
    # What the system did itself is shown as done by Aktsom, and found by that name.
    page.get_by_label(tr(lang, "Who"), exact=True).select_option(label="Aktsom")
    page.get_by_role("button", name=tr(lang, "Filter")).click()
    expect(page).to_have_url(re.compile(r"actor=system"))
    who = set(_audit_cells(page, 2))
    assert who == {"Aktsom"}, who
    # A person's own actions are under the person's name, never Aktsom.
    choose = page.get_by_label(tr(lang, "Who"), exact=True)
    option = next(o for o in choose.locator("option").all_inner_texts() if o.strip().startswith(reviewer))
    choose.select_option(label=option.strip())
    page.get_by_role("button", name=tr(lang, "Filter")).click()
    who = set(_audit_cells(page, 2))
    assert who == {reviewer}, who
