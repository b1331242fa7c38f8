"""A clarification round in a real browser: the reviewer reads the supplier's reply next to the
question it answers and in the list of rounds; axe at 1280 and 375 px in nb and en, with
screenshots kept in test-results/clarification-screens/ for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import assert_no_axe_violations, login, tr
from tests.browser.screens import ACCOUNTS, prepare_screens

SHOTS = Path("test-results") / "clarification-screens"
#: The reply the demo's resubmitted response sent with its answer to round 1 (on C4).
DEMO_REPLY = "Vi har nå kartlagt bananene helt tilbake til plantasjene i Ecuador og Colombia."


@pytest.fixture
def ids(demo_world: Any) -> dict[str, Any]:
    return prepare_screens()


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_reviewer_reads_the_reply_next_to_its_question(browser: Browser, browser_context_args: dict[str, Any],
                                                           ids: dict[str, Any], lang: str) -> None:
    for width in (1280, 375):
        context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 900},
                                         "locale": "nb-NO" if lang == "nb" else "en-GB"})
        page = context.new_page()
        login(page, ACCOUNTS[("reviewer", lang)])
        page.goto(f"/review/responses/{ids['resubmitted_response']}?part=C")
        reply = page.locator("#q-C4 .review-reply")
        expect(reply).to_contain_text(tr(lang, "The supplier's reply to clarification round %(number)s", number=1))
        expect(reply).to_contain_text(DEMO_REPLY)
        expect(page.locator(".clarification-replies")).to_contain_text(DEMO_REPLY)
        assert_no_axe_violations(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"review-reply-{lang}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
