"""Database setup, seeding and in-process measurements for bench/load_bench.py.

Everything here talks to the benchmark's own database on the local PostgreSQL server
(``aktsom_load``, or the one ``--database`` / ``LOAD_BENCH_DATABASE`` names; see
:func:`use_database`); nothing touches another database.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DB_NAME = "aktsom_load"
DATABASE_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
# A tiny but real PDF: the evidence file of each question that asks for one.
EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "load-bench-Passord-2026!"
SUPPLIER_EMAIL = "load-supplier-{:02d}@leverandor.example"
REVIEWER_EMAIL = "load-reviewer-{}@kommune.example"
RACE_EMAIL = "load-race-{}@leverandor.example"
AGREEMENT_REFERENCE = "LK-LOAD-0001"
OPEN_ROUND_YEAR = 2026


def use_database(name: str) -> None:
    """Run against database ``name`` instead of ``aktsom_load`` (two people's runs on one
    PostgreSQL server must not share one: each run drops and recreates its schema)."""
    global DB_NAME, DATABASE_URL
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"database name {name!r}: letters, digits and _ only")
    DB_NAME = name
    DATABASE_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"


def _dsn(dbname: str) -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname} connect_timeout=5"


def connect(dbname: str | None = None, autocommit: bool = True) -> Any:
    import psycopg

    return psycopg.connect(_dsn(dbname or DB_NAME), autocommit=autocommit)


def server_version() -> str:
    with connect("postgres") as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


def recreate_database() -> None:
    """Create the benchmark's database if missing, then drop and recreate its public schema."""
    with connect("postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    with connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def app_env(instance: Path) -> dict[str, str]:
    """The environment every app process of the benchmark gets (seeding and gunicorn)."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": "load-bench-secret-key-not-for-production-0123456789",
        "PORTAL_RATELIMIT_ENABLED": "false",
        # Files (evidence, receipts) in the run's folder; every process of the run shares it.
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_MAIL_OUTBOX": str(instance / "outbox"),
    })
    env.pop("PORTAL_ENV", None)  # development cookies: plain http on loopback
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True, text=True)


def _org_number(n: int) -> str:
    """A 9-digit organisation number that passes MOD11 (fictional: starts with 98)."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        base = f"98{n:06d}"
        rest = 11 - sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        if rest == 11:
            return base + "0"
        if rest != 10:
            return base + str(rest)
        n += 500_000  # skip numbers without a valid check digit


@dataclass
class Seeded:
    suppliers: list[dict[str, Any]] = field(default_factory=list)  # email, response_id
    reviewers: list[str] = field(default_factory=list)
    # Two colleagues of one extra supplier, for the concurrent-save (conflict check) probe.
    race: dict[str, Any] = field(default_factory=dict)
    password: str = PASSWORD
    seconds: float = 0.0


def _in_app(env: dict[str, str]) -> Any:
    """Build the app in this process with the benchmark's environment."""
    os.environ.update({k: v for k, v in env.items() if k == "DATABASE_URL" or k.startswith(
        ("PORTAL_", "SECRET_KEY"))})
    sys.path.insert(0, str(ROOT))
    from portal import create_app

    return create_app()


def seed(env: dict[str, str], n_suppliers: int, n_reviewers: int, n_submitters: int = 0) -> Seeded:
    """Demo data, then ``n_suppliers`` companies each with one user and one open response; the
    first ``n_submitters`` of those responses are filled in up to the declaration."""
    started = time.perf_counter()
    app = _in_app(env)
    from sqlalchemy import select

    from portal.demo import load_demo_data
    from portal.extensions import db
    from portal.models import Agreement, FollowUpRound, Role, Supplier, User
    from portal.passwords import hash_password
    from portal.rounds.services import add_agreement_to_round

    out = Seeded()
    with app.app_context():
        load_demo_data()
        db.session.commit()
        # Everything belongs to the first demo buyer (Lillestrøm kommune): its staff, its round.
        demo_reviewer = db.session.scalar(select(User).where(User.role == Role.REVIEWER.value)
                                          .order_by(User.id))
        assert demo_reviewer is not None
        buyer_id = demo_reviewer.buyer_id
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN.value,
                                                     User.buyer_id == buyer_id))
        round_ = db.session.scalar(select(FollowUpRound).where(FollowUpRound.year == OPEN_ROUND_YEAR,
                                                               FollowUpRound.buyer_id == buyer_id))
        assert admin is not None
        assert round_ is not None
        suppliers = []
        for i in range(n_suppliers):
            supplier = Supplier(name=f"Lasttest Leverandør {i:02d} AS", org_number=_org_number(i + 1),
                                country="NO", city="Lillestrøm", address="Lastveien 1",
                                postal_code="2000")
            db.session.add(supplier)
            db.session.add(User(email=SUPPLIER_EMAIL.format(i), name=f"Lasttest Bruker {i:02d}",
                                role=Role.SUPPLIER.value, supplier=supplier,
                                password_hash=hash_password(PASSWORD)))
            suppliers.append(supplier)
        race_supplier = Supplier(name="Lasttest Samtidig AS", org_number=_org_number(900),
                                 country="NO", city="Lillestrøm")
        db.session.add(race_supplier)
        for who in ("a", "b"):
            db.session.add(User(email=RACE_EMAIL.format(who), name=f"Lasttest Kollega {who}",
                                role=Role.SUPPLIER.value, supplier=race_supplier,
                                password_hash=hash_password(PASSWORD)))
        for i in range(n_reviewers):
            db.session.add(User(email=REVIEWER_EMAIL.format(i), name=f"Lasttest Fagansvarlig {i}",
                                role=Role.REVIEWER.value, buyer_id=buyer_id,
                                password_hash=hash_password(PASSWORD)))
        agreement = Agreement(
            reference=AGREEMENT_REFERENCE, name_nb="Lasttest rammeavtale", name_en="Load test agreement",
            kind="framework", dfo_category="office", start_date=date(2024, 1, 1), end_date=None,
            contract_condition=True, questionnaire_variant="full", contract_manager=demo_reviewer,
            product_scope="Lasttest", buyer_id=buyer_id,
        )
        agreement.suppliers = [*suppliers, race_supplier]
        db.session.add(agreement)
        db.session.flush()
        responses = add_agreement_to_round(round_, agreement, actor=admin)
        db.session.commit()
        by_supplier = {r.supplier_id: r.id for r in responses}
        out.suppliers = [
            {"email": SUPPLIER_EMAIL.format(i), "response_id": by_supplier[s.id],
             "submit": i < n_submitters}
            for i, s in enumerate(suppliers)
        ]
        submitters = {s.id for s in suppliers[:n_submitters]}
        for response in responses:
            if response.supplier_id in submitters:
                fill_for_submission(response)
        db.session.commit()
        out.reviewers = [REVIEWER_EMAIL.format(i) for i in range(n_reviewers)]
        from portal.questionnaires import engine

        definition = engine.definition_of(round_.questionnaire_version)
        questions = [
            (section.id, q.id, q.parts[0].id)
            for section in engine.sections_for_agreement(definition, agreement)
            for q in section.questions
            if q.condition is None and q.parts and q.parts[0].type == "text"
        ]
        out.race = {"emails": [RACE_EMAIL.format("a"), RACE_EMAIL.format("b")],
                    "response_id": by_supplier[race_supplier.id], "questions": questions}
        db.session.remove()
        db.engine.dispose()
    out.seconds = time.perf_counter() - started
    return out


