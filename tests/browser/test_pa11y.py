"""pa11y-ci with the HTML_CodeSniffer runner: a second opinion next to axe, on the same pages.

HTMLCS finds what axe no longer looks for (duplicate ids under 4.1.1) and checks
``autocomplete`` values more strictly. The test serves the app with the live server,
writes a pa11y-ci config listing one Norwegian page of each type (tests/browser/screens.py),
signs each role in with Flask's test client against the same app and hands pa11y the
session cookie, runs ``npx pa11y-ci --json`` with Debian's Chromium and expects no issue
of type error.

Install once with ``PUPPETEER_SKIP_DOWNLOAD=1 npm ci`` in tests/a11y (no browser download);
without it the test is skipped with that instruction.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.browser.conftest import CHROMIUM
from tests.browser.screens import ACCOUNTS, SCREENS, Screen, prepare_screens

A11Y = Path(__file__).resolve().parents[1] / "a11y"
PA11Y_CI = A11Y / "node_modules" / ".bin" / "pa11y-ci"
BASE_CONFIG = A11Y / "pa11yci.json"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: Screens pa11y skips: the same template as one it runs (it runs one page of each type),
#: or a state reached by a button that is not the first submit button in <main> (pa11y's
#: actions take a CSS selector, and the error state clicks ``main form [type=submit]``).
SKIP = {
    *(f"section-{x}-filled" for x in "ABDEFGI"),
    *(f"section-{x}-read-only" for x in "ABDEFGHI"),
    "section-A-empty", "section-C-empty", "section-H-returned",
    "questionnaire-preview-simplified", "report-grouped", "response-staff-view",
    "not-found-signed-in", "supplier-edit", "agreement-edit", "risk-edit",
    "profile-password-errors", "review-return-errors", "round-add-agreement-errors",
    # More states of a template already run (pa11y takes about a second a page).
    "forgot-password-errors", "reset-password-errors", "invite-colleague-errors", "extend-deadline-errors",
    "supplier-deviation-plan-errors", "deviation-status-errors", "agreement-new-errors", "risk-new-errors",
    "questionnaire-import-errors", "response-not-started", "review-returned", "report-empty-year", "round",
    "deviation-edit", "round-add-preview-one", "deviation-documents-errors",
    # pa11y presses the page's first submit button (the inbox's filter), not the bulk form's:
    # axe (test_accessibility.py) scans this error state.
    "review-inbox-bulk-errors",
}

#: HTMLCS errors reported and waiting for a fix in the app: (screen name, HTMLCS code) →
#: reason. Strict both ways: a new error fails the test, and so does a known one that is
#: no longer found (remove its entry then). Empty: every finding so far has been fixed.
KNOWN: dict[tuple[str, str], str] = {}


def session_cookie(app: Flask, email: str) -> str:
    """Sign in with the test client and return the session cookie, CSRF secret included."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "no CSRF token on /login"
    reply = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": DEMO_PASSWORD})
    assert reply.status_code == 302, f"signing in {email} failed: {reply.status_code}"
    client.get("/profile")  # a page with a form: the session now holds its CSRF secret
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return f"{cookie.key}={cookie.value}"


def url_for_screen(base: str, screen: Screen, ids: dict[str, Any]) -> str:
    url = base + screen.url(ids)
    if screen.press:  # results are keyed by URL: the error state gets its own
        url += ("&" if "?" in url else "?") + "pa11y-state=errors"
    return url


def pa11y_config(base: str, ids: dict[str, Any], cookies: dict[str, str]) -> dict[str, Any]:
    config = json.loads(BASE_CONFIG.read_text(encoding="utf-8"))
    config["defaults"]["chromeLaunchConfig"]["executablePath"] = CHROMIUM
    urls = []
    for screen in SCREENS:
        if screen.name in SKIP:
            continue
        headers = {"Accept-Language": "nb-NO,nb;q=0.9"}
        if screen.role != "anonymous":
            headers["Cookie"] = cookies[screen.role]
        entry: dict[str, Any] = {"url": url_for_screen(base, screen, ids), "headers": headers, "actions": []}
        if screen.role != "anonymous":  # signed in: a redirect to the sign-in page times out here
            entry["actions"].append("wait for path to not be /login")
        if screen.press:
            entry["actions"] += ["click element main form [type=submit]",
                                 "wait for element .ds-error-summary to be added"]
        urls.append(entry)
    config["urls"] = urls
    return config


@pytest.fixture(scope="module")
def pa11y_setup(live_app: Flask, live_server: str, demo_snapshot: Any) -> tuple[dict[str, Any], dict[str, str]]:
    if not PA11Y_CI.exists() or shutil.which("node") is None:
        pytest.skip("pa11y-ci is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci` in tests/a11y")
    with live_app.app_context():
        demo_snapshot()
        ids = prepare_screens()
        db.session.remove()
    cookies = {role: session_cookie(live_app, ACCOUNTS[(role, "nb")]) for role in ("supplier", "reviewer", "admin")}
    return ids, cookies


def test_htmlcs_finds_no_errors(pa11y_setup: Any, live_server: str, tmp_path: Path) -> None:
    ids, cookies = pa11y_setup
    config = pa11y_config(live_server, ids, cookies)
    config_path = tmp_path / "pa11yci.json"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    run = subprocess.run(  # noqa: S603 - our own command line
        [str(PA11Y_CI), "--config", str(config_path), "--json"],
        cwd=A11Y, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pa11y-ci gave no JSON (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    names = {url_for_screen(live_server, s, ids): s.name for s in SCREENS}
    problems = []
    seen = set()
    for url, issues in report["results"].items():
        for issue in issues:
            if issue.get("type", "error") != "error":
                continue
            key = (names.get(url, url), issue.get("code", ""))
            if key in KNOWN:
                seen.add(key)
                continue
            problems.append(f"{names.get(url, url)} ({url.removeprefix(live_server)}): {issue.get('code', '')}\n"
                            f"    {issue.get('message', '')}\n    {issue.get('selector', '')}: "
                            f"{issue.get('context', '')[:200]}")
    assert report["total"] == len(config["urls"]), f"pa11y-ci checked {report['total']} of {len(config['urls'])} pages"
    assert not problems, f"HTML_CodeSniffer found {len(problems)} errors:\n" + "\n".join(problems)
    fixed = set(KNOWN) - seen
    assert not fixed, f"no longer found, remove from KNOWN: {sorted(fixed)}"
