"""The supplier's yearly task screens in a real browser: keyboard reach, check your answers, axe,
and screenshots at 1280 and 375 px in nb and en (kept in test-results/supplier-screens/).

The screenshots are for a person to look at, not compared by the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import SUPPLIER, assert_no_axe_violations, login, tr
from tests.browser.screens import ACCOUNTS, prepare_screens

SHOTS = Path("test-results") / "supplier-screens"
#: Tab presses from a freshly loaded section page to its first answer. It was 17 when the
#: section list stood open above the questions; the closed jump list is one stop.
MAX_TABS_TO_FIRST_ANSWER = 10

FOCUSED = """() => {
    const el = document.activeElement;
    return {tag: el.tagName.toLowerCase(), id: el.id || '', inForm: !!el.closest('.questionnaire-form'),
            text: (el.innerText || el.value || '').trim().slice(0, 60)};
}"""


@pytest.fixture
def ids(demo_world: Any) -> dict[str, Any]:
    return prepare_screens()


def _tabs_to_first_answer(page: Page) -> tuple[int, list[str]]:
    seen = []
    for presses in range(1, 60):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUSED)
        seen.append(f"{info['tag']}#{info['id']} {info['text']}")
        if info["inForm"] and info["tag"] in ("input", "select", "textarea") and info["id"].startswith("q-"):
            return presses, seen
    raise AssertionError(f"Tab never reached an answer: {seen}")


def test_the_first_answer_is_a_few_tabs_away_also_at_200_percent(browser: Browser, browser_context_args: dict[str, Any],
                                                                  ids: dict[str, Any]) -> None:
    # 200 % zoom of a 1280 × 900 window: 640 × 450 CSS pixels at device scale 2.
    for viewport, scale in (({"width": 1280, "height": 900}, 1), ({"width": 640, "height": 450}, 2)):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport, "device_scale_factor": scale})
        page = context.new_page()
        login(page, SUPPLIER)
        path = f"/responses/{ids['open_response']}/sections/B"
        page.goto(path)
        expect(page.get_by_text(tr("nb", "Part %(number)s of %(total)s", number=2, total=9))).to_be_visible()
        # The first question starts on the first screen at 100 % and within the second at 200 %.
        top = page.locator(".question").first.bounding_box()
        assert top is not None
        print(f"viewport {viewport['width']}×{viewport['height']} @{scale}x: first question at y={top['y']:.0f}")
        assert top["y"] < (1 if scale == 1 else 2) * viewport["height"], top
        presses, seen = _tabs_to_first_answer(page)
        print(f"  {presses} Tab presses to the first answer: {seen}")
        assert presses <= MAX_TABS_TO_FIRST_ANSWER, seen
        # With the skip link: Tab, Enter, then the breadcrumb and the jump list before the answer.
        page.goto(path)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        presses, seen = _tabs_to_first_answer(page)
        print(f"  after the skip link: {presses} Tab presses: {seen}")
        assert presses <= 3, seen
        # The jump list is closed, and opens to every part.
        jump = page.locator("details.section-jump")
        expect(jump).not_to_have_attribute("open", "")
        jump.locator("summary").click()
        expect(jump.get_by_role("link", name="C. Kartlegging og risikovurdering")).to_be_visible()
        context.close()


def _shoot(page: Page, name: str, lang: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width} px"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_new_supplier_screens_are_accessible_at_both_widths(browser: Browser, browser_context_args: dict[str, Any],
                                                            ids: dict[str, Any], lang: str) -> None:
    for width in (1280, 375):
        context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 900},
                                         "locale": "nb-NO" if lang == "nb" else "en-GB"})
        page = context.new_page()
        login(page, ACCOUNTS[("supplier", lang)])
        expect(page.locator("html")).to_have_attribute("lang", lang)
        screens = {
            "start-page": "/company/",
            "section-part-progress": f"/responses/{ids['filled_response']}/sections/C",
            "check-your-answers": f"/responses/{ids['filled_response']}/submit",
            "returned-what-to-answer": f"/responses/{ids['returned_response']}",
            "section-returned": f"/responses/{ids['returned_response']}/sections/A",
            # C5 is reopened: the reply to the reviewer under it (the demo has a draft reply).
            "section-returned-reply": f"/responses/{ids['returned_response']}/sections/C",
            # Number questions with examples in the user's language.
            "section-numbers": f"/responses/{ids['filled_response']}/sections/B",
            "company-answers": f"/company/answers/2026/{ids['company_version']}/sections/B",
            # The company answers' overview: the years, then one year's sections and the responses using them.
            "company-answers-years": "/company/answers/",
            "company-answers-overview": f"/company/answers/2026/{ids['company_version']}",
            # A response section with company questions (B): their answers shown read-only.
            "section-company-read-only": f"/responses/{ids['company_response']}/sections/B",
        }
        for name, path in screens.items():
            page.goto(path)
            if name == "section-part-progress":
                page.locator("details.section-jump summary").click()  # the open state too
            assert_no_axe_violations(page)
            _shoot(page, name, lang, width)
        context.close()


def test_check_your_answers_then_submit_by_keyboard(page: Page, ids: dict[str, Any]) -> None:
    login(page, SUPPLIER)
    page.goto(f"/responses/{ids['filled_response']}/submit")
    answers = page.get_by_role("region", name=tr("nb", "Your answers"))
    expect(answers.get_by_role("heading", level=3)).to_have_count(8)  # A–H; I is signed below
    # «Endre» for part B by keyboard lands on part B.
    change_b = answers.get_by_role("link", name=f"{tr('nb', 'Change')} {tr('nb', 'part %(part)s', part='B')}")
    change_b.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^B\. "))
    page.go_back()
    box = page.get_by_role("checkbox", name="Jeg bekrefter erklæringen ovenfor")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # The filled demo response has an invalid answer in C: refused, nothing lost, with links to it.
    expect(page).to_have_title(re.compile(r"^Feil: "))
    attention = page.get_by_role("region", name=tr("nb", "Answers that need attention"))
    expect(attention.get_by_role("link", name=re.compile(r"^C6 "))).to_be_visible()
    assert_no_axe_violations(page)
