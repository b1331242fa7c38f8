"""What one save and one section page cost the server, per request, for one or more checkouts.

    .venv/bin/python bench/request_cost.py                        # this checkout, timings + statements
    .venv/bin/python bench/request_cost.py --instructions         # + instructions (callgrind)
    .venv/bin/python bench/request_cost.py ../aktsom-before . --instructions   # before/after
    .venv/bin/python bench/request_cost.py --profile              # where the Python time goes

The two requests of the load bench (bench/load_bench.py) as a supplier with a session
cookie: ``GET /responses/<id>/sections/B`` and ``POST`` of the same page saving B4 with the
revision just read (answered 302). They run in-process through Flask's test client against
PostgreSQL, so there is no HTTP and no queueing: what is left is what a gunicorn worker
spends in Python (Flask, session, CSRF, Flask-Login, Babel, ORM, forms, templates) plus the
round trips to the database.

Three measures, each per request:

* **statements**: SQL statements sent (a ``before_cursor_execute`` listener). Exact.
* **instructions** (``--instructions``): the child process runs under
  ``valgrind --tool=callgrind`` and counts the instructions of the measured requests only
  (callgrind's client requests, through a 20-line helper compiled with the machine's gcc
  and ``valgrind/callgrind.h``). They count this process only, not PostgreSQL, and do not
  depend on what else the machine is doing: the figure to compare on a shared machine
  (two runs of one checkout differ by well under 1 %).
* **ms** (wall, median): in-process time with SQL time apart. Moves with the machine's load;
  the checkouts are run in turn, round after round (as ``compare.py`` does), so that two
  checkouts meet the same load.

Data: its own database (``--database``, default ``aktsom_cost``) on 127.0.0.1:5432, seeded
with the load bench's code (demo data + one load supplier with an open response) when it
is missing or with ``--seed``; its schema is dropped and recreated then. Every checkout
must have the same database schema (the seeding runs this checkout's migrations). It
prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load_setup as setup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "aktsom_cost"
#: The demo data's reviewer (portal/demo.py), who signs in for ``--staff``.
STAFF_EMAIL = "fagansvarlig@kommune.example"
STAFF_PASSWORD = "aktsom-demo-2025"
#: Each request kind: its key in the child's output and its label.
KINDS = {"page": "GET section page", "save": "POST save"}
STAFF_KINDS = {"inbox": "GET /review (reviewer's inbox)", "report": "GET /reports?year={year}"}

HELPER_C = r"""
#include <valgrind/callgrind.h>
int cg_running(void) { return RUNNING_ON_VALGRIND; }
void cg_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_toggle_collect(void) { CALLGRIND_TOGGLE_COLLECT; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""

# Runs in a fresh process with the checkout's code first on the path. Prints one JSON object.
CHILD = r"""
import ctypes, json, os, re, sys, time
checkout, env, email, password, response_id, mode, n, helper, staff = sys.argv[1:10]
n = int(n)
staff = json.loads(staff)  # {} or {"email", "password", "year"}: also the reviewer's two pages
os.environ.update(json.loads(env))
sys.path.insert(0, checkout)
import portal
if not portal.__file__.startswith(checkout):
    raise SystemExit(f"portal was imported from {portal.__file__}, not from {checkout}")
from sqlalchemy import event
from portal.extensions import db

app = portal.create_app()
with app.app_context():
    engine = db.engine
sql = {"n": 0, "s": 0.0}
def before(conn, cursor, statement, params, context, many):
    conn.info["t0"] = time.perf_counter()
def after(conn, cursor, statement, params, context, many):
    sql["n"] += 1
    sql["s"] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())
event.listen(engine, "before_cursor_execute", before)
event.listen(engine, "after_cursor_execute", after)

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
REV = re.compile(r'name="rev-B4" value="(\d*)"')
client = app.test_client()
page = client.get("/login").get_data(as_text=True)
r = client.post("/login", data={"email": email, "password": password,
                                "csrf_token": TOKEN.search(page).group(1)})
if r.status_code != 302:
    raise SystemExit(f"sign-in failed: HTTP {r.status_code}")
url = f"/responses/{response_id}/sections/B"
count = [0]

def get_page():
    r = client.get(url)
    body = r.get_data(as_text=True)
    if r.status_code != 200:
        raise SystemExit(f"GET {url}: HTTP {r.status_code}")
    return body

def save(body):
    count[0] += 1
    r = client.post(url, data={"csrf_token": TOKEN.search(body).group(1), "present-B4": "1",
                               "rev-B4": REV.search(body).group(1),
                               "q-B4-answer": f"request cost {count[0]}"})
    r.get_data()
    if r.status_code != 302:
        raise SystemExit(f"POST {url}: HTTP {r.status_code}")

STAFF_URLS = {}
if staff:
    staff_client = app.test_client()
    page = staff_client.get("/login").get_data(as_text=True)
    r = staff_client.post("/login", data={"email": staff["email"], "password": staff["password"],
                                          "csrf_token": TOKEN.search(page).group(1)})
    if r.status_code != 302:
        raise SystemExit(f"staff sign-in failed: HTTP {r.status_code}")
    STAFF_URLS = {"inbox": "/review", "report": f"/reports?year={staff['year']}"}

def get_staff(kind):
    r = staff_client.get(STAFF_URLS[kind])
    r.get_data()
    if r.status_code != 200:
        raise SystemExit(f"GET {STAFF_URLS[kind]}: HTTP {r.status_code}")

for _ in range(5):  # warm up: imports, template compilation, caches, connection pool
    save(get_page())
    for kind in STAFF_URLS:
        get_staff(kind)

def one(kind):  # one request of a kind to measure; a save's page is read first, unmeasured
    if kind == "page":
        return get_page
    if kind == "save":
        body = get_page()
        return lambda: save(body)
    return lambda: get_staff(kind)

def measure(kind, run):
    sql.update(n=0, s=0.0)
    t0 = time.perf_counter()
    run()
    return {"ms": (time.perf_counter() - t0) * 1000, "sql_ms": sql["s"] * 1000, "statements": sql["n"]}

KINDS = ["page", "save", *STAFF_URLS]
out = {kind: [] for kind in KINDS}
if mode == "time":
    for _ in range(n):
        holder = {}
        out["page"].append(measure("page", lambda: holder.setdefault("body", get_page())))
        out["save"].append(measure("save", lambda: save(holder["body"])))
        for kind in STAFF_URLS:
            out[kind].append(measure(kind, lambda: get_staff(kind)))
elif mode == "pyinstrument":
    from pyinstrument import Profiler
    out = {}
    for kind in KINDS:
        profiler = Profiler(interval=0.0005)
        for _ in range(n):
            run = one(kind)
            profiler.start(); run(); profiler.stop()
        out[f"{kind} (pyinstrument, wall-clock samples)"] = profiler.output_text(unicode=True, short_mode=False)
elif mode == "profile":
    import cProfile, io, pstats
    out = {}
    for kind in KINDS:
        profiler = cProfile.Profile(time.thread_time)  # CPU time: waits for the database left out
        for _ in range(n):
            run = one(kind)
            profiler.enable(); run(); profiler.disable()
        if os.environ.get("REQUEST_COST_PSTATS"):
            profiler.dump_stats(os.path.join(os.environ["REQUEST_COST_PSTATS"], f"{kind}.pstats"))
        for sort in ("tottime", "cumulative"):
            s = io.StringIO()
            pstats.Stats(profiler, stream=s).strip_dirs().sort_stats(sort).print_stats(40)
            out[f"{kind} by {sort}"] = s.getvalue()
else:  # callgrind: count instructions of the measured requests only
    cg = ctypes.CDLL(helper)
    if not cg.cg_running():
        raise SystemExit("callgrind mode outside valgrind")
    cg.cg_start_instrumentation()
    save(get_page())  # once more with instrumentation on (its translations are made anew)
    for kind in STAFF_URLS:
        get_staff(kind)
    for kind in KINDS:
        cg.cg_zero()
        for _ in range(n):
            run = one(kind)
            cg.cg_toggle_collect(); run(); cg.cg_toggle_collect()
        cg.cg_dump(kind.encode())
    out = {}
print("RESULT " + json.dumps(out))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path,
                        help="folders holding a checkout of the portal (default: this one)")
    parser.add_argument("--database", default=os.environ.get("REQUEST_COST_DATABASE", DEFAULT_DATABASE),
                        help=f"the bench's own database (default {DEFAULT_DATABASE}; dropped and "
                             "recreated when seeded)")
    parser.add_argument("--seed", action="store_true", help="seed the database again")
    parser.add_argument("--rounds", type=int, default=5, help="turns of every checkout (timings)")
    parser.add_argument("--requests", type=int, default=20,
                        help="timed requests of each kind per checkout and turn, after a warm-up")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions under valgrind's callgrind (slow: ~1 min a checkout)")
    parser.add_argument("--cg-requests", type=int, default=10,
                        help="requests of each kind counted under callgrind")
    parser.add_argument("--profile", nargs="?", const="cprofile", choices=("cprofile", "pyinstrument"),
                        help="print where each request kind spends its time (first checkout): "
                             "cProfile's top functions by CPU time, or pyinstrument's call tree "
                             "(pip install pyinstrument)")
    parser.add_argument("--no-time", action="store_true", help="skip the timing rounds")
    parser.add_argument("--staff", action="store_true",
                        help="also the reviewer's two pages of the load bench, GET /review (inbox) "
                             f"and GET /reports?year=YEAR, signed in as the demo reviewer {STAFF_EMAIL}")
    parser.add_argument("--report-year", type=int, default=2024, help="the report page's year (--staff)")
    return parser.parse_args()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import importlib.metadata as md

    versions = []
    for name in ("Flask", "SQLAlchemy", "psycopg", "Flask-WTF", "Flask-Login", "Flask-Babel", "Jinja2"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions.append(f"{name} {md.version(name)}")
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (f"machine: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}; load average {load}\n"
            f"  Python {platform.python_version()}, PostgreSQL {setup.server_version()}, "
            + ", ".join(versions))


def ensure_seeded(force: bool) -> int:
    """The response id of the first load supplier, seeding the database first if needed."""
    if not force:
        try:
            with setup.connect() as conn:
                row = conn.execute(
                    'SELECT r.id FROM response r JOIN "user" u ON u.supplier_id = r.supplier_id '
                    "WHERE u.email = %s ORDER BY r.id LIMIT 1", (setup.SUPPLIER_EMAIL.format(0),)
                ).fetchone()
            if row:
                return int(row[0])
        except Exception as exc:  # noqa: BLE001 - missing database or schema: seed it
            print(f"database {setup.DB_NAME} not usable ({type(exc).__name__}): seeding it")
    print(f"seeding database {setup.DB_NAME} (demo data + one load supplier)...", flush=True)
    instance = Path(tempfile.mkdtemp(prefix="aktsom-cost-seed-"))
    env = setup.app_env(instance)
    setup.recreate_database()
    setup.migrate(env)
    # In a child process: the seeding imports this checkout's portal, the children their own.
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import _load_setup as s; "
            "s.use_database(sys.argv[2]); "
            "out = s.seed(json.loads(sys.argv[3]), 1, 0); print(out.suppliers[0]['response_id'])")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), setup.DB_NAME,
                           json.dumps(env)], capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"seeding failed:\n{done.stderr}")
    return int(done.stdout.strip().splitlines()[-1])


def child_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in setup.app_env(instance).items()
           if k == "DATABASE_URL" or k.startswith(("PORTAL_", "SECRET_KEY"))}
    return env


def run_child(checkout: Path, env: dict[str, str], response_id: int, mode: str, n: int,
              helper: str = "", valgrind: list[str] | None = None,
              staff: dict[str, Any] | None = None) -> dict[str, Any]:
    cmd = [*(valgrind or []), sys.executable, "-c", CHILD, str(checkout), json.dumps(env),
           setup.SUPPLIER_EMAIL.format(0), setup.PASSWORD, str(response_id), mode, str(n), helper,
           json.dumps(staff or {})]
    # A fixed hash seed: the same dict and set layouts in every run (repeatable instructions).
    proc_env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc_env.pop("PORTAL_ENV", None)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=proc_env,
                          cwd=str(checkout))
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{checkout} ({mode}): exit {done.returncode}\n{done.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len("RESULT "):]))


def build_helper(folder: Path) -> str:
    source, library = folder / "cg.c", folder / "cg.so"
    source.write_text(HELPER_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O0", "-o", str(library), str(source)], check=True)
    return str(library)


def callgrind_totals(folder: Path) -> dict[str, int]:
    """Instructions (Ir) of each dump, by its label (the dump's ``desc: Trigger`` line)."""
    totals: dict[str, int] = {}
    for path in sorted(folder.glob("callgrind.out.*")):
        text = path.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if label and total:
            totals[label.group(1)] = int(total.group(1))
    return totals


def instructions(checkout: Path, env: dict[str, str], response_id: int, n: int,
                 helper: str, staff: dict[str, Any]) -> dict[str, float]:
    out_dir = Path(tempfile.mkdtemp(prefix="aktsom-cost-cg-"))
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
                f"--callgrind-out-file={out_dir}/callgrind.out.%p", "--dump-line=no",
                "--compress-strings=no", "--compress-pos=no"]
    run_child(checkout, env, response_id, "callgrind", n, helper, valgrind, staff)
    totals = callgrind_totals(out_dir)
    wanted = {"page", "save", *(STAFF_KINDS if staff else ())}
    if set(totals) != wanted:
        raise SystemExit(f"{checkout}: callgrind dumps not found in {out_dir}: {totals}")
    return {kind: total / n for kind, total in totals.items()}


def main() -> None:
    args = parse_args()
    setup.use_database(args.database)
    checkouts = [c.resolve() for c in (args.checkouts or [ROOT])]
    for checkout in checkouts:
        if not (checkout / "portal" / "__init__.py").is_file():
            raise SystemExit(f"{checkout}: not a checkout of the portal")
    response_id = ensure_seeded(args.seed)
    instance = Path(tempfile.mkdtemp(prefix="aktsom-cost-"))
    env = child_env(instance)
    names = [str(c) for c in checkouts]
    width = max(len(n) for n in names)
    print("Aktsom request cost (bench/request_cost.py)")
    print("  " + machine())
    print(f"  database {setup.DB_NAME}; supplier {setup.SUPPLIER_EMAIL.format(0)}, "
          f"GET and POST /responses/{response_id}/sections/B (save of B4, answered 302)")
    staff: dict[str, Any] = {}
    kinds = dict(KINDS)
    if args.staff:
        staff = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "year": args.report_year}
        kinds |= {k: v.format(year=args.report_year) for k, v in STAFF_KINDS.items()}
        print(f"  reviewer {STAFF_EMAIL}: GET /review and GET /reports?year={args.report_year}")

    if args.profile:
        mode = "profile" if args.profile == "cprofile" else "pyinstrument"
        prof = run_child(checkouts[0], env, response_id, mode, args.requests, staff=staff)
        for key, text in prof.items():
            print(f"\n--- {checkouts[0]}: {key} ({args.requests} requests) ---")
            print(text)

    if not args.no_time:
        rows: dict[str, dict[str, list[dict[str, float]]]] = {n: {k: [] for k in kinds} for n in names}
        for _ in range(args.rounds):
            for checkout, name in zip(checkouts, names, strict=True):
                got = run_child(checkout, env, response_id, "time", args.requests, staff=staff)
                for kind in kinds:
                    rows[name][kind] += got[kind]
        print(f"\nIn-process time per request ({args.rounds} turns × {args.requests} requests of "
              "each kind per checkout, each turn a fresh process after a warm-up; medians):")
        for kind, label in kinds.items():
            print(f"  {label}")
            for name in names:
                r = rows[name][kind]
                ms = statistics.median(x["ms"] for x in r)
                sql_ms = statistics.median(x["sql_ms"] for x in r)
                stmts = sorted({x["statements"] for x in r})
                print(f"    {name:<{width}}  {ms:6.2f} ms wall (min {min(x['ms'] for x in r):6.2f}), "
                      f"{sql_ms:5.2f} ms in SQL, {ms - sql_ms:6.2f} ms the rest; statements "
                      + "/".join(str(s) for s in stmts))

    if args.instructions:
        helper = build_helper(Path(tempfile.mkdtemp(prefix="aktsom-cost-helper-")))
        print(f"\nInstructions per request (callgrind, this process only, mean of {args.cg_requests} "
              "requests of each kind after a warm-up):")
        # One checkout after the other: side by side, both save the same answer of the same
        # response and one meets the other's newer revision (409). Instructions do not depend
        # on the machine's load, so nothing is lost but wall time.
        with ThreadPoolExecutor(max_workers=1) as pool:
            futures = {name: pool.submit(instructions, checkout, env, response_id, args.cg_requests, helper,
                                         staff)
                       for checkout, name in zip(checkouts, names, strict=True)}
            counted = {name: future.result() for name, future in futures.items()}
        base = counted[names[0]]
        for kind, label in kinds.items():
            print(f"  {label}")
            for name in names:
                v = counted[name][kind]
                change = "" if name == names[0] else f"  ({(v - base[kind]) / base[kind]:+.1%})"
                print(f"    {name:<{width}}  {v / 1e6:8.2f} M instructions{change}")


if __name__ == "__main__":
    main()
