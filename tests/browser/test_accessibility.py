"""Every page type, in Norwegian and English, signed in as each role: axe and the page contract.

For each screen (tests/browser/screens.py) and language:

* axe-core with the WCAG 2.0/2.1 A and AA rules finds nothing (the report is printed).
  Colour contrast is checked on every page in Norwegian; the English pass runs every
  other rule (contrast comes from the stylesheet, and it is 90 % of axe's time);
* no id is used twice (HTMLCS checks this under 4.1.1, axe no longer does);
* exactly one ``<h1>``; ``<html lang>`` is the language of the page;
* the browser reports no Content-Security-Policy violation;
* at 320 CSS px the page does not scroll sideways (WCAG 1.4.10; wide tables scroll
  inside their own ``.table-scroll`` region by design), and at the desktop width of
  1280 px no table scrolls because one cell will not wrap;
* a screen that presses a button (a form sent empty) shows an error summary.

The pages are scanned once, up front, by one signed-in page per role and language:
while axe works in one page's renderer, the next page loads in another, so the two
cores are both busy. Each test then reports its own screen. On a problem the page's HTML
and a screenshot are kept in test-results/a11y-<test id>/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.base import AxeResults
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page

from portal.extensions import db
from tests.browser.helpers import (
    WCAG,
    ConsoleWatch,
    duplicate_ids,
    h1_count,
    html_lang,
    install_axe,
    login,
    scroll_width_at,
    tables_pushed_wide,
    tr,
    wider_than,
)
from tests.browser.screens import ACCOUNTS, SCREENS, Screen, prepare_screens

LANGS = ("nb", "en")
BROWSER_LOCALE = {"nb": "nb-NO", "en": "en-GB"}

#: Let the pages take turns (axe runs in one while the next loads in another); False
#: scans one page at a time.
PIPELINE = True

#: Also run color-contrast in English (about doubles this module's time on two cores).
FULL_AXE_IN_ENGLISH = False

#: Known defects waiting for a fix in the app: (screen name, lang or "*") → reason. Such a
#: test is marked xfail (not strict: reflow depends on text length, so a page may pass in
#: one language); remove the entry when the page is fixed. Empty: every finding is fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _params() -> list[Any]:
    params = []
    for lang in LANGS:
        for screen in SCREENS:
            if lang != "nb" and not screen.en:
                continue
            marks = []
            reason = KNOWN.get((screen.name, lang)) or KNOWN.get((screen.name, "*"))
            if reason:
                marks.append(pytest.mark.xfail(strict=False, reason=reason))
            params.append(pytest.param(screen, lang, id=f"{lang}-{screen.role}-{screen.name}", marks=marks))
    return params


PARAMS = _params()


@pytest.fixture(scope="module")
def screen_ids(live_app: Flask, demo_snapshot: Any) -> Iterator[dict[str, Any]]:
    with live_app.app_context():
        demo_snapshot()
        ids = prepare_screens()
        db.session.remove()
    # Let the browser cache the stylesheets and fonts instead of asking for each one again.
    max_age = live_app.config.get("SEND_FILE_MAX_AGE_DEFAULT")
    live_app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    yield ids
    live_app.config["SEND_FILE_MAX_AGE_DEFAULT"] = max_age


@dataclass
class Worker:
    """One signed-in page working through the screens of its role and language."""

    context: BrowserContext
    page: Page
    console: ConsoleWatch
    queue: list[tuple[Screen, str]] = field(default_factory=list)
    current: tuple[Screen, str] | None = None
    problems: list[str] = field(default_factory=list)


def _open(worker: Worker, screen: Screen, lang: str, ids: dict[str, Any]) -> None:
    page = worker.page
    worker.console.messages.clear()
    response = page.goto(screen.url(ids))
    assert response is not None
    expected = 200 if screen.press else screen.status
    if response.status != expected:
        worker.problems.append(f"{screen.url(ids)} answered {response.status}, expected {expected}")
    if screen.press:
        button = page.locator("main").get_by_role("button", name=tr(lang, screen.press), exact=True).first
        with page.expect_navigation():
            button.click()
        if not page.locator(".ds-error-summary").count():
            worker.problems.append(f"pressing «{tr(lang, screen.press)}» showed no error summary")
    page.wait_for_load_state("load")


def _start_axe(page: Page, lang: str) -> None:
    options = WCAG if lang == "nb" or FULL_AXE_IN_ENGLISH else {
        **WCAG, "rules": {"color-contrast": {"enabled": False}}}
    page.evaluate("""([options, DONE]) => {
        window.__axeResult = null;
        window.__axeError = null;
        // The console message tells the test it is done, without asking a busy page.
        axe.run(document, options).then(r => { window.__axeResult = r; console.debug(DONE); },
                                        e => { window.__axeError = String(e); console.debug(DONE); });
    }""", [options, AXE_DONE])


AXE_DONE = "aktsom-axe-done"


def _axe_result(worker: Worker) -> dict[str, Any] | None:
    if AXE_DONE not in worker.console.messages:
        return None
    return worker.page.evaluate("() => window.__axeError ? {error: window.__axeError} : window.__axeResult")


def _contract(worker: Worker, lang: str, viewport: dict[str, int]) -> None:
    page = worker.page
    if dupes := duplicate_ids(page):
        worker.problems.append(f"duplicate ids: {dupes}")
    if (count := h1_count(page)) != 1:
        worker.problems.append(f"{count} <h1> elements, expected exactly one")
    if (found := html_lang(page)) != lang:
        worker.problems.append(f'<html lang="{found}">, expected "{lang}"')
    if worker.console.csp_violations:
        worker.problems.append(f"CSP violations: {worker.console.csp_violations}")
    if wide := tables_pushed_wide(page):
        worker.problems.append(f"tables scroll sideways at {viewport['width']} px: {wide}")
    width = scroll_width_at(page, 320)
    if width > 320:
        page.set_viewport_size({"width": 320, "height": 800})
        worker.problems.append(f"scrolls sideways at 320 px (scrollWidth {width}): {wider_than(page, 320)}")
        page.set_viewport_size(viewport)


def _keep_evidence(page: Page, test_id: str) -> None:
    folder = Path("test-results") / f"a11y-{test_id}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / "page.html").write_text(page.content(), encoding="utf-8")
        page.screenshot(path=str(folder / "failure.png"), full_page=True)
    except Exception:  # noqa: BLE001, S110 - best effort
        pass


@pytest.fixture(scope="module")
def scan(browser: Browser, browser_context_args: dict[str, Any],
         screen_ids: dict[str, Any]) -> Iterator[dict[str, list[str]]]:
    """Every screen's problems, by test id, found by the workers taking turns."""
    viewport = browser_context_args["viewport"]
    workers: dict[tuple[str, str], Worker] = {}
    for param in PARAMS:
        screen, lang = param.values
        key = (screen.role, lang)
        if key not in workers:
            context = browser.new_context(**{**browser_context_args, "locale": BROWSER_LOCALE[lang]})
            context.set_default_timeout(15_000)
            install_axe(context)
            page = context.new_page()
            if screen.role != "anonymous":
                login(page, ACCOUNTS[key])
            workers[key] = Worker(context, page, ConsoleWatch().attach(page))
        workers[key].queue.append((screen, lang))

    found: dict[str, list[str]] = {}
    busy = True
    while busy:
        busy = False
        for worker in workers.values():
            others_busy = any(w.current for w in workers.values() if w is not worker)
            if worker.current is None and worker.queue and (PIPELINE or not others_busy):
                worker.current = worker.queue.pop(0)
                worker.problems = []
                screen, lang = worker.current
                _open(worker, screen, lang, screen_ids)
                _start_axe(worker.page, lang)
            if worker.current is None:
                continue
            busy = True
            result = _axe_result(worker)
            if result is None:
                continue
            screen, lang = worker.current
            if "error" in result:
                worker.problems.append(f"axe failed: {result['error']}")
            elif result["violations"]:
                worker.problems.append(AxeResults(result).generate_report())
            _contract(worker, lang, viewport)
            test_id = f"{lang}-{screen.role}-{screen.name}"
            if worker.problems:
                _keep_evidence(worker.page, test_id)
            found[test_id] = [f"{worker.page.url}", *worker.problems] if worker.problems else []
            worker.current = None
        if busy:
            next(iter(workers.values())).page.wait_for_timeout(20)
    yield found
    for worker in workers.values():
        worker.context.close()


@pytest.mark.parametrize(("screen", "lang"), PARAMS)
def test_page_is_accessible(screen: Screen, lang: str, scan: dict[str, list[str]]) -> None:
    problems = scan[f"{lang}-{screen.role}-{screen.name}"]
    assert not problems, "\n".join(problems)
