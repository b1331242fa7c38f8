"""The supplier's part, and the reviewer's review page, by keyboard only: Tab, Shift+Tab, Space, Enter and the arrow keys.

No clicks and no ``fill``: the test goes to the sign-in page, and from there every step
is a key press. It signs in, opens this year's response, answers section C (radios, a
table row with text, a list and a number) and saves. Along the way it checks that the
skip link moves focus to the main content and that the focused element always shows a
focus indicator (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.helpers import REVIEWER, SUPPLIER, focus_is_visible, login, tr
from tests.browser.screens import prepare_screens

AGREEMENT = "Arbeidstøy til teknisk sektor"
ROUND = "Oppfølging 2026"
SITE = "Tastatur Textiles Ltd"
MAX_TABS = 80

FOCUSED = """() => {
    const el = document.activeElement;
    // Focus on nothing: the same keys, so that a test's matcher reads '' rather than failing.
    if (!el || el === document.body) return {tag: 'body', id: '', type: '', text: '', label: '',
                                             value: '', checked: false, row: '', group: '', href: ''};
    const label = el.labels && el.labels.length ? el.labels[0].innerText.trim() : '';
    const row = el.closest('tr') || el.closest('.request-card');
    const legend = el.closest('fieldset') ? el.closest('fieldset').querySelector('legend') : null;
    return {
        tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute('type') || '',
        text: (el.innerText || '').trim(), label: label, value: el.value === undefined ? '' : el.value,
        checked: !!el.checked, row: row ? row.innerText.replace(/\\s+/g, ' ') : '',
        group: legend ? legend.innerText.trim() : '', href: el.getAttribute('href') || '',
    };
}"""


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, matches: Any, *, backwards: bool = False, what: str = "",
           limit: int = MAX_TABS) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until ``matches(focused)``; every stop must show its focus."""
    key = "Shift+Tab" if backwards else "Tab"
    page.wait_for_load_state("load")  # styles applied before focus styles are read
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        seen.append(f"{info.get('tag')}#{info.get('id')} {info.get('text') or info.get('label')}"[:70])
        # <main tabindex=-1> is the skip link's target (focused, never a Tab stop): no ring.
        if info["tag"] not in ("body", "main"):
            assert focus_is_visible(page), f"no visible focus on {seen[-1]}; focus went through: {seen}"
        if matches(info):
            return info
    raise AssertionError(f"{key} never reached {what}; focus went through: {seen}")


def test_supplier_answers_a_section_by_keyboard_only(page: Page, demo_world: Any) -> None:
    page.set_default_timeout(10_000)
    page.goto("/login")

    # The skip link is the first stop and moves focus to the main content.
    page.keyboard.press("Tab")
    info = focused(page)
    assert info["text"] == "Hopp til hovedinnholdet", info
    # Hidden until focused, it then shows as a full-width bar (its focus indicator).
    box = page.get_by_role("link", name="Hopp til hovedinnholdet").bounding_box()
    assert box, "the focused skip link has no box"
    assert box["width"] > 100, f"the focused skip link is not shown: {box}"
    assert box["height"] > 20, f"the focused skip link is not shown: {box}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Sign in: the next Tab from main is the e-mail field.
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "E-post"
    assert focus_is_visible(page)
    page.keyboard.type(SUPPLIER)
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Passord"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/company/(#main)?$"))

    # This year's response, from its card under «To do»: one action, named after the agreement.
    tab_to(page, lambda f: f["tag"] == "a" and AGREEMENT in f["text"] and ROUND in f["row"],
           what=f"the action for {AGREEMENT} in {ROUND}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(AGREEMENT)
    tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith("C. "), what="section C")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("C. Kartlegging og risikovurdering")

    # C1: Tab into the yes/no group, Space chooses «Ja».
    info = tab_to(page, lambda f: f["type"] == "radio" and f["id"] == "q-C1-answer", what="C1 «Ja»")
    assert info["label"] == "Ja"
    page.keyboard.press("Space")
    assert focused(page)["checked"]

    # C4: the arrow keys move the choice within the group.
    tab_to(page, lambda f: f["type"] == "radio" and f["id"].startswith("q-C4-answer"), what="C4")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    info = focused(page)
    assert info["label"] == "Sluttproduksjon og komponenter", info
    assert info["checked"], info
    # Shift+Tab goes back out of the group to where we came from (C3's last checkbox).
    info = tab_to(page, lambda f: f["type"] == "checkbox", backwards=True, what="back to C3")
    assert info["id"].startswith("q-C3-answer"), info

    # C5: add a production site with the plain «add a row» button.
    add_row = tr("nb", "Add a row: %(row)s", row="produksjonssted")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == add_row, what="the add-row button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Produksjonssted 1")).to_be_visible()
    # The page returns to the new row: the next Tab is its first field.
    info = tab_to(page, lambda f: f["id"].endswith("-site_name"), what="the new row's first field")
    assert info["label"] == "Navn på produksjonssted", info
    page.keyboard.type(SITE)
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Adresse"
    page.keyboard.type("Tastaturveien 1")
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "By/region"
    page.keyboard.type("Dhaka")
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Land"
    assert focused(page)["tag"] == "select"
    page.keyboard.type("Bangla")  # a closed list chooses by typing
    assert focused(page)["value"] == "BD"
    info = tab_to(page, lambda f: f["type"] == "radio" and "-tier" in f["id"], what="the tier group")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    info = focused(page)
    assert info["label"] == "Sluttproduksjon / montering", info
    assert info["checked"], info
    tab_to(page, lambda f: f["id"].endswith("-products"), what="products")
    page.keyboard.type("Varselklær")
    tab_to(page, lambda f: f["id"].endswith("-workers_total"), what="number of workers")
    page.keyboard.type("250")

    # Save with the visible button.
    info = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Lagre", what="Lagre")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Lagret")
    row = page.get_by_role("group", name=re.compile(f"Produksjonssted 1: {SITE}"))
    expect(row.get_by_label("Land", exact=True)).to_have_value("BD")
    expect(row.get_by_label("Antall arbeidere", exact=True)).to_have_value("250")
    expect(page.get_by_role("region", name=re.compile("^C1 ")).get_by_role("radio", name="Ja", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="Sluttproduksjon og komponenter")).to_be_checked()


