"""Two gunicorn app servers behind haproxy, sharing PostgreSQL and Redis, as in production.

What users must not notice: which server answers. A session made on one server works on
the other, the sign-in limit counts across both, and every request through the balancer
is served whichever server it reaches. README "Production" runs the same commands.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy.engine import make_url

from portal.demo import DEMO_PASSWORD
from tests.components import cluster
from tests.components.conftest import DEFAULT_URL, wait_for
from tests.components.smtp import SmtpServer
from tests.seaweed import SeaweedFS

pytestmark = [
    pytest.mark.component,
    pytest.mark.skipif(not cluster.postgres_available(), reason="needs the local PostgreSQL"),
]

SUPPLIER = "leverandor@arbeidsklaer.example"
REDIS_URL = "redis://127.0.0.1:6379/7"
# Beside the component database, named after it: two people's runs on one server do not meet.
CLUSTER_DATABASE = f"{make_url(os.environ.get('COMPONENT_DATABASE_URL', DEFAULT_URL)).database}_cluster"
LOGIN_LIMIT = 6


@dataclass(frozen=True)
class Cluster:
    servers: list[str]
    balancer: str
    database_url: str
    workdir: Path

    def worker_log(self) -> str:
        return (self.workdir / "worker.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory, seaweedfs: SeaweedFS, test_bucket: str,
    smtp: SmtpServer,
) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    database_url = cluster.fresh_database(CLUSTER_DATABASE)
    redis.Redis.from_url(REDIS_URL).flushdb()
    balancer_port = cluster.free_port()
    shared = cluster.environment(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_RATELIMIT_STORAGE_URI=REDIS_URL,
        PORTAL_LOGIN_LIMIT_PER_ADDRESS=f"{LOGIN_LIMIT} per minute",
        PORTAL_TRUSTED_PROXIES="1",
        # Files in S3 (SeaweedFS): the servers share no folder.
        PORTAL_STORAGE_URL=f"s3://{test_bucket}/cluster-{secrets.token_hex(4)}",
        PORTAL_S3_ENDPOINT_URL=seaweedfs.endpoint,
        AWS_ACCESS_KEY_ID=seaweedfs.access_key,
        AWS_SECRET_ACCESS_KEY=seaweedfs.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{balancer_port}",
        PORTAL_PUBLIC_BASE_URL=f"http://127.0.0.1:{balancer_port}",
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=str(smtp.port),
        PORTAL_SMTP_STARTTLS="false",
    )
    # Each server has its own instance folder: nothing may reach the other through local disk.
    envs = [{**shared, "PORTAL_INSTANCE_PATH": str(workdir / name)} for name in ("a", "b")]
    cluster.flask(envs[0], "db", "upgrade")
    cluster.flask(envs[0], "demo-data")
    try:
        with (
            cluster.app_server(envs[0], workdir / "a.log") as a,
            cluster.app_server(envs[1], workdir / "b.log") as b,
            cluster.load_balancer([a, b], workdir, balancer_port) as balancer,
            cluster.worker({**shared, "PORTAL_INSTANCE_PATH": str(workdir / "worker")},
                           workdir / "worker.log"),
        ):
            yield Cluster(servers=[a, b], balancer=balancer, database_url=database_url,
                          workdir=workdir)
    finally:
        cluster.drop_database(CLUSTER_DATABASE)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(
    session: requests.Session, base: str, email: str, password: str, client: str = ""
) -> requests.Response:
    """Sign in; ``client`` poses as that address behind the balancer (the servers trust one proxy)."""
    headers = {"X-Forwarded-For": client} if client else {}
    form = session.get(f"{base}/login", headers=headers, timeout=10)
    return session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(form.text)},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def test_every_request_through_the_balancer_is_answered_by_both_servers(
    two_servers: Cluster,
) -> None:
    answers = [requests.get(f"{two_servers.balancer}/login", timeout=10) for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.headers.get("X-Served-By") for a in answers}) == 2


def test_a_session_made_on_one_server_works_on_the_other(two_servers: Cluster) -> None:
    a, b = two_servers.servers
    session = requests.Session()

    signed_in = sign_in(session, a, SUPPLIER, DEMO_PASSWORD)
    home = session.get(f"{b}/company/", allow_redirects=False, timeout=10)

    assert signed_in.status_code == 302
    assert home.status_code == 200
    assert "Nordlys" in home.text


def test_a_form_opened_on_one_server_is_accepted_by_the_other(two_servers: Cluster) -> None:
    a, b = two_servers.servers
    session = requests.Session()
    sign_in(session, a, SUPPLIER, DEMO_PASSWORD)
    page = session.get(f"{a}/profile/language", timeout=10)

    saved = session.post(
        f"{b}/profile/language",
        data={"locale": "en", "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )

    assert saved.status_code == 302


def test_the_sign_in_limit_counts_across_both_servers(two_servers: Cluster) -> None:
    a, b = two_servers.servers
    statuses = []
    for attempt in range(LOGIN_LIMIT + 2):
        server = (a, b)[attempt % 2]
        # A new account each time: the per-account failure count (in the database) must not
        # be what stops the attempts; the per-address limit in Redis is under test.
        answer = sign_in(
            requests.Session(), server, f"nobody{attempt}@leverandor.example", "wrong-password",
            "203.0.113.9",
        )
        statuses.append(answer.status_code)

    assert statuses[:LOGIN_LIMIT] == [200] * LOGIN_LIMIT
    assert statuses[LOGIN_LIMIT:] == [429, 429]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _open_response(database_url: str) -> int:
    """An editable response of the demo workwear supplier."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT r.id FROM response r JOIN supplier s ON s.id = r.supplier_id "
            "WHERE s.org_number = '912345602' AND r.status IN ('not_started', 'in_progress') "
            "ORDER BY r.id LIMIT 1").fetchone()
        assert row, "the demo data has an open response for the workwear supplier"
        return int(row[0])