def fill_for_submission(response: Any) -> None:
    """Every answer but the declaration, and a PDF for every evidence question: what a
    supplier has once only the declaration is left (as tests/components/test_two_servers.py
    prepares a submit). Raises if anything but the declaration would still block the submit."""
    import io

    from portal import uploads
    from portal.models import Answer, EvidenceFile, utcnow
    from portal.questionnaires import engine
    from portal.questionnaires.samples import sample_answers
    from portal.responses import services

    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    declarations = {q.id for q in services.declaration_questions(sections)}
    user = response.supplier.users[0]
    answers = sample_answers(sections, seed=response.id)
    # The load saves B5 with trained < 97 and total = trained + 3: from this value every such
    # save changes both numbers, so its audit event holds the whole value the durability
    # check looks for (an audit event records only the parts that changed).
    answers["B5"] = {**answers.get("B5", {}), "trained": "500", "total": "1000"}
    for question_id, value in answers.items():
        if question_id not in declarations:
            response.answers.append(Answer(question_id=question_id, value=value, updated_by=user))
    for section in sections:
        for question in section.questions:
            for part in question.parts:
                if part.type == "file" and question.id not in declarations:
                    stored = uploads.store_upload(io.BytesIO(EVIDENCE_PDF), f"{question.id}-dokumentasjon.pdf")
                    response.files.append(EvidenceFile(
                        question_id=question.id, part_id=part.id, original_name=stored.original_name,
                        stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                        mimetype=stored.mimetype, uploaded_by=user))
    response.status = "in_progress"
    response.started_at = utcnow()
    states = engine.response_state(sections, services.answers_of(response), services.files_of(response), "nb")
    left = [q.question.id for state in states for q in state.problems if q.question.id not in declarations]
    if left:
        raise RuntimeError(f"response {response.id} is not ready to submit: {', '.join(left)}")


