"""Load generator for bench/load_bench.py: its own process, gevent greenlets, one cookie jar each.

Run by load_bench.py as ``python bench/_load_driver.py PLAN.json RESULT.json``. Clients use
locust's FastHttpSession (geventhttpclient) as a library: cheaper per request than `requests`,
which matters because the generator shares the machine's two cores with the server.

The plan names the target (127.0.0.1 only), the users and the phases. Each phase runs for a
bounded number of seconds; a request is counted in the phase in which it started. The
driver prints ``PHASE <name> START|END <epoch>`` lines so the parent can time its faults.

In a phase with ``submit``, a supplier whose plan entry has ``submit_at`` (seconds into the
phase) submits its response then: GET the submit page, think, POST the declaration (302 to
the response). A supplier who has submitted (``submitted`` in the plan, or in this run)
only looks at its response from then on: it can no longer save.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
from locust.contrib.fasthttp import FastHttpSession  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
RESPONSE_LINK_RE = re.compile(r'href="/responses/(\d+)"')
SECTION_LINK_RE = re.compile(r'href="/responses/\d+/sections/([A-Z])"')
REV_RE = {q: re.compile(rf'name="rev-{q}" value="(\d*)"') for q in ("B4", "B5")}
H1_RE = re.compile(r"<h1(?: class=\"ds-heading\"[^>]*)?>([^<]*)</h1>")  # the layout's, or the plain error page's
ALL_STATUSES = frozenset(range(100, 600))
HEADERS = {"Accept-Language": "nb", "User-Agent": "aktsom-load-bench"}


class _NoEvents:
    def fire(self, **_kw: Any) -> None:
        pass


class Driver:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.base = plan["base_url"]
        host = urlsplit(self.base).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing to send load to {host}: loopback only")
        self.phase = "setup"
        self.think = (0.0, 0.0)
        self.deadline = 0.0
        self.error_pause = float(plan.get("error_pause", 0.5))
        self.rows: list[tuple[str, str, float, float, int, str | None]] = []
        self.saves: list[tuple[int, int, float, str, dict[str, Any], str | None]] = []
        self.samples: list[dict[str, Any]] = []
        self.phases: dict[str, dict[str, float]] = {}
        self.races: list[dict[str, Any]] = []
        self.submits: list[tuple[int, int, float, str, str | None]] = []
        self.phase_start = 0.0
        self.submitting = False

    # -- plumbing

    def session(self) -> FastHttpSession:
        s = FastHttpSession(self.base, _NoEvents(), None, max_retries=0, network_timeout=30.0,
                            connection_timeout=10.0, concurrency=1)
        s.client.valid_response_codes = ALL_STATUSES  # we judge statuses ourselves
        return s

    def call(self, s: FastHttpSession, kind: str, method: str, path: str, expect: tuple[int, ...],
             data: dict[str, str] | None = None,
             phase: str | None = None) -> tuple[Any, str | None, str | None]:
        """One request; returns (response or None, error description or None, body text)."""
        phase = phase or self.phase
        t0 = time.time()
        p0 = time.perf_counter()
        resp: Any = None
        body: str | None = None
        exc: BaseException | None = None
        try:
            resp = s.request(method, path, data=data, allow_redirects=False, headers=HEADERS)
            exc = getattr(resp, "error", None)
            if resp.status_code:
                body = resp.text
        except Exception as e:  # noqa: BLE001 - a connection dropped by a dying worker
            exc = e
        ms = (time.perf_counter() - p0) * 1000
        status = (resp.status_code or 0) if resp is not None else 0
        error = None
        if status == 0:
            original = getattr(exc, "original", None) or exc
            error = f"no HTTP response ({type(original).__name__}: {str(original)[:60]})"
        elif body is None and exc is not None:
            error = f"{status} response cut off ({type(exc).__name__})"
        elif status not in expect:
            error = self.describe(status, body or "", resp)
        elif status in (301, 302, 303) and "/login" in (resp.headers.get("location") or ""):
            error = f"{status} redirect to the login page"
        self.rows.append((phase, kind, round(t0, 4), round(ms, 3), status, error))
        if error and len(self.samples) < 400:
            self.samples.append({"phase": phase, "kind": kind, "t": t0, "status": status,
                                 "error": error, "path": path})
        return resp, error, body

    @staticmethod
    def describe(status: int, body: str, resp: Any) -> str:
        h1 = H1_RE.search(body)
        if h1:
            return f"{status} translated error page «{h1.group(1).strip()}»"
        if status >= 500 and "Internal Server Error" in body:
            return f"{status} bare server error (gunicorn/werkzeug, untranslated)"
        if status in (301, 302, 303):
            return f"{status} unexpected redirect to {resp.headers.get('location')}"
        snippet = re.sub(r"\s+", " ", body)[:80]
        return f"{status} {snippet!r}"

    def pause(self, error: str | None) -> None:
        lo, hi = self.think
        wait = random.uniform(lo, hi) if hi > 0 else 0.0
        if error:
            wait = max(wait, self.error_pause)  # a person reads the error page before retrying
        if wait:
            gevent.sleep(min(wait, max(0.0, self.deadline - time.time())))
        else:
            gevent.sleep(0)

    # -- users

    def login(self, s: FastHttpSession, email: str, password: str, phase: str) -> bool:
        for _attempt in range(3):
            _resp, error, body = self.call(s, "login page", "GET", "/login", (200,), phase=phase)
            m = CSRF_RE.search(body or "")
            if error or not m:
                gevent.sleep(1)
                continue
            resp, error, _ = self.call(s, "login", "POST", "/login", (302,), phase=phase,
                                       data={"email": email, "password": password,
                                             "csrf_token": m.group(1)})
            if not error:
                return True
            gevent.sleep(1)
        return False

    def supplier_setup(self, user: dict[str, Any], password: str) -> None:
        s = user["session"] = self.session()
        user["seq"] = 0
        if not self.login(s, user["email"], password, "login"):
            user["ok"] = False
            return
        _resp, error, body = self.call(s, "company", "GET", "/company/", (200,), phase="login")
        ids = [int(x) for x in RESPONSE_LINK_RE.findall(body or "")]
        user["ok"] = not error and user["response_id"] in ids
        user["sections"] = ["B"]

    def reviewer_setup(self, user: dict[str, Any], password: str) -> None:
        s = user["session"] = self.session()
        user["ok"] = self.login(s, user["email"], password, "login")

    def stagger(self) -> None:
        """A new phase's users do not all start at the same instant (people do not either)."""
        if self.think[1] > 0:
            gevent.sleep(random.uniform(0, self.think[1]))

    def due_to_submit(self, user: dict[str, Any]) -> bool:
        return (self.submitting and not user.get("submitted") and user.get("submit_at") is not None
                and time.time() >= self.phase_start + float(user["submit_at"]))

    def submit(self, user: dict[str, Any]) -> None:
        """Open the submit page, think, give the declaration: answered 302 to the response."""
        s, rid = user["session"], user["response_id"]
        path = f"/responses/{rid}/submit"
        resp, error, body = self.call(s, "submit page", "GET", path, (200, 302))
        if not error and resp.status_code == 302:
            # Submitted already (an earlier answer was lost on its way): the app says so.
            user["submitted"] = True
            self.submits.append((user["index"], rid, time.time(), "already", None))
            return
        token = CSRF_RE.search(body or "")
        if error or not token:
            self.pause(error or "form")
            return
        # Reads the declaration, types name and title, and sends it even if the phase ends
        # meanwhile (the wait is cut at the deadline): a submit once begun is finished.
        self.pause(None)
        t0 = time.time()
        resp, error, _ = self.call(s, "submit", "POST", path, (302,), data={
            "csrf_token": token.group(1), "q-I1-confirm-confirmed": "yes",
            "q-I1-confirm-name": f"Lasttest Bruker {user['index']:02d}",
            "q-I1-confirm-title": "Daglig leder"})
        location = (resp.headers.get("location") or "") if not error else ""
        if not error and not location.endswith(f"/responses/{rid}"):
            error = f"302 to {location}"
            self.rows[-1] = (*self.rows[-1][:5], error)
        self.submits.append((user["index"], rid, t0, "ack" if not error else "fail", error))
        if not error:
            user["submitted"] = True
        self.pause(error)

    def save(self, user: dict[str, Any], url: str, data: dict[str, str],
             value: dict[str, Any]) -> str | None:
        """POST a save of section B; acknowledged only by a 302 to the section itself. Every
        save is recorded with the values it sent, for the durability check."""
        t0 = time.time()
        resp, error, _ = self.call(user["session"], "save", "POST", url, (302,), data=data)
        location = (resp.headers.get("location") or "") if not error else ""
        if not error and not location.endswith(url):
            error = f"302 to {location}"
            self.rows[-1] = (*self.rows[-1][:5], error)
        self.saves.append((user["index"], user["response_id"], t0, "ack" if not error else "fail",
                           value, error))
        return error

    def supplier_loop(self, user: dict[str, Any]) -> None:
        s, rid = user["session"], user["response_id"]
        url = f"/responses/{rid}/sections/B"
        self.stagger()
        while time.time() < self.deadline:
            if self.due_to_submit(user):
                self.submit(user)
                continue
            if user.get("submitted"):
                _resp, error, _ = self.call(s, "response", "GET", f"/responses/{rid}", (200,))
                self.pause(error)
                continue
            _resp, error, body = self.call(s, "section", "GET", url, (200,))
            if error:
                self.pause(error)
                continue
            found = SECTION_LINK_RE.findall(body or "")
            if found:
                user["sections"] = sorted(set(found))
            token = CSRF_RE.search(body or "")
            revs = {q: r.search(body or "") for q, r in REV_RE.items()}
            if not token or not revs["B4"]:
                self.rows[-1] = (*self.rows[-1][:5], "200 page without the form")
                self.pause("form")
                continue
            self.pause(None)  # typing
            if time.time() >= self.deadline:
                break
            if self.due_to_submit(user):
                continue  # the moment to submit has come: what was typed is not saved
            user["seq"] += 1
            seq = user["seq"]
            text = f"Lasttest {user['index']}-{seq}-{random.getrandbits(32):08x}: roller og rutiner."
            value: dict[str, Any] = {"B4": {"answer": text}}
            data = {"csrf_token": token.group(1), "present-B4": "1", "rev-B4": revs["B4"].group(1),
                    "q-B4-answer": text, "action": "save"}
            if revs["B5"] and seq % 2 == 0:
                trained, total = str(seq % 97), str(seq % 97 + 3)
                value["B5"] = {"trained": trained, "total": total}
                data.update({"present-B5": "1", "rev-B5": revs["B5"].group(1),
                             "q-B5-trained": trained, "q-B5-total": total})
            error = self.save(user, url, data, value)
            self.pause(error)
            # Now and then the supplier looks at another section before coming back.
            if random.random() < 0.3 and time.time() < self.deadline:
                other = random.choice([x for x in user["sections"] if x != "B"] or ["B"])
                _resp, error, _ = self.call(s, "section", "GET", f"/responses/{rid}/sections/{other}",
                                            (200,))
                self.pause(error)

    def saves_loop(self, user: dict[str, Any]) -> None:
        """Saves and nothing else: the save's own capacity. The supplier reads section B once
        for the form's token and B4's revision; each acknowledged save makes the revision one
        higher, so the next save sends that without reading the page again. A save that is
        not acknowledged (an error, a 409) reads the page again."""
        s, rid = user["session"], user["response_id"]
        url = f"/responses/{rid}/sections/B"
        token = revision = None
        self.stagger()
        while time.time() < self.deadline and not user.get("submitted"):
            if token is None:
                _resp, error, body = self.call(s, "section", "GET", url, (200,))
                found, rev = CSRF_RE.search(body or ""), REV_RE["B4"].search(body or "")
                if error or not found or not rev:
                    self.pause(error or "form")
                    continue
                token, revision = found.group(1), int(rev.group(1) or 0)
            user["seq"] += 1
            text = f"Lasttest {user['index']}-{user['seq']}-{random.getrandbits(32):08x}: bare lagring."
            data = {"csrf_token": token, "present-B4": "1", "rev-B4": str(revision or ""),
                    "q-B4-answer": text, "action": "save"}
            error = self.save(user, url, data, {"B4": {"answer": text}})
            if error:
                token = None
                self.pause(error)
            else:
                revision = (revision or 0) + 1

    def reviewer_loop(self, user: dict[str, Any]) -> None:
        s = user["session"]
        pages = [("inbox", "/review"), ("reports", f"/reports?year={self.plan['report_year']}")]
        self.stagger()
        while time.time() < self.deadline:
            for kind, path in pages:
                _resp, error, _ = self.call(s, kind, "GET", path, (200,))
                self.pause(error)
                if time.time() >= self.deadline:
                    break

    def health_loop(self) -> None:
        s = self.session()  # anonymous: no cookie, so no user is loaded
        while time.time() < self.deadline:
            _resp, error, _ = self.call(s, "healthz", "GET", "/healthz", (200,))
            if error:
                self.pause(error)
            else:
                gevent.sleep(0)

    def race(self, rounds: int) -> list[dict[str, Any]]:
        """Two colleagues open the same section and press Save at the same moment.

        First once on every unanswered single-text question (both create the answer), then
        ``rounds`` times on one question (both change it from the same revision). The app's
        rule: a save based on an older revision is a conflict (409), nothing is overwritten.
        """
        spec = self.plan["race"]
        sessions = [self.session() for _ in spec["emails"]]
        for s, email in zip(sessions, spec["emails"], strict=True):
            if not self.login(s, email, self.plan["password"], "race"):
                return [{"error": f"login failed for {email}"}]
        rid = spec["response_id"]
        plan = [(sec, q, part, "create") for sec, q, part in spec["questions"]]
        first = spec["questions"][0]
        plan += [(first[0], first[1], first[2], "change")] * rounds
        out = []
        for n, (sec, qid, part, what) in enumerate(plan):
            url = f"/responses/{rid}/sections/{sec}"
            forms = []
            for s in sessions:
                _resp, error, body = self.call(s, "race page", "GET", url, (200,))
                token = CSRF_RE.search(body or "")
                rev = re.search(rf'name="rev-{qid}" value="(\d*)"', body or "")
                if error or not token or not rev:
                    forms = []
                    break
                forms.append((token.group(1), rev.group(1)))
            if not forms:
                out.append({"question": qid, "what": what, "error": "page without the form"})
                continue
            values = [f"Samtidig {n} fra {who} {random.getrandbits(32):08x}" for who in "ab"]
            jobs = [gevent.spawn(self.call, s, "race save", "POST", url, (302,),
                                 {"csrf_token": tok, f"present-{qid}": "1", f"rev-{qid}": rev,
                                  f"q-{qid}-{part}": value, "action": "save"})
                    for s, (tok, rev), value in zip(sessions, forms, values, strict=True)]
            gevent.joinall(jobs)
            results = [j.value for j in jobs]
            out.append({"question": qid, "what": what, "base_revisions": [f[1] for f in forms],
                        "values": values,
                        "statuses": [r[0].status_code if r[0] is not None else 0 for r in results],
                        "errors": [r[1] for r in results]})
        return out

    # -- phases

    def mark(self, name: str, what: str) -> float:
        now = time.time()
        self.phases.setdefault(name, {})[what.lower()] = now
        print(f"PHASE {name} {what} {now:.4f}", flush=True)
        return now

    def run(self) -> dict[str, Any]:
        plan = self.plan
        suppliers = [dict(u, index=i) for i, u in enumerate(plan["suppliers"])]
        reviewers = [dict(email=e, index=i) for i, e in enumerate(plan["reviewers"])]
        password = plan["password"]

        self.mark("login", "START")
        jobs = [gevent.spawn(self.supplier_setup, u, password) for u in suppliers]
        jobs += [gevent.spawn(self.reviewer_setup, u, password) for u in reviewers]
        gevent.joinall(jobs, timeout=plan.get("login_timeout", 120))
        self.mark("login", "END")
        failed_logins = [u["email"] for u in suppliers + reviewers if not u.get("ok")]
        suppliers = [u for u in suppliers if u.get("ok")]
        reviewers = [u for u in reviewers if u.get("ok")]

        for phase in plan["phases"]:
            name = phase["name"]
            self.phase = name
            self.think = tuple(phase.get("think", (0.0, 0.0)))  # type: ignore[assignment]
            start = self.mark(name, "START")
            self.deadline = start + float(phase["seconds"])
            self.phase_start, self.submitting = start, bool(phase.get("submit"))
            if phase.get("kind") == "race":
                self.races = self.race(int(phase.get("rounds", 20)))
                self.phases[name]["deadline"] = time.time()
                self.mark(name, "END")
                continue
            if phase.get("kind") == "ceiling":
                jobs = [gevent.spawn(self.health_loop) for _ in range(phase["concurrency"])]
            elif phase.get("kind") == "saves":
                jobs = [gevent.spawn(self.saves_loop, u) for u in suppliers]
            else:
                jobs = [gevent.spawn(self.supplier_loop, u) for u in suppliers]
                jobs += [gevent.spawn(self.reviewer_loop, u) for u in reviewers]
            gevent.joinall(jobs, timeout=float(phase["seconds"]) + 60)
            gevent.killall([j for j in jobs if not j.dead], block=True, timeout=5)
            self.phases[name]["deadline"] = self.deadline
            self.mark(name, "END")

        return {"rows": self.rows, "saves": self.saves, "samples": self.samples,
                "phases": self.phases, "failed_logins": failed_logins, "races": self.races,
                "submits": self.submits,
                "users": {"suppliers": len(suppliers), "reviewers": len(reviewers)}}


def main() -> None:
    plan_path, out_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    random.seed(plan.get("seed"))
    result = Driver(plan).run()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