def _evidence_of(database_url: str, response_id: int) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(id) FROM evidence_file WHERE response_id = %s",
                           (response_id,)).fetchone()
        return int(row[0])


def test_a_file_uploaded_through_one_server_is_downloaded_through_the_other(two_servers: Cluster) -> None:
    a, b = two_servers.servers
    session = requests.Session()
    sign_in(session, a, SUPPLIER, DEMO_PASSWORD)
    response_id = _open_response(two_servers.database_url)
    path = f"/responses/{response_id}/sections/B"
    form = session.get(f"{a}{path}", timeout=30)

    uploaded = session.post(
        f"{a}{path}",
        data={"csrf_token": csrf_token(form.text), "present-B1": "1", "q-B1-answer": "yes"},
        files={"q-B1-file-upload": ("policy.pdf", PDF, "application/pdf")},
        allow_redirects=False, timeout=30,
    )
    evidence_id = _evidence_of(two_servers.database_url, response_id)
    downloads = [session.get(f"{server}/responses/{response_id}/files/{evidence_id}", timeout=30)
                 for server in (b, two_servers.balancer, two_servers.balancer, a)]

    assert uploaded.status_code == 302
    assert [d.status_code for d in downloads] == [200] * 4
    assert all(d.content == PDF for d in downloads)


def _fill_for_submission(database_url: str, response_id: int, tmp: Path) -> None:
    """Every answer but the declaration, as a supplier who has worked through the parts."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import Answer, Response
    from portal.questionnaires import engine
    from portal.questionnaires.samples import sample_answers
    from tests.conftest import test_config

    app = create_app(test_config(tmp, SQLALCHEMY_DATABASE_URI=database_url, JOBS_RUN="worker"))
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response is not None
        definition = engine.definition_of(response.round.questionnaire_version)
        sections = engine.sections_for_agreement(definition, response.agreement)
        given = {answer.question_id: answer for answer in response.answers}
        for question_id, value in sample_answers(sections).items():
            if question_id == "I1":
                continue
            if question_id in given:
                given[question_id].value = value
            else:
                db.session.add(Answer(response=response, question_id=question_id, value=value,
                                      updated_by=response.supplier.users[0]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _receipt_of(database_url: str, response_id: int) -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT receipt_name FROM submission WHERE response_id = %s "
                           "AND number = 1", (response_id,)).fetchone()
        return row[0] if row else None


def test_a_receipt_made_by_the_worker_after_a_submit_through_one_server_is_served_by_the_other(
    two_servers: Cluster, tmp_path: Path
) -> None:
    a, b = two_servers.servers
    response_id = _open_response(two_servers.database_url)
    _fill_for_submission(two_servers.database_url, response_id, tmp_path)
    session = requests.Session()
    sign_in(session, a, SUPPLIER, DEMO_PASSWORD)
    section = f"/responses/{response_id}/sections/H"
    page = session.get(f"{a}{section}", timeout=30).text
    file_inputs = [re.search(r'name="([^"]+)"', tag) for tag in
                   re.findall(r'<input[^>]*type="file"[^>]*>', page)]
    evidence = {m.group(1): ("minutes.pdf", PDF, "application/pdf") for m in file_inputs if m}
    assert evidence, "section H asks for evidence files"
    # Only the file questions are posted: the other answers of the part stay as they are.
    presence = {f"present-{name.split('-')[1]}": "1" for name in evidence}
    saved = session.post(f"{a}{section}", data={"csrf_token": csrf_token(page), **presence},
                         files=evidence, allow_redirects=False, timeout=30)
    assert saved.status_code == 302
    path = f"/responses/{response_id}/submit"
    form = session.get(f"{a}{path}", timeout=30)

    submitted = session.post(
        f"{a}{path}",
        data={"csrf_token": csrf_token(form.text), "q-I1-confirm-confirmed": "yes",
              "q-I1-confirm-name": "Kari Nordmann", "q-I1-confirm-title": "Daglig leder",
              "q-I1-confirm-date": "2026-01-15"},
        allow_redirects=False, timeout=30,
    )
    assert submitted.status_code == 302, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", submitted.text))[-3000:]
    wait_for(lambda: _receipt_of(two_servers.database_url, response_id), 120,
             lambda: "the worker's receipt; its log:\n" + two_servers.worker_log())
    receipts = [session.get(f"{server}/responses/{response_id}/submissions/1/receipt.pdf",
                            timeout=30) for server in (b, two_servers.balancer, a)]

    assert [r.status_code for r in receipts] == [200] * 3
    assert all(r.content.startswith(b"%PDF-") for r in receipts)
    assert len({r.content for r in receipts}) == 1
