"""The sign-in page in a real browser: language, axe, reflow at 320 px and the keyboard."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_login_page_is_norwegian_accessible_and_reflows(page: Page, world) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Logg inn")
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Hopp til hovedinnholdet")
