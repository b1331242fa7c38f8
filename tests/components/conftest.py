"""Component tests: a real SMTP server and real worker processes (``flask --app wsgi worker``)
against a PostgreSQL database migrated with ``flask db upgrade``; nothing mocked.

The database is ``COMPONENT_DATABASE_URL`` (default ``aktsom_components`` on the local
server); it is dropped and created again for each run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db as _db
from tests.components.smtp import SmtpServer
from tests.conftest import Client, test_config

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/aktsom_components"

@pytest.fixture(scope="session")
def database_url() -> str:
    url = make_url(os.environ.get("COMPONENT_DATABASE_URL", DEFAULT_URL))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{url.database}"')
    rendered = url.render_as_string(hide_password=False)
    subprocess.run([FLASK, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": rendered}, capture_output=True)
    return rendered


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _healthy_smtp(smtp: SmtpServer) -> None:
    smtp.handler.reset()
    smtp.start()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, database_url: str, smtp: SmtpServer) -> Iterator[Flask]:
    """The web side, in this process, deferring jobs to the PostgreSQL queue."""
    tmp = tmp_path_factory.mktemp("components")
    app = create_app(test_config(tmp, SQLALCHEMY_DATABASE_URI=database_url, JOBS_RUN="worker",
                                 SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False))
    app.test_client_class = Client
    # Timings are of a server that has answered before: its templates are compiled.
    for name in app.jinja_env.list_templates(extensions=["html", "txt"]):
        app.jinja_env.get_template(name)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_job_queue(app: Flask) -> Iterator[None]:
    yield
    with app.app_context(), _db.engine.begin() as connection:
        connection.execute(text("DELETE FROM procrastinate_events; DELETE FROM procrastinate_periodic_defers; "
                                "DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers"))


class Workers:
    def __init__(self, database_url: str, smtp: SmtpServer, logs: Path) -> None:
        self.database_url = database_url
        self.smtp = smtp
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *, concurrency: int = 1, **settings: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(self.smtp.port),
            "PORTAL_SMTP_STARTTLS": "false",
            "PORTAL_PUBLIC_BASE_URL": "http://aktsom.test",
            "PORTAL_JOBS_BACKOFF_SECONDS": "1",
            "PORTAL_JOBS_HEARTBEAT_SECONDS": "1",
            "PORTAL_JOBS_STALLED_SECONDS": "3",
            "PORTAL_JOBS_STALLED_CRON": "* * * * * */2",
            **{f"PORTAL_{key}": value for key, value in settings.items()},
        }
        log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own command
            [FLASK, "--app", "wsgi", "worker", "--concurrency", str(concurrency)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        index = self.processes.index(process)
        return (self.logs / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(database_url: str, smtp: SmtpServer, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(database_url, smtp, tmp_path)
    yield pool
    pool.stop_all()


def wait_for(condition: Callable[[], Any], timeout: float, what: str | Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}")