def argon2_costs(env: dict[str, str], repeat: int = 20) -> dict[str, Any]:
    """Median time of one password check with the app's parameters, and OWASP's alternatives."""
    app = _in_app(env)
    from argon2 import PasswordHasher

    from portal.passwords import hash_password, verify_password

    result: dict[str, Any] = {}
    with app.app_context():
        c = app.config
        result["params"] = {"t": int(c["ARGON2_TIME_COST"]), "m_kib": int(c["ARGON2_MEMORY_COST"]),
                            "p": int(c["ARGON2_PARALLELISM"])}
        stored = hash_password(PASSWORD)
        verify_password(stored, PASSWORD)  # warm up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            ok = verify_password(stored, PASSWORD)
            times.append(time.perf_counter() - t0)
            assert ok
        result["median_s"] = statistics.median(times)
        result["min_s"], result["max_s"] = min(times), max(times)
    # OWASP Password Storage Cheat Sheet: equivalent Argon2id profiles (p=1), and argon2-cffi's default.
    profiles = [("OWASP m=46MiB t=1", 46 * 1024, 1, 1), ("OWASP m=19MiB t=2 (app)", 19 * 1024, 2, 1),
                ("OWASP m=12MiB t=3", 12 * 1024, 3, 1), ("OWASP m=9MiB t=4", 9 * 1024, 4, 1),
                ("OWASP m=7MiB t=5", 7 * 1024, 5, 1), ("argon2-cffi default m=64MiB t=3 p=4",
                                                       64 * 1024, 3, 4)]
    rows = []
    for name, m, t, p in profiles:
        hasher = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)
        h = hasher.hash(PASSWORD)
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            hasher.verify(h, PASSWORD)
            times.append(time.perf_counter() - t0)
        rows.append((name, statistics.median(times)))
    result["profiles"] = rows
    return result


def read_answers(response_ids: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    with connect() as conn:
        rows = conn.execute(
            "SELECT response_id, question_id, value FROM answer WHERE response_id = ANY(%s)",
            (response_ids,),
        ).fetchall()
    return {(r[0], r[1]): (r[2] or {}) for r in rows}


def read_audited_changes(response_ids: list[int]) -> set[tuple[int, str, str]]:
    """(response, question, value as canonical JSON) of every audited answer change."""
    import json

    with connect() as conn:
        rows = conn.execute(
            "SELECT object_id, field, after FROM audit_event WHERE action = 'answer.changed' "
            "AND object_type = 'Response' AND object_id = ANY(%s)",
            (response_ids,),
        ).fetchall()
    return {(r[0], r[1], json.dumps(r[2], sort_keys=True)) for r in rows}


def profile_requests(env: dict[str, str], email: str, response_id: int,
                     repeat: int = 30) -> dict[str, dict[str, float]]:
    """Server-side cost of one section GET and one save, in this process (no HTTP, no queueing).

    Splits the wall time into time spent in SQL statements (including the round trip to
    PostgreSQL) and the rest (Python: routing, session, forms, templates, ORM).
    """
    import logging
    import re

    app = _in_app(env)
    # The app's access line for each of the ~70 requests would drown the printed report.
    logging.getLogger("portal.access").setLevel(logging.WARNING)
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from portal.extensions import db

    sql = {"n": 0, "s": 0.0, "render": 0.0, "r0": 0.0, "committed": 0, "after_commit": 0}

    def render_start(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        sql["r0"] = time.perf_counter()

    def render_end(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        sql["render"] += time.perf_counter() - sql["r0"]

    before_render_template.connect(render_start, app)
    template_rendered.connect(render_end, app)

    with app.app_context():
        engine = db.engine

    def before(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
        sql["n"] += 1
        sql["s"] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        if sql["committed"]:
            sql["after_commit"] += 1

    def on_commit(conn: Any) -> None:
        sql["committed"] = 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", on_commit)
    # No app context around the client: each request must get its own (and its own ``g``).
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    url = f"/responses/{response_id}/sections/B"
    results: dict[str, list[tuple[float, ...]]] = {"GET section": [], "POST save": []}
    for i in range(repeat + 3):
        sql.update(n=0, s=0.0, render=0.0, committed=0, after_commit=0)
        t0 = time.perf_counter()
        page = client.get(url).get_data(as_text=True)
        wall = time.perf_counter() - t0
        if i >= 3:
            results["GET section"].append((wall, sql["s"], sql["n"], sql["render"], 0))
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
        rev = re.search(r'name="rev-B4" value="(\d*)"', page).group(1)
        sql.update(n=0, s=0.0, render=0.0, committed=0, after_commit=0)
        t0 = time.perf_counter()
        r = client.post(url, data={"csrf_token": token, "present-B4": "1", "rev-B4": rev,
                                   "q-B4-answer": f"profil {i} {time.time()}"})
        wall = time.perf_counter() - t0
        assert r.status_code == 302, r.status_code
        if i >= 3:
            results["POST save"].append((wall, sql["s"], sql["n"], sql["render"],
                                         sql["after_commit"]))
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    event.remove(engine, "commit", on_commit)
    engine.dispose()
    summary = {}
    for name, rows in results.items():
        summary[name] = {
            "wall_ms": statistics.median(r[0] for r in rows) * 1000,
            "sql_ms": statistics.median(r[1] for r in rows) * 1000,
            "statements": statistics.median(r[2] for r in rows),
            "render_ms": statistics.median(r[3] for r in rows) * 1000,
            "after_commit": statistics.median(r[4] for r in rows),
        }
    return summary
