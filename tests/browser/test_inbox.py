"""The reviewer's inbox in a real browser: what needs action first, search, filter, sorting
by a column heading, a bulk reminder; axe at 1280 and 375 px, and screenshots of both widths
in Norwegian and English kept under test-results/ as an artefact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from portal.i18n import collation_key
from tests.browser.helpers import REVIEWER, assert_no_axe_violations, login, tr

SHOTS = Path("test-results") / "screens"


def rows(page: Page) -> Locator:
    return page.locator("table.inbox-table tbody tr")


def suppliers(page: Page) -> list[str]:
    return [name.strip() for name in rows(page).locator("td:nth-child(2) a").all_inner_texts()]


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_inbox_filters_searches_sorts_and_reminds(page: Page, demo_world: Any) -> None:
    login(page, REVIEWER)
    page.goto("/review")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("nb", "Responses to review"))
    # What needs action: every row is waiting for review or overdue.
    waiting = {"Sendt inn", "Sendt inn på nytt"}
    for row in rows(page).all():
        status = row.locator("td:nth-child(5)").inner_text().strip()
        assert status in waiting or tr("nb", "Overdue") in row.inner_text(), status
    needs_action = rows(page).count()
    assert_no_axe_violations(page)
    shoot(page, "review-inbox-nb")

    # Every status, through the filter form.
    page.get_by_label(tr("nb", "Status"), exact=True).select_option("all")
    page.get_by_role("button", name=tr("nb", "Filter")).click()
    expect(page).to_have_url(re.compile(r"status=all"))
    assert rows(page).count() > needs_action

    # Sorting by a column heading: a link, with aria-sort on the heading it sorts by.
    page.get_by_role("link", name=tr("nb", "Supplier"), exact=True).click()
    header = page.get_by_role("columnheader", name=tr("nb", "Supplier"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    names = suppliers(page)
    assert names == sorted(names, key=lambda n: collation_key(n, "nb"))
    page.get_by_role("link", name=tr("nb", "Supplier"), exact=True).click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert suppliers(page) == names[::-1]
    assert page.locator("th[aria-sort]").count() == 1

    # Search keeps the status filter and the sorting.
    page.get_by_label(tr("nb", "Search"), exact=True).fill("solfanger")
    page.get_by_role("button", name=tr("nb", "Filter")).click()
    assert set(suppliers(page)) == {"Solfanger Energi AS (demo)"}
    expect(page).to_have_url(re.compile(r"sort=-supplier"))

    # A bulk reminder for one overdue response that is not started.
    page.goto("/review?q=datapartner")
    row = rows(page).first
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name=tr("nb", "Send a reminder")).click()
    expect(page.get_by_role("status")).to_contain_text("Påminnelse er sendt for 1 svar")

    # Nothing selected: an error summary that links to the first checkbox.
    page.get_by_role("button", name=tr("nb", "Send a reminder")).click()
    expect(page).to_have_title(re.compile("^Feil:"))
    page.get_by_role("link", name=tr("nb", "Select at least one response in the list")).click()
    expect(page.locator("#responses")).to_be_focused()
    assert_no_axe_violations(page)


def test_the_inbox_in_english(page: Page, demo_world: Any) -> None:
    login(page, REVIEWER)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/review?status=all&sort=light")
    expect(page.get_by_role("columnheader", name=tr("en", "Traffic light"))).to_have_attribute(
        "aria-sort", "ascending")
    # British dates: day before month ("30 Sept 2024").
    deadline = rows(page).first.locator("td:nth-child(6)").inner_text()
    assert re.match(r"\d{1,2} [A-Z][a-z]{2,4} \d{4}", deadline), deadline
    assert_no_axe_violations(page)
    shoot(page, "review-inbox-en")
    page.goto("/review")  # back to Norwegian for the next test's account
    page.get_by_role("button", name="Norsk (bokmål)").click()
