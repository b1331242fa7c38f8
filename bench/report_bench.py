"""Time the annual report on a large municipality (see bench/README.md).

    .venv/bin/python bench/report_bench.py                       # SQLite file in the temp folder
    .venv/bin/python bench/report_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/aktsom_bench

Generates the data with bulk inserts (Core ``insert()`` with executemany) into a
fresh database, then requests the report page, the JSON, the XLSX and the PDF for
one year through the Flask test client, N times each, and prints the median time
and the number of SQL statements each request ran. It prints figures; it is not a
test and never fails the build.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, make_url, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.codes import (  # noqa: E402
    ACTIVITY_KINDS,
    DFO_CATEGORIES,
    MEASURES,
    PROCESS_DEVIATION_TYPES,
    RIGHTS_DEVIATION_TYPES,
)
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Agreement,
    Base,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    QuestionnaireVersion,
    QuestionReview,
    Response,
    Supplier,
    User,
    agreement_supplier,
)
from portal.passwords import hash_password  # noqa: E402
from portal.questionnaires.definition import load_definition, shipped_definitions  # noqa: E402

PASSWORD = "bench-password-not-secret-123"
REVIEWER = "reviewer@bench.example"
VERDICTS_PER_REVIEW = 10
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
                        help="time the data a previous run left in the database, without generating")
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


def generate(sizes: Sizes, seed: int, today: date) -> dict[str, int]:
    """A municipality of the requested size; returns the row counts."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    last_year = today.year - 1
    round_years = list(range(last_year - sizes.years + 1, last_year + 1))
    counts: dict[str, int] = {}

    users = [dict(id=1, email="admin@bench.example", name="Admin", role="admin", locale="nb",
                  password_hash=hash_password(PASSWORD), job_title="Innkjøpssjef",
                  session_token=f"t{1:063d}", created_at=now, updated_at=now)]
    for i, title in enumerate(JOB_TITLES * 3, start=2):
        users.append(dict(id=i, email=REVIEWER if i == 2 else f"reviewer{i}@bench.example",
                          name=f"Reviewer {i}", role="reviewer", locale="nb",
                          password_hash=users[0]["password_hash"], job_title=title,
                          session_token=f"t{i:063d}", created_at=now, updated_at=now))
    staff_ids = [u["id"] for u in users]

    suppliers = [
        dict(id=i, name=f"Leverandør {i} AS (bench)", org_number=f"{900000000 + i}", country="NO",
             address="", postal_code="", city="Lillestrøm", is_demo=True, created_at=now,
             updated_at=now)
        for i in range(1, sizes.suppliers + 1)
    ]

    kinds = ("framework", "framework", "contract", "construction")
    categories = [*DFO_CATEGORIES.codes, None, None]
    agreements = []
    links = []
    for i in range(1, sizes.agreements + 1):
        start = date(rng.randint(round_years[0] - 6, last_year), rng.randint(1, 12), rng.randint(1, 28))
        end = None if rng.random() < 0.45 else start + timedelta(days=rng.randint(365, 365 * 8))
        agreements.append(dict(
            id=i, name_nb=f"Avtale {i}", name_en=f"Agreement {i}", reference=f"BENCH-{i:05d}",
            kind=rng.choice(kinds), dfo_category=rng.choice(categories),
            estimated_value=None if rng.random() < 0.2 else Decimal(rng.randint(1, 500) * 100000),
            start_date=start, end_date=end, qualification_requirement=rng.random() < 0.5,
            award_criterion=rng.random() < 0.2, contract_condition=rng.random() < 0.7,
            social_dialogue_required=False, social_dialogue_wording="", questionnaire_variant="full",
            product_scope="", created_at=now, updated_at=now,
        ))
        for supplier_id in rng.sample(range(1, sizes.suppliers + 1), rng.randint(1, 5)):
            links.append(dict(agreement_id=i, supplier_id=supplier_id))
    by_agreement: dict[int, list[int]] = {}
    for link in links:
        by_agreement.setdefault(link["agreement_id"], []).append(link["supplier_id"])

    shipped = shipped_definitions()[0]
    definition = load_definition(shipped)
    version = dict(id=1, key=definition.id, version=definition.version, title_nb=definition.title.nb,
                   title_en=definition.title.en, content=definition.source,
                   content_hash=definition.content_hash, filename=shipped.name, published_at=now)
    scored = [q.id for q in definition.questions() if q.scored]
    rounds = [dict(id=n, year=y, name_nb=f"Oppfølging {y}", name_en=f"Follow-up {y}",
                   questionnaire_version_id=1, deadline=date(y, 5, 1), intro_nb="", intro_en="",
                   created_at=now, updated_at=now)
              for n, y in enumerate(round_years, start=1)]

    responses = []
    activities = []
    verdicts = []
    per_round = sizes.responses // len(round_years)
    for round_ in rounds:
        y = round_["year"]
        active = [a for a in agreements if a["start_date"] <= date(y, 12, 31)
                  and (a["end_date"] is None or a["end_date"] >= date(y, 1, 1))]
        pairs = [(a["id"], s) for a in active for s in by_agreement[a["id"]]]
        others = [(a["id"], s) for a in agreements if a not in active for s in by_agreement[a["id"]]]
        rng.shuffle(pairs)
        rng.shuffle(others)
        chosen = (pairs + others)[:per_round]
        latest = y == last_year
        weights = (5, 5, 10, 5, 5, 70) if latest else (3, 2, 2, 1, 2, 90)
        statuses = rng.choices(("not_started", "in_progress", "submitted", "returned", "resubmitted",
                                "accepted"), weights=weights, k=len(chosen))
        for (agreement_id, supplier_id), status in zip(chosen, statuses, strict=True):
            response_id = len(responses) + 1
            responses.append(dict(
                id=response_id, round_id=round_["id"], agreement_id=agreement_id,
                supplier_id=supplier_id, status=status, deadline=round_["deadline"],
                reopened_questions=[], created_at=now, updated_at=now,
            ))
            if latest and status in ("accepted", "returned", "resubmitted"):
                # The report year's reviews carry verdicts (the traffic lights read them).
                for question_id in rng.sample(scored, VERDICTS_PER_REVIEW):
                    verdicts.append(dict(
                        id=len(verdicts) + 1, response_id=response_id, question_id=question_id,
                        verdict=rng.choices(("meets", "partly", "not_met", "na"),
                                            weights=(85, 8, 3, 4))[0],
                        comment_to_supplier="", internal_note="", updated_at=now,
                    ))
            if status == "accepted":
                activities.append(dict(
                    kind="questionnaire_reviewed", date=date(y, rng.randint(5, 12), rng.randint(1, 28)),
                    agreement_id=agreement_id, supplier_id=supplier_id, response_id=response_id,
                    notes="", created_by_id=rng.choice(staff_ids), created_at=now, updated_at=now,
                ))
    other_kinds = [k for k in ACTIVITY_KINDS.codes if k != "questionnaire_reviewed"]
    for _ in range(sizes.extra_activities):
        link = rng.choice(links)
        y = rng.choice(round_years)
        activities.append(dict(
            kind=rng.choice(other_kinds), date=date(y, rng.randint(1, 12), rng.randint(1, 28)),
            agreement_id=link["agreement_id"], supplier_id=link["supplier_id"], response_id=None,
            notes="", created_by_id=rng.choice(staff_ids), created_at=now, updated_at=now,
        ))
    for n, activity in enumerate(activities, start=1):
        activity["id"] = n

    rights = RIGHTS_DEVIATION_TYPES.codes
    process = PROCESS_DEVIATION_TYPES.codes
    tiers = ("T0", "TI", "T1", "T2", "T3", "TL", "TS", "TU")
    statuses = ("REGISTERED", "NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "CLOSED_OK",
                "ESCALATED", "CLOSED_NOT_OK", "WITHDRAWN")
    deviations = []
    for i in range(1, sizes.deviations + 1):
        link = rng.choice(links)
        y = rng.choice(round_years)
        detected = date(y, rng.randint(1, 12), rng.randint(1, 28))
        status = rng.choices(statuses, weights=(8, 6, 8, 12, 6, 40, 4, 6, 3))[0]
        closed = detected + timedelta(days=rng.randint(10, 400)) if status.startswith("CLOSED") else None
        deviations.append(dict(
            id=i, supplier_id=link["supplier_id"], agreement_id=link["agreement_id"],
            type=rng.choice(process) if rng.random() < 0.4 else rng.choice(rights),
            severity=rng.choice(("CRITICAL", "MAJOR", "MINOR", "OBS")),
            tier=rng.choices(tiers, weights=(15, 5, 35, 15, 10, 5, 5, 10))[0],
            country=rng.choice(COUNTRIES), site=f"Confidential factory {i}",
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

    with db.engine.begin() as connection:
        bulk(connection, User.__table__, users)
        bulk(connection, Supplier.__table__, suppliers)
        bulk(connection, Agreement.__table__, agreements)
        bulk(connection, agreement_supplier, links)
        bulk(connection, QuestionnaireVersion.__table__, [version])
        bulk(connection, FollowUpRound.__table__, rounds)
        bulk(connection, Response.__table__, responses)
        bulk(connection, QuestionReview.__table__, verdicts)
        bulk(connection, FollowUpActivity.__table__, activities)
        bulk(connection, Deviation.__table__, deviations)
        if connection.dialect.name == "postgresql":
            for table in ("user", "supplier", "agreement", "questionnaire_version", "follow_up_round",
                          "response", "question_review", "follow_up_activity", "deviation"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM \"{table}\"))"
                ))
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    counts.update(users=len(users), suppliers=len(suppliers), agreements=len(agreements),
                  agreement_suppliers=len(links), rounds=len(rounds), responses=len(responses),
                  verdicts=len(verdicts),
                  activities=len(activities), deviations=len(deviations))
    return counts


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


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="aktsom-bench-"))
    app = create_app(app_config(args.database_url, instance))
    sizes = Sizes(args.suppliers, args.agreements, args.responses, args.deviations, args.activities,
                  args.years)
    today = date.today()
    print("\n".join(machine(app)))
    print(f"url: {make_url(args.database_url).render_as_string(hide_password=True)}")
    if not args.reuse:
        with app.app_context():
            started = time.perf_counter()
            fresh_schema()
            counts = generate(sizes, args.seed, today)
            generated = time.perf_counter() - started
        print("generated in {:.1f} s: {}".format(
            generated, ", ".join(f"{k} {v:,}" for k, v in counts.items())))
    year = today.year - 1

    client = app.test_client()
    with app.app_context():
        login = client.post("/login", data={"email": REVIEWER, "password": PASSWORD})
    if login.status_code != 302:
        raise SystemExit(f"sign-in failed: HTTP {login.status_code}")

    cases = [
        ("report page", f"/reports?year={year}", PAGE_TARGET_MS),
        ("report page, grouped", f"/reports?year={year}&view=grouped", PAGE_TARGET_MS),
        ("JSON", f"/reports/{year}.json", PAGE_TARGET_MS),
        ("XLSX", f"/reports/{year}.xlsx", None),
        ("CSV (4a3)", f"/reports/{year}/4a3.csv", None),
        ("PDF (nb)", f"/reports/{year}.pdf?lang=nb", PDF_TARGET_MS),
    ]
    print(f"cpu check before timing: {cpu_check():.0f} ms (a fixed loop; lower is faster)")
    print(f"\nyear {year}, median of {args.runs} runs after one warm-up (Flask test client, one "
          f"process); cpu ms: median CPU time of this process\n")
    header = (f"{'request':<22} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'cpu ms':>7} "
              f"{'queries':>8} {'bytes':>10}  target")
    print(header)
    print("-" * len(header))
    for name, path, target in cases:
        times, cpu, statements, size = measure(app, client, path, args.runs)
        median = statistics.median(times)
        verdict = "" if target is None else (
            f"< {target} ms {'PASS' if median < target else 'FAIL'}")
        print(f"{name:<22} {median:>10.0f} {min(times):>8.0f} {max(times):>8.0f} "
              f"{statistics.median(cpu):>7.0f} {statements:>8} {size:>10,}  {verdict}")

    print("load average after timing: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"cpu check after timing: {cpu_check():.0f} ms")
    with app.app_context():
        from portal.reports import queries

        report = queries.year_report(year, today, limit=0)
    print(f"\n{year}: {report.agreements.active:,} active agreements, "
          f"4.A.2 {report.follow_up.suppliers:,} suppliers on {report.follow_up.agreements:,} agreements, "
          f"4.A.3 {report.deviations.detected.count:,} deviations in "
          f"{len(report.deviations.detected.groups):,} groups / "
          f"{len(report.deviations.detected.summary):,} (type, tier) rows, "
          f"{report.deviations.earlier_open.count:,} earlier still open")


if __name__ == "__main__":
    main()
