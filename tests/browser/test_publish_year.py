"""Issue 16 in a browser: a buyer administrator publishes a year's report, later edits do not
change it, and what changed is listed.

The administrator of the demo municipality types a site name into the public 4.A.1 text and
is warned before publishing; writes a clean text and publishes 2024; the reviewer records a
follow-up activity dated 2024 afterwards; the report page still shows the published version
first with the figures it was published with, the change is listed, and the live figures are
one click away. Only pages are used; the starting records are the demo data.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from portal.questionnaires.samples import SITES
from tests.browser.helpers import ADMIN, _catalog, login, logout, tr

YEAR = 2024
LANG = "nb"


#: The published figures on the page; the stored files (made by a job after the commit) are
#: checked against them in tests/reports/test_publishing.py.
FIGURES = ("#section-key", "#section-4a1", "#section-4a2", "#section-4a3")


def _published_figures(page: Page) -> list[str]:
    return [page.locator(selector).inner_text() for selector in FIGURES]


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
    stored = _published_figures(page)

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
    assert _published_figures(page) == stored

    page.get_by_role("link", name=tr(LANG, "Show the live figures")).click()
    expect(page.get_by_text(re.compile(re.escape(
        tr(LANG, "These are the live figures. Version %(version)s of this report was published on %(date)s.",
           version=1, date="").rstrip(". "))))).to_be_visible()
    # Let the job that stores the version's files finish before the next test empties the
    # database under it (it runs in this process after the publishing response).
    page.goto(f"/reports?year={YEAR}")
    downloads = page.locator("#section-downloads a[href*='/reports/published/']")
    for _ in range(120):
        if downloads.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    logout(page)
