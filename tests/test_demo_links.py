"""Every link the portal offers leads somewhere: each demo account follows every link of its
pages (GET only, nothing is changed) and none answers an error.

The access matrix proves that each endpoint refuses whom it must; this proves the other side,
that a page never offers a link its reader is refused. It found a joint agreement's
participant offered the supplier's section pages and the lead's activity corrections (404s),
and a site register linking to a year before the first one kept.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from typing import Any
from urllib.parse import urlsplit

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.auth.helpers import isolate_requests, sign_in
from tests.test_demo_data import _load

HREF = re.compile(r'href="(/[^"#]*)')
#: Links that end the session or only change the reader's language.
NOT_FOLLOWED = re.compile(r"^/(logout|language/)")
#: Query-string variants followed per path: the sort and filter links of one list are many.
VARIANTS = 3
#: A bound on the pages of one account, far above what the demo has (about 450 at most).
MAX_PAGES = 2000


def _browse(client: Any, start: str) -> tuple[int, list[tuple[int, str, str]]]:
    """Follow every link from ``start``: the pages read, and (status, link, page it was on)
    for each that answered neither a page nor a redirect."""
    queue: deque[tuple[str, str]] = deque([(start, "")])
    seen: set[str] = set()
    variants: Counter[str] = Counter()
    broken: list[tuple[int, str, str]] = []
    while queue and len(seen) < MAX_PAGES:
        url, found_on = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        reply = client.get(url)
        if reply.status_code in (301, 302, 303):
            target = urlsplit(reply.headers["Location"])
            queue.append((target.path + (f"?{target.query}" if target.query else ""), url))
            continue
        if reply.status_code != 200:
            broken.append((reply.status_code, url, found_on))
            continue
        if reply.mimetype != "text/html":
            continue
        for link in HREF.findall(reply.get_data(as_text=True)):
            link = html.unescape(link)
            path = link.split("?", 1)[0]
            if NOT_FOLLOWED.match(link) or link in seen:
                continue
            variants[path] += 1
            if variants[path] <= VARIANTS:
                queue.append((link, url))
    return len(seen), broken


def test_no_demo_account_is_offered_a_link_that_fails(app, db, monkeypatch, subtests):
    isolate_requests(app, monkeypatch)
    _load(app)

    for login in DEMO_LOGINS:
        with subtests.test(msg=login.email):
            client = app.test_client()
            assert sign_in(client, login.email, DEMO_PASSWORD).status_code == 302
            pages, broken = _browse(client, "/")
            assert pages > 10, (login.email, pages)
            assert broken == [], (login.email, broken)
