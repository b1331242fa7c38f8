"""Screenshots of issue 15's new reviewer and supplier screens at 1280 and 375 px, in nb and en.

Kept under test-results/new-screens/ (uploaded as a CI artefact with the rest of
test-results/) for a person to look at; they are not compared. The test fails only when a
page does not load (an error status) or scrolls sideways: at 375 px nothing may be wider
than the window (document.scrollingElement.scrollWidth <= innerWidth + 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import login, tr, wider_than
from tests.browser.screens import ACCOUNTS, prepare_screens

SHOTS = Path("test-results") / "new-screens"
WIDTHS = (1280, 375)

#: (name, role, path): formatted with prepare_screens' ids and ``upload`` (the deviation a
#: visible file is attached to before the screenshots).
NEW_SCREENS: list[tuple[str, str, str]] = [
    ("round-add-preview", "admin", "/rounds/{round}/agreements/preview?rule=contract_condition"),
    ("round-add-preview-one", "admin", "/rounds/{round}/agreements/preview?agreement_id={agreement}"),
    ("audit-log", "admin", "/review/audit"),
    ("inbox-with-export", "reviewer", "/review"),
    ("round-with-export", "reviewer", "/rounds/{round}"),
    ("response-history", "reviewer", "/review/responses/{accepted_response}/history"),
    ("review-part", "reviewer", "/review/responses/{resubmitted_response}?part=C"),
    ("review-changes-only", "reviewer", "/review/responses/{resubmitted_response}?changes=only"),
    ("deviation-staff-documents", "reviewer", "/deviations/{upload}"),
    ("deviation-documents-supplier", "supplier", "/deviations/{upload}"),
    ("returned-what-to-answer", "supplier", "/responses/{returned_response}"),
    ("section-returned-with-reply", "supplier", "/responses/{returned_response}/sections/C"),
]


@pytest.fixture
def ids(demo_world: Any) -> dict[str, Any]:
    found = prepare_screens()
    return {**found, "upload": found["supplier_deviation"]}


def _attach_visible_file(page: Page, lang: str, deviation_id: int, folder: Path) -> None:
    """As staff, attach a file the supplier may see (the new documents section has content)."""
    report = folder / f"audit-report-{lang}.txt"
    report.write_text("Audit report received by e-mail.", encoding="utf-8")
    page.goto(f"/deviations/{deviation_id}")
    files = page.get_by_role("region", name=tr(lang, "Attach files"))
    files.get_by_label(tr(lang, "Files"), exact=True).set_input_files(report)
    files.get_by_label(tr(lang, "Note about the files")).fill(tr(lang, "Attach files") + ": " + report.name)
    files.get_by_role("checkbox", name=tr(lang, "Internal: only municipal staff see these files and the note")).uncheck()
    files.get_by_role("button", name=tr(lang, "Attach files")).click()
    expect(page.get_by_role("link", name=report.name)).to_be_visible()


def _shoot(page: Page, name: str, lang: str, url: str) -> list[str]:
    """Load ``url`` and save it at both widths; return what went wrong (nothing when all is well)."""
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(url)
        if response is None or response.status >= 400:
            problems.append(f"{name} ({lang}): {url} answered {response.status if response else 'nothing'}")
            continue
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if scroll > inner + 1:
            problems.append(f"{name} ({lang}) scrolls sideways at {width} px ({scroll} > {inner}): "
                            f"{wider_than(page, inner)}")
    return problems


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_new_screens_at_1280_and_375(browser: Browser, browser_context_args: dict[str, Any],
                                     ids: dict[str, Any], lang: str, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for role in ("reviewer", "admin", "supplier"):  # the reviewer first: the attached file shows for the supplier
        context = browser.new_context(**{**browser_context_args, "locale": "nb-NO" if lang == "nb" else "en-GB"})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, ACCOUNTS[(role, lang)])
        if role == "reviewer":
            _attach_visible_file(page, lang, ids["upload"], tmp_path)
        for name, screen_role, path in NEW_SCREENS:
            if screen_role == role:
                problems += _shoot(page, name, lang, path.format(**ids))
        context.close()
    assert not problems, "\n".join(problems)
    assert len(list(SHOTS.glob(f"*-{lang}-*.png"))) >= len(NEW_SCREENS) * len(WIDTHS)
