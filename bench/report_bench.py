"""Time the annual report on a large municipality, alone and in a national instance (see bench/README.md).

    .venv/bin/python bench/report_bench.py                       # SQLite file in the temp folder
    .venv/bin/python bench/report_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/aktsom_bench

Generates the data with bulk inserts (Core ``insert()`` with executemany) into a
fresh database, then requests the report page, the JSON, the XLSX and the PDF for
one year through the Flask test client, N times each, and prints the median time
and the number of SQL statements each request ran. Then (unless ``--single``) it adds
the other buyers of a national instance, times the large buyer again and a small one,
and prints both runs side by side. It prints figures; it is not a test and never fails
the build.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, make_url, text  # noqa: E402

from portal import clock, create_app  # noqa: E402
from portal.codes import (  # noqa: E402
    ACTIVITY_KINDS,
    DFO_CATEGORIES,
    MEASURES,
    PROCESS_DEVIATION_TYPES,
    RIGHTS_DEVIATION_TYPES,
)
from portal.extensions import db  # noqa: E402
from portal.models import Base  # noqa: E402
from portal.passwords import hash_password  # noqa: E402
from portal.questionnaires.definition import load_definition, shipped_definitions  # noqa: E402

PASSWORD = "bench-password-not-secret-123"
REVIEWER = "reviewer@bench.example"
VERDICTS_PER_REVIEW = 10
LARGE_BUYER = 1
SMALL_TARGET_MS = 100
PAGE_TARGET_MS = 300
PDF_TARGET_MS = 3000
COUNTRIES = ("BD", "CN", "IN", "VN", "TR", "PK", "KH", "MM", "ID", "TH", "PL", "LT", "NO", "SE",
             "DE", "IT", "PT", "BR", "MX", "ET")
JOB_TITLES = ("Seniorrådgiver – fagansvarlig etisk handel", "Kontraktsforvalter",
              "Innkjøpsrådgiver", "Rådgiver bærekraft")


@dataclass
class Sizes:
    suppliers: int
    agreements: int
    responses: int
    deviations: int
    extra_activities: int
    years: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_database_url(),
                        help="SQLAlchemy URL of a database the benchmark may empty "
                             "(default: $DATABASE_URL or a SQLite file in the temp folder)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per request (median)")
    parser.add_argument("--suppliers", type=int, default=2000)
    parser.add_argument("--agreements", type=int, default=3000)
    parser.add_argument("--responses", type=int, default=30000)
    parser.add_argument("--deviations", type=int, default=10000)
    parser.add_argument("--activities", type=int, default=8000,
                        help="activities besides the one each accepted response records")
    parser.add_argument("--years", type=int, default=5, help="years of rounds, ending last year")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--reuse", action="store_true",
                        help="time the national data a previous run left in the database, "
                             "without generating (no single-buyer baseline then)")
    parser.add_argument("--single", action="store_true",
                        help="only the large buyer alone (the part before the national instance)")
    parser.add_argument("--buyers", type=int, default=356, help="buyers of the national instance")
    parser.add_argument("--national-suppliers", type=int, default=20000)
    parser.add_argument("--national-responses", type=int, default=300000)
    parser.add_argument("--national-deviations", type=int, default=100000)
    parser.add_argument("--small-buyer", type=int, default=0,
                        help="with --reuse: the id of the small buyer to time (default: the median one)")
    parser.add_argument("--explain", type=int, default=3,
                        help="PostgreSQL: EXPLAIN ANALYZE the N slowest statements of the large "
                             "buyer's JSON on the national data (0: none)")
    return parser.parse_args()


# Database


def ensure_database(url: str) -> None:
    """On PostgreSQL, create the named database if it is missing (autocommit)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    import psycopg

    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - name from the caller's URL


def fresh_schema() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    Base.metadata.create_all(db.engine)


