"""Issue 16 in a browser: a buyer administrator publishes a year's report, later edits do not
change it, and what changed is listed.

The administrator of the demo municipality types a site name into the public 4.A.1 text and
is warned before publishing; writes a clean text and publishes 2024; the reviewer records a
follow-up activity dated 2024 afterwards; the report page still shows the published version
first, its stored JSON is byte for byte what it was, the change is listed, and the live
figures are one click away. Only pages are used; the starting records are the demo data.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from portal.questionnaires.samples import SITES
from tests.browser.helpers import ADMIN, _catalog, login, logout, tr

YEAR = 2024
LANG = "nb"


def _published_json(page: Page) -> bytes:
    """The published version's stored JSON, once the job has made the files (a page reload
    shows them: "the files are being made and appear here shortly")."""
    link = page.locator("a[href*='/reports/published/'][href$='.json'], a[href*='/reports/published/'][href*='.json?']").first
    for _ in range(90):
        if link.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    href = link.get_attribute("href")
    assert href
    response = page.request.get(href)
    assert response.ok, href
    return response.body()


def test_a_published_year_stays_as_published_and_lists_what_changed(page: Page, demo_world: Any) -> None:
    login(page, ADMIN)
    page.goto(f"/reports?year={YEAR}")
    text = page.get_by_label(tr(LANG, "Text for 4.A.1"))

    # A site name in the public text is named in a warning (the site is the demo's C5 answer
    # and in the supplier's register): before anything is published.
    site = SITES[0][0]
    text.fill(f"Fagansvarlig fulgte opp {site} i {YEAR}.")
    page.get_by_role("button", name=tr(LANG, "Save")).first.click()
    expect(page.get_by_text(re.compile(re.escape(site)), exact=False).first).to_be_visible()
    warning = page.locator(".ds-alert").filter(has_text=site)
    expect(warning.first).to_be_visible()

    page.get_by_label(tr(LANG, "Text for 4.A.1")).fill(
        "Fagansvarlig for etisk handel følger opp leverandørene på avtalene med kontraktsvilkår.")
    page.get_by_role("button", name=tr(LANG, "Save")).first.click()
    expect(page.get_by_text(tr(LANG, "The text for 4.A.1 was saved."))).to_be_visible()

    page.get_by_role("button", name=tr(LANG, "Publish the %(year)s report", year=YEAR)).click()
    published = re.compile("^" + re.escape(tr(
        LANG, "Published version %(version)s, by %(name)s on %(when)s. Statuses are as of %(date)s. This is "
        "the report as it was published; later changes to the records do not change it.",
        version=1, name="§", when="§", date="§")).split("§")[0])
    expect(page.get_by_text(published)).to_be_visible()
    expect(page.get_by_text(tr(LANG, "Nothing in the report has changed since publication."))).to_be_visible()
    stored = _published_json(page)

    # A follow-up activity of the year recorded after publication.
    page.goto("/review/activities/new")
    page.get_by_label(tr(LANG, "Kind of activity")).select_option(index=1)
    page.get_by_label(tr(LANG, "Date"), exact=True).fill(f"{YEAR}-12-01")
    page.get_by_label(tr(LANG, "Agreement")).select_option(index=1)
    page.get_by_label(tr(LANG, "Supplier")).select_option(index=1)
    page.get_by_role("button", name=tr(LANG, "Record activity")).click()
    expect(page).not_to_have_url(re.compile(r"/activities/new"))

    page.goto(f"/reports?year={YEAR}")
    expect(page.get_by_text(published)).to_be_visible()
    added = _catalog(LANG).ngettext("%(num)s follow-up activity added",
                                    "%(num)s follow-up activities added", 1) % {"num": 1}
    expect(page.get_by_text(added)).to_be_visible()
    assert _published_json(page) == stored

    page.get_by_role("link", name=tr(LANG, "Show the live figures")).click()
    expect(page.get_by_text(re.compile(re.escape(
        tr(LANG, "These are the live figures. Version %(version)s of this report was published on %(date)s.",
           version=1, date="").rstrip(". "))))).to_be_visible()
    logout(page)