# The reviewer's review page, one part at a time, and the supplier's reply field (issue 15).


@pytest.fixture
def ids(demo_world: Any) -> dict[str, Any]:
    return prepare_screens()


def _starts(lang: str, message: str, **params: Any) -> str:
    """The words of ``message`` before its first parameter ("Next part: %(part)s" → "Neste del: ")."""
    return tr(lang, message, **{key: "\x00" for key in params}).split("\x00")[0]


def test_reviewer_reviews_a_part_by_keyboard_only(page: Page, ids: dict[str, Any]) -> None:
    page.set_default_timeout(10_000)
    login(page, REVIEWER)
    page.goto(f"/review/responses/{ids['resubmitted_response']}?part=A")
    expect(page).to_have_url(re.compile(r"part=A"))

    # The first verdict: Tab into its group, Space chooses the first, the arrow moves the choice.
    first = tab_to(page, lambda f: f["type"] == "radio" and "verdict" in f["id"], what="the first verdict")
    assert first["group"].startswith(tr("nb", "Verdict")), first
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    chosen = focused(page)
    assert chosen["checked"], chosen
    assert chosen["label"] != first["label"], (first, chosen)
    # The comment to the supplier follows the verdict; then «Save verdicts» by Enter.
    tab_to(page, lambda f: f["tag"] == "textarea", what="the comment to the supplier")
    page.keyboard.type("Oppgi stillingen til kontaktpersonen.")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == tr("nb", "Save verdicts"), what="Save verdicts")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page).to_have_url(re.compile(r"part=A"))
    expect(page.locator(f"#{chosen['id']}")).to_be_checked()
    expect(page.get_by_role("textbox").filter(has_text="Oppgi stillingen til kontaktpersonen.")).to_have_count(1)

    # Next and previous part: links reached by Tab and followed by Enter.
    page.goto(page.url.split("#")[0])  # focus from the top of the page
    tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith(_starts("nb", "Next part: %(part)s", part="")),
           what="the next part")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"part=B"))
    expect(page.locator("section.review-question[id^='q-B']").first).to_be_visible()
    info = tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith(
        "← " + _starts("nb", "Previous part: %(part)s", part="")), what="the previous part")
    assert info["text"].endswith("A. Leverandør og avtale"), info
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"part=A"))


def test_supplier_replies_to_a_reopened_question_by_keyboard_only(page: Page, ids: dict[str, Any]) -> None:
    page.set_default_timeout(10_000)
    login(page, SUPPLIER)
    page.goto(f"/responses/{ids['returned_response']}")
    # «What you need to answer» links to the reopened question; the reply field is the first
    # stop after it, under the reviewer's comment and before C5's table of three production
    # sites (about 25 stops a row), which the Tab then crosses on the way to «Lagre».
    tab_to(page, lambda f: f["tag"] == "a" and f["text"].startswith("C5 ") and "#q-C5" in f["href"],
           what="C5 under «What you need to answer»")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sections/C#q-C5$"))
    # Tab goes on from the link's target once the browser has scrolled to it; on a busy
    # machine a Tab pressed before that started from the top of the page (focus on body).
    expect(page.locator("#q-C5")).to_be_in_viewport()
    label = tr("nb", "Your reply to the reviewer on %(question)s", question="C5")
    info = tab_to(page, lambda f: f["id"] == "reply-C5", what="the reply field under C5", limit=1)
    assert info["label"].startswith(label), info
    page.keyboard.press("Control+A")
    page.keyboard.type("Vi har lagt til produksjonsstedet i Dhaka.")
    info = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Lagre", what="Lagre", limit=250)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Lagret")
    expect(page.get_by_label(label)).to_have_value("Vi har lagt til produksjonsstedet i Dhaka.")