def bulk(connection: Any, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        connection.execute(insert(table), rows[start:start + chunk])


# Data


TABLES = ("buyer", "user", "supplier", "buyer_supplier", "agreement", "agreement_supplier",
          "questionnaire_version", "follow_up_round", "response", "question_review",
          "follow_up_activity", "deviation")


class Rows:
    """Rows to insert, per table, with the next id of each (several buyers share the tables)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        rows = self.tables[table]
        if table not in ("buyer_supplier", "agreement_supplier"):
            row.setdefault("id", self.next_id[table])
            self.next_id[table] = row["id"] + 1
        rows.append(row)
        return row

    next_id: dict[str, int]


def new_rows(start: dict[str, int] | None = None) -> Rows:
    rows = Rows()
    rows.next_id = {name: 1 for name in TABLES} | (start or {})
    return rows


def shared_rows(rows: Rows, supplier_count: int, now: datetime) -> None:
    """What every buyer shares: the supplier organisations and the questionnaire."""
    for i in range(1, supplier_count + 1):
        rows.add("supplier", dict(
            id=i, name=f"Leverandør {i} AS (bench)", org_number=f"{900000000 + i}", country="NO",
            address="", postal_code="", city="Lillestrøm", is_demo=True, created_at=now,
            updated_at=now))
    shipped = shipped_definitions()[0]
    definition = load_definition(shipped)
    rows.add("questionnaire_version", dict(
        id=1, key=definition.id, version=definition.version, title_nb=definition.title.nb,
        title_en=definition.title.en, content=definition.source,
        content_hash=definition.content_hash, filename=shipped.name, published_at=now))


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def scored_questions() -> list[str]:
    return [q.id for q in load_definition(shipped_definitions()[0]).questions() if q.scored]


def buyer_rows(rows: Rows, rng: random.Random, sizes: Sizes, today: date, now: datetime,
               buyer_id: int, suppliers: list[int], staff: list[tuple[str, str, str]],
               scored: list[str]) -> None:
    """One buyer of the requested size: its staff (email, role, job title), agreements
    with suppliers drawn from ``suppliers``, its register, rounds, responses, verdicts,
    activities and deviations."""
    last_year = today.year - 1
    round_years = list(range(last_year - sizes.years + 1, last_year + 1))
    rows.add("buyer", dict(
        id=buyer_id, name=f"Bench kommune {buyer_id}", org_number=f"{800000000 + buyer_id}",
        kind="municipality", report_contact_name="", report_contact_email="", default_locale="nb",
        is_demo=True, created_at=now, updated_at=now))
    password = password_hash()
    staff_ids = []
    for email, role, title in staff:
        user_id = rows.next_id["user"]
        rows.add("user", dict(
            email=email, name=f"Staff {user_id}", role=role, locale="nb", password_hash=password,
            job_title=title, buyer_id=buyer_id, session_token=f"t{user_id:063d}", created_at=now,
            updated_at=now))
        staff_ids.append(user_id)

    kinds = ("framework", "framework", "contract", "construction")
    categories = [*DFO_CATEGORIES.codes, None, None]
    agreements = []
    links = []
    for _ in range(sizes.agreements):
        start = date(rng.randint(round_years[0] - 6, last_year), rng.randint(1, 12), rng.randint(1, 28))
        end = None if rng.random() < 0.45 else start + timedelta(days=rng.randint(365, 365 * 8))
        agreement = rows.add("agreement", dict(
            buyer_id=buyer_id, name_nb=f"Avtale {rows.next_id['agreement']}",
            name_en=f"Agreement {rows.next_id['agreement']}",
            reference=f"BENCH-{rows.next_id['agreement']:06d}",
            kind=rng.choice(kinds), dfo_category=rng.choice(categories),
            estimated_value=None if rng.random() < 0.2 else Decimal(rng.randint(1, 500) * 100000),
            start_date=start, end_date=end, qualification_requirement=rng.random() < 0.5,
            award_criterion=rng.random() < 0.2, contract_condition=rng.random() < 0.7,
            social_dialogue_required=False, social_dialogue_wording="", questionnaire_variant="full",
            product_scope="", created_at=now, updated_at=now,
        ))
        agreements.append(agreement)
        for supplier_id in rng.sample(suppliers, min(len(suppliers), rng.randint(1, 5))):
            links.append(rows.add("agreement_supplier",
                                  dict(agreement_id=agreement["id"], supplier_id=supplier_id)))
    by_agreement: dict[int, list[int]] = {}
    for link in links:
        by_agreement.setdefault(link["agreement_id"], []).append(link["supplier_id"])
    for supplier_id in sorted({link["supplier_id"] for link in links}):
        rows.add("buyer_supplier", dict(buyer_id=buyer_id, supplier_id=supplier_id))

    rounds = [rows.add("follow_up_round", dict(
        buyer_id=buyer_id, year=y, name_nb=f"Oppfølging {y}", name_en=f"Follow-up {y}",
        questionnaire_version_id=1, deadline=date(y, 5, 1), intro_nb="", intro_en="",
        created_at=now, updated_at=now)) for y in round_years]

    per_round = sizes.responses // len(round_years)
    activities = []
    for round_ in rounds:
        y = round_["year"]
        active_ids = {a["id"] for a in agreements if a["start_date"] <= date(y, 12, 31)
                      and (a["end_date"] is None or a["end_date"] >= date(y, 1, 1))}
        pairs = [(a["id"], s) for a in agreements if a["id"] in active_ids for s in by_agreement[a["id"]]]
        others = [(a["id"], s) for a in agreements if a["id"] not in active_ids
                  for s in by_agreement[a["id"]]]
        rng.shuffle(pairs)
        rng.shuffle(others)
        chosen = (pairs + others)[:per_round]
        latest = y == last_year
        weights = (5, 5, 10, 5, 5, 70) if latest else (3, 2, 2, 1, 2, 90)
        statuses = rng.choices(("not_started", "in_progress", "submitted", "returned", "resubmitted",
                                "accepted"), weights=weights, k=len(chosen))
        for (agreement_id, supplier_id), status in zip(chosen, statuses, strict=True):
            response = rows.add("response", dict(
                round_id=round_["id"], agreement_id=agreement_id,
                supplier_id=supplier_id, status=status, deadline=round_["deadline"],
                reopened_questions=[], created_at=now, updated_at=now,
            ))
            if latest and status in ("accepted", "returned", "resubmitted"):
                # The report year's reviews carry verdicts (the traffic lights read them).
                for question_id in rng.sample(scored, VERDICTS_PER_REVIEW):
                    rows.add("question_review", dict(
                        response_id=response["id"], question_id=question_id,
                        verdict=rng.choices(("meets", "partly", "not_met", "na"),
                                            weights=(85, 8, 3, 4))[0],
                        comment_to_supplier="", internal_note="", updated_at=now,
                    ))
            if status == "accepted":
                activities.append(dict(
                    buyer_id=buyer_id, kind="questionnaire_reviewed",
                    date=date(y, rng.randint(5, 12), rng.randint(1, 28)),
                    agreement_id=agreement_id, supplier_id=supplier_id, response_id=response["id"],
                    notes="", created_by_id=rng.choice(staff_ids), created_at=now, updated_at=now,
                ))
    # The shared kinds (issue 14) name the share they came from (a check constraint): the
    # generator makes no shares, so it draws its other activities from the remaining kinds.
    other_kinds = [k for k in ACTIVITY_KINDS.codes
                   if k not in ("questionnaire_reviewed", "shared_self_assessment", "reused_follow_up")]
    for _ in range(sizes.extra_activities):
        link = rng.choice(links)
        y = rng.choice(round_years)
        activities.append(dict(
            buyer_id=buyer_id, kind=rng.choice(other_kinds),
            date=date(y, rng.randint(1, 12), rng.randint(1, 28)),
            agreement_id=link["agreement_id"], supplier_id=link["supplier_id"], response_id=None,
            notes="", created_by_id=rng.choice(staff_ids), created_at=now, updated_at=now,
        ))
    for activity in activities:
        rows.add("follow_up_activity", activity)

    rights = RIGHTS_DEVIATION_TYPES.codes
    process = PROCESS_DEVIATION_TYPES.codes
    tiers = ("T0", "TI", "T1", "T2", "T3", "TL", "TS", "TU")
    statuses = ("REGISTERED", "NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "CLOSED_OK",
                "ESCALATED", "CLOSED_NOT_OK", "WITHDRAWN")
    for _ in range(sizes.deviations):
        link = rng.choice(links)
        y = rng.choice(round_years)
        detected = date(y, rng.randint(1, 12), rng.randint(1, 28))
        status = rng.choices(statuses, weights=(8, 6, 8, 12, 6, 40, 4, 6, 3))[0]
        closed = detected + timedelta(days=rng.randint(10, 400)) if status.startswith("CLOSED") else None
        rows.add("deviation", dict(
            buyer_id=buyer_id, supplier_id=link["supplier_id"], agreement_id=link["agreement_id"],
            type=rng.choice(process) if rng.random() < 0.4 else rng.choice(rights),
            severity=rng.choice(("CRITICAL", "MAJOR", "MINOR", "OBS")),
            tier=rng.choices(tiers, weights=(15, 5, 35, 15, 10, 5, 5, 10))[0],
            country=rng.choice(COUNTRIES), site=f"Confidential factory {rows.next_id['deviation']}",
            description="Funnet ved gjennomgang.", detected_date=detected,
            detected_by=rng.choice(("SAQ", "DESK", "SITE", "MEETING", "SPOT")), root_cause="",
            measures=sorted(rng.sample(MEASURES.codes, rng.randint(0, 3))),
            measures_text=rng.choice(("", "Tiltaksplan avtalt med leverandøren.",
                                      "Oppfølgingsmøte gjennomført; ny revisjon planlagt.")),
            responsible="", deadline=detected + timedelta(days=rng.randint(30, 365)), status=status,
            closed_date=closed, remediation_for_workers="", internal_note="",
            is_proposed=rng.random() < 0.05, supplier_plan="", created_by_id=rng.choice(staff_ids),
            created_at=now, updated_at=now,
        ))


def insert_rows(rows: Rows) -> dict[str, int]:
    """Bulk-insert ``rows`` in foreign-key order, move the id sequences past them (PostgreSQL)
    and ANALYZE; returns the row counts."""
    tables = Base.metadata.tables
    with db.engine.begin() as connection:
        for name in TABLES:
            bulk(connection, tables[name], rows.tables[name])
        if connection.dialect.name == "postgresql":
            for name in TABLES:
                if name in ("buyer_supplier", "agreement_supplier") or not rows.tables[name]:
                    continue
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM \"{name}\"))"
                ))
        connection.execute(text("ANALYZE"))
    return {name: len(table_rows) for name, table_rows in rows.tables.items() if table_rows}


def generate(sizes: Sizes, seed: int, today: date) -> tuple[dict[str, int], Rows]:
    """The large municipality (buyer 1) alone; returns the row counts and the rows (whose
    next ids the national part continues from)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = new_rows()
    shared_rows(rows, sizes.suppliers, now)
    staff = [("admin@bench.example", "admin", "Innkjøpssjef")]
    staff += [(REVIEWER if i == 0 else f"reviewer{i + 2}@bench.example", "reviewer", title)
              for i, title in enumerate(JOB_TITLES * 3)]
    buyer_rows(rows, rng, sizes, today, now, LARGE_BUYER, list(range(1, sizes.suppliers + 1)),
               staff, scored_questions())
    return insert_rows(rows), rows


def national(large: Sizes, done: Rows, args: argparse.Namespace, today: date) -> tuple[dict[str, int], int]:
    """The other buyers of a national instance beside the large one: ``--buyers`` - 1 buyers
    of varied small sizes sharing ``--national-suppliers`` supplier organisations, with the
    national totals of responses and deviations less the large buyer's. Returns the row
    counts and the id of a small buyer of median size (the one timed)."""
    rng = random.Random(args.seed + 1)
    now = datetime.now(UTC)
    rows = new_rows(done.next_id)
    for i in range(large.suppliers + 1, args.national_suppliers + 1):
        rows.add("supplier", dict(
            id=i, name=f"Leverandør {i} AS (bench)", org_number=f"{900000000 + i}", country="NO",
            address="", postal_code="", city="Bergen", is_demo=True, created_at=now,
            updated_at=now))
    others = args.buyers - 1
    # Varied sizes: a long tail of small buyers and a few mid-sized ones (log-normal weights).
    weights = [rng.lognormvariate(0, 1) for _ in range(others)]
    responses_left = args.national_responses - large.responses
    deviations_left = args.national_deviations - large.deviations
    pool = list(range(1, args.national_suppliers + 1))
    scored = scored_questions()
    sizes_by_buyer: dict[int, int] = {}
    for n, weight in enumerate(weights, start=LARGE_BUYER + 1):
        share = weight / sum(weights)
        responses = max(large.years, round(responses_left * share))
        suppliers = max(3, responses // 15)
        sizes = Sizes(suppliers=suppliers, agreements=max(2, responses // 10), responses=responses,
                      deviations=round(deviations_left * share),
                      extra_activities=responses * large.extra_activities // large.responses,
                      years=large.years)
        staff = [(f"reviewer@b{n}.bench.example", "reviewer", JOB_TITLES[n % len(JOB_TITLES)])]
        buyer_rows(rows, rng, sizes, today, now, n, rng.sample(pool, suppliers), staff, scored)
        sizes_by_buyer[n] = responses
    ordered = sorted(sizes_by_buyer, key=lambda b: sizes_by_buyer[b])
    return insert_rows(rows), ordered[len(ordered) // 2]


# Timing


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def measure(app: Any, client: Any, path: str, runs: int) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU times in ms of ``runs`` requests after one warm-up, the statements of
    one request, and its size. CPU time is this process's: all of the work on SQLite,
    everything but the server's on PostgreSQL; it moves less than wall time on a busy
    machine."""
    with app.app_context(), counting() as statements:
        warm = client.get(path)
    if warm.status_code != 200:
        raise SystemExit(f"{path}: HTTP {warm.status_code}")
    times, cpu = [], []
    for _ in range(runs):
        with app.app_context():
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return times, cpu, len(statements), len(warm.get_data())


def cpu_check() -> float:
    """Milliseconds for a fixed pure-Python loop, median of five: how fast this machine is
    right now. On a shared machine it moves by half within minutes, and the figures with it;
    compare runs only at a similar value."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def machine(app: Any) -> list[str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            version = connection.execute(text("SELECT version()")).scalar_one()
        else:
            version = "SQLite " + connection.execute(text("SELECT sqlite_version()")).scalar_one()
    meminfo = Path("/proc/meminfo")
    ram = "?"
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    import sqlalchemy
    import weasyprint

    return [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs (nproc), RAM {ram}, {platform.platform()}",
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"WeasyPrint {weasyprint.__version__}",
        f"database: {version}",
        "load average before timing: " + ", ".join(f"{x:.2f}" for x in load),
    ]


def app_config(database_url: str, instance: Path) -> dict[str, Any]:
    """The portal's configuration for timing: cheap password hashing, no CSRF, no limits."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-123456",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "REQUIRE_STAFF_2FA": False,
    }


def default_database_url() -> str:
    default_sqlite = f"sqlite:///{Path(tempfile.gettempdir()) / 'aktsom-report-bench.sqlite'}"
    return os.environ.get("DATABASE_URL") or default_sqlite


def sign_in(app: Any, email: str) -> Any:
    client = app.test_client()
    with app.app_context():
        login = client.post("/login", data={"email": email, "password": PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: HTTP {login.status_code}")
    return client


@dataclass
class Figure:
    median: float
    low: float
    high: float
    cpu: float
    statements: int
    size: int


def time_cases(app: Any, client: Any, cases: list[tuple[str, str, int | None]], runs: int,
               label: str) -> dict[str, Figure]:
    print(f"\n{label}: median of {runs} runs after one warm-up (Flask test client, one process); "
          f"cpu ms: median CPU time of this process\n")
    header = (f"{'request':<22} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'cpu ms':>7} "
              f"{'queries':>8} {'bytes':>10}  target")
    print(header)
    print("-" * len(header))
    figures = {}
    for name, path, target in cases:
        times, cpu, statements, size = measure(app, client, path, runs)
        figure = Figure(statistics.median(times), min(times), max(times), statistics.median(cpu),
                        statements, size)
        figures[name] = figure
        verdict = "" if target is None else (
            f"< {target} ms {'PASS' if figure.median < target else 'FAIL'}")
        print(f"{name:<22} {figure.median:>10.0f} {figure.low:>8.0f} {figure.high:>8.0f} "
              f"{figure.cpu:>7.0f} {statements:>8} {size:>10,}  {verdict}")
    return figures


def large_cases(year: int) -> list[tuple[str, str, int | None]]:
    return [
        ("report page", f"/reports?year={year}", PAGE_TARGET_MS),
        ("report page, grouped", f"/reports?year={year}&view=grouped", PAGE_TARGET_MS),
        ("JSON", f"/reports/{year}.json", PAGE_TARGET_MS),
        ("XLSX", f"/reports/{year}.xlsx", None),
        ("CSV (4a3)", f"/reports/{year}/4a3.csv", None),
        ("PDF (nb)", f"/reports/{year}.pdf?lang=nb", PDF_TARGET_MS),
    ]


def side_by_side(single: dict[str, Figure], national: dict[str, Figure],
                 small: dict[str, Figure]) -> None:
    """The single-buyer and national figures of the same run, and whether the number of
    statements changed with the number of buyers."""
    print("\nside by side (median ms / statements)\n")
    header = (f"{'request':<28} {'1 buyer':>9} {'national':>9} {'stmts 1':>8} {'stmts nat':>9}  "
              f"statements")
    print(header)
    print("-" * len(header))
    for name, figure in national.items():
        before = single.get(name)
        same = "" if before is None else (
            "same" if before.statements == figure.statements else "GROWS" if
            figure.statements > before.statements else "fewer")
        baseline = f"{before.median:.0f}" if before else "-"
        print(f"{'large: ' + name:<28} {baseline:>9} "
              f"{figure.median:>9.0f} {before.statements if before else '':>8} "
              f"{figure.statements:>9}  {same}")
    for name, figure in small.items():
        before = single.get(name)
        same = "" if before is None else (
            "same as the large buyer's" if before.statements == figure.statements else
            f"differs from the large buyer's ({before.statements})")
        print(f"{'small: ' + name:<28} {'':>9} {figure.median:>9.0f} {'':>8} {figure.statements:>9}"
              f"  {same}  (< {SMALL_TARGET_MS} ms {'PASS' if figure.median < SMALL_TARGET_MS else 'FAIL'})")


def explain_slowest(app: Any, client: Any, path: str, count: int) -> None:
    """On PostgreSQL: the ``count`` slowest statements of one request, with the scans of
    their plans (EXPLAIN ANALYZE), to see whether a query reads across buyers."""
    timings: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        timings.append(((time.perf_counter() - conn.info["bench_started"]) * 1000, statement,
                        parameters))

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
        print(f"\nslowest statements of {path} (national data) and the scans of their plans:")
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for took, statement, parameters in sorted(timings, key=lambda t: -t[0])[:count]:
                plan = raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
                first = " ".join(statement.split())[:160]
                print(f"\n  {took:.0f} ms: {first} ...")
                for (line,) in plan:
                    if "Scan" in line or "Execution Time" in line:
                        print("    " + line.strip())


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="aktsom-bench-"))
    app = create_app(app_config(args.database_url, instance))
    logging.getLogger("portal.access").setLevel(logging.WARNING)  # one line per request otherwise
    sizes = Sizes(args.suppliers, args.agreements, args.responses, args.deviations, args.activities,
                  args.years)
    today = clock.today()
    year = today.year - 1
    print("\n".join(machine(app)))
    print(f"url: {make_url(args.database_url).render_as_string(hide_password=True)}")
    print(f"cpu check before timing: {cpu_check():.0f} ms (a fixed loop; lower is faster)")
    single: dict[str, Figure] = {}
    rows = None
    if not args.reuse:
        with app.app_context():
            started = time.perf_counter()
            fresh_schema()
            counts, rows = generate(sizes, args.seed, today)
            generated = time.perf_counter() - started
        print("large buyer generated in {:.1f} s: {}".format(
            generated, ", ".join(f"{k} {v:,}" for k, v in counts.items())))
        single = time_cases(app, sign_in(app, REVIEWER), large_cases(year), args.runs,
                            f"year {year}, the large buyer alone (single-buyer baseline)")
        print(f"cpu check: {cpu_check():.0f} ms")
        summary(app, year, today, LARGE_BUYER)

    if args.single:
        finish(app)
        return
    if rows is not None:
        with app.app_context():
            started = time.perf_counter()
            counts, small_buyer = national(sizes, rows, args, today)
            generated = time.perf_counter() - started
        print("\nnational instance: {} other buyers generated in {:.1f} s: {}".format(
            args.buyers - 1, generated, ", ".join(f"{k} {v:,}" for k, v in counts.items())))
    elif args.small_buyer:
        small_buyer = args.small_buyer
    else:
        with app.app_context(), db.engine.connect() as connection:
            by_size = connection.execute(text(
                "SELECT buyer_id FROM agreement WHERE buyer_id <> :large GROUP BY buyer_id "
                "ORDER BY count(*), buyer_id"), {"large": LARGE_BUYER}).scalars().all()
        if not by_size:
            raise SystemExit("--reuse: no other buyers in the database (was it made with --single?)")
        small_buyer = by_size[len(by_size) // 2]
    with app.app_context(), db.engine.connect() as connection:
        totals = {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()  # noqa: S608
                  for name in ("buyer", "supplier", "buyer_supplier", "agreement", "response",
                               "question_review", "follow_up_activity", "deviation")}
    print("national totals: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"cpu check: {cpu_check():.0f} ms")
    large_client = sign_in(app, REVIEWER)
    national_figures = time_cases(app, large_client, large_cases(year), args.runs,
                                  f"year {year}, the large buyer in the national instance")
    small = time_cases(app, sign_in(app, f"reviewer@b{small_buyer}.bench.example"), [
        ("report page", f"/reports?year={year}", SMALL_TARGET_MS),
        ("JSON", f"/reports/{year}.json", SMALL_TARGET_MS),
    ], args.runs, f"year {year}, buyer {small_buyer} (a small buyer of median size)")
    side_by_side(single, national_figures, small)
    summary(app, year, today, LARGE_BUYER)
    summary(app, year, today, small_buyer)
    if args.explain:
        explain_slowest(app, large_client, f"/reports/{year}.json", args.explain)
    finish(app)


def summary(app: Any, year: int, today: date, buyer_id: int) -> None:
    from portal.reports import queries
    from portal.tenancy import scope_to

    with app.app_context():
        scope_to(db.session(), buyer_id)
        try:
            report = queries.year_report(year, today, want=queries.ReportRequest(limit=0))
        finally:
            scope_to(db.session(), None)
    print(f"buyer {buyer_id}, {year}: {report.agreements.active:,} active agreements, "
          f"4.A.2 {report.follow_up.suppliers:,} suppliers on {report.follow_up.agreements:,} agreements, "
          f"4.A.3 {report.deviations.detected.count:,} deviations in "
          f"{len(report.deviations.detected.groups):,} groups / "
          f"{len(report.deviations.detected.summary):,} (type, tier) rows, "
          f"{report.deviations.earlier_open.count:,} earlier still open")


def finish(app: Any) -> None:
    print("\nload average after timing: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"cpu check after timing: {cpu_check():.0f} ms")


if __name__ == "__main__":
    main()
