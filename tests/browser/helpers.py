"""Shared steps and checks for the browser tests: signing in and out, axe, page contract."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from babel.support import NullTranslations, Translations
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from portal.demo import DEMO_PASSWORD

ADMIN = "admin@kommune.example"
REVIEWER = "fagansvarlig@kommune.example"
SUPPLIER = "leverandor@arbeidsklaer.example"  # Nordlys Arbeidsklær AS (demo), nb

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}
AXE = Axe()  # axe-core as shipped in the axe-playwright-python package (no download at test time)

#: The sign-in form's words in each language (the page's language follows Accept-Language).
LOGIN_WORDS = {
    "nb": {"email": "E-post", "password": "Passord", "button": "Logg inn", "logout": "Logg ut"},
    "en": {"email": "E-mail", "password": "Password", "button": "Sign in", "logout": "Sign out"},
}


@cache
def _catalog(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang])


def tr(lang: str, message: str, context: str | None = None, **params: Any) -> str:
    """``message`` as the app shows it in ``lang``: through the same compiled catalog.

    Texts of the review, deviation and report areas are written in English in the code
    and translated by the catalog; looking them up here keeps the locators right while
    the catalogs catch up (a message not yet translated is shown, and found, in English).
    """
    catalog = _catalog(lang)
    text = catalog.pgettext(context, message) if context else catalog.gettext(message)
    return text % params if params else text


def ntr(lang: str, singular: str, plural: str, num: int, **params: Any) -> str:
    """``ngettext`` through the same catalog as :func:`tr`; ``num`` is passed as a parameter too."""
    return _catalog(lang).ngettext(singular, plural, num) % {"num": num, **params}


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, as a person would, in whatever language the form is shown."""
    page.goto("/login")
    words = LOGIN_WORDS[html_lang(page) or "nb"]
    page.get_by_label(words["email"], exact=True).fill(email)
    page.get_by_label(words["password"], exact=True).fill(password)
    page.get_by_role("button", name=words["button"], exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def logout(page: Page) -> None:
    words = LOGIN_WORDS[html_lang(page) or "nb"]
    page.get_by_role("button", name=words["logout"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/login"))


def signed_in_context(context: BrowserContext, email: str) -> dict[str, Any]:
    """Sign in once in ``context`` and return its storage state, to reuse in other contexts."""
    page = context.new_page()
    login(page, email)
    state = context.storage_state()
    page.close()
    return state


def install_axe(context: BrowserContext) -> None:
    """Load axe-core into every page of ``context`` as it opens (faster than per run)."""
    context.add_init_script(AXE.axe_script)


def run_axe(page: Page, *, contrast: bool = True) -> AxeResults:
    """axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now.

    ``contrast=False`` leaves out color-contrast, by far the slowest rule (about 90 % of
    the run on a long page); colours come from the stylesheet, not from the language."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.axe_script)
    options = WCAG if contrast else {**WCAG, "rules": {"color-contrast": {"enabled": False}}}
    return AxeResults(page.evaluate("(options) => axe.run(document, options)", options))


def assert_no_axe_violations(page: Page) -> None:
    results = run_axe(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@dataclass
class ConsoleWatch:
    """Console messages of a page; CSP violations are reported there by Chromium."""

    messages: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> ConsoleWatch:
        page.on("console", self._on_message)
        return self

    def _on_message(self, message: ConsoleMessage) -> None:
        self.messages.append(message.text)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]


def duplicate_ids(page: Page) -> list[str]:
    return page.evaluate(
        """() => {
            const seen = new Map();
            for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
            return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} (${n}x)`);
        }"""
    )


def h1_count(page: Page) -> int:
    return page.locator("h1").count()


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def scroll_width_at(page: Page, width: int = 320) -> int:
    """The document's scroll width with the viewport at ``width`` CSS px (WCAG 1.4.10 reflow)."""
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        return int(page.evaluate("document.documentElement.scrollWidth"))
    finally:
        if original:
            page.set_viewport_size(original)


def tables_pushed_wide(page: Page) -> list[str]:
    """Table regions that scroll sideways at the page's viewport because one cell claims
    more than 40 % of the region (a tag or a text that does not wrap), by their label. A
    table with many columns may scroll; one that scrolls for a single cell should not."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.table-scroll')]
            .filter((region) => region.scrollWidth > region.clientWidth + 1)
            .flatMap((region) => {
                const wide = [...region.querySelectorAll('td, th')]
                    .filter((cell) => cell.getBoundingClientRect().width > 0.4 * region.clientWidth);
                if (!wide.length) return [];
                const label = region.getAttribute('aria-labelledby');
                const named = label && document.getElementById(label);
                return [`${named ? named.textContent.trim() : '?'}: a cell of `
                        + `${Math.round(wide[0].getBoundingClientRect().width)} px in `
                        + `${region.clientWidth} («${wide[0].textContent.trim().slice(0, 60)}»)`];
            })"""
    )


def wider_than(page: Page, width: int = 320) -> list[str]:
    """What sticks out past ``width`` outside a scroll region: elements and runs of text
    (a long e-mail address or URL that does not wrap is the usual cause)."""
    return page.evaluate(
        """(limit) => {
            const name = (el) => {
                const id = el.id ? '#' + el.id : '';
                const cls = typeof el.className === 'string' && el.className.trim()
                    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                return el.tagName.toLowerCase() + id + cls;
            };
            const out = [];
            for (const el of document.querySelectorAll('body *')) {
                if (el.closest('.table-scroll')) continue;
                const r = el.getBoundingClientRect();
                if (r.right > limit + 1 && r.width > 1) out.push(`${name(el)} right=${Math.round(r.right)}`);
            }
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const parent = node.parentElement;
                if (!parent || parent.closest('.table-scroll') || !node.textContent.trim()) continue;
                range.selectNodeContents(node);
                const r = range.getBoundingClientRect();
                if (r.right > limit + 1 && r.width > 1) {
                    out.push(`text in ${name(parent)} right=${Math.round(r.right)}: "${node.textContent.trim().slice(0, 60)}"`);
                }
            }
            if (!out.length) {
                // Nothing visible sticks out: find the innermost elements whose removal
                // ends the sideways scroll (an over-wide <select> option, say).
                const culprits = [];
                for (const el of document.querySelectorAll('main *')) {
                    const before = el.style.display;
                    el.style.display = 'none';
                    const fits = document.documentElement.scrollWidth <= limit;
                    el.style.display = before;
                    if (fits) culprits.push(el);
                }
                for (const el of culprits) {
                    if (!culprits.some(other => other !== el && el.contains(other))) out.push(`hiding ${name(el)} ends it`);
                }
            }
            return out.slice(0, 8);
        }""",
        width,
    )


def focus_is_visible(page: Page) -> bool:
    """The focused element shows a focus indicator: an outline or a box shadow on it, or
    for a radio or checkbox on its field (Designsystemet rings the whole option), or for
    the skip link, which is hidden until focused, by appearing."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            if (el.classList.contains('ds-skip-link')) {
                const r = el.getBoundingClientRect();
                return r.width > 100 && r.height > 20;
            }
            if (el.matches('input[type=date]') && !el.matches(':focus')) {
                // Focus is on the date field's own calendar button, which Chromium rings.
                return true;
            }
            const ringed = (node) => {
                const s = getComputedStyle(node);
                const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
                const shadow = s.boxShadow && s.boxShadow !== 'none';
                return outline || shadow;
            };
            if (ringed(el)) return true;
            const toggle = el.matches('input[type=radio], input[type=checkbox]');
            const field = toggle ? el.closest('.ds-field') : null;
            return !!field && ringed(field);
        }"""
    )


def focused_description(page: Page) -> str:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el) return '';
            const label = el.labels && el.labels.length ? el.labels[0].textContent.trim() : '';
            return `${el.tagName.toLowerCase()}#${el.id} name=${el.getAttribute('name') || ''} `
                 + `type=${el.getAttribute('type') || ''} text=${(el.textContent || '').trim().slice(0, 60)} label=${label}`;
        }"""
    )


def accept_response(page: Page, locale: str) -> None:
    """Press "Accept the response"; where questions are still unjudged the portal names them
    on a confirmation page first (issue 15), and the reviewer accepts anyway."""
    page.get_by_role("button", name=tr(locale, "Accept the response"), exact=True).click()
    anyway = page.get_by_role("button", name=tr(locale, "Accept anyway"), exact=True)
    page.wait_for_load_state("load")  # the click waits for the navigation to start
    if anyway.count():
        expect(page.get_by_role("heading", level=1)).to_have_text(
            tr(locale, "Accept with questions not judged?"))
        anyway.click()
    expect(page.get_by_role("status")).to_be_visible()
