"""Production's moving parts on loopback ports: app servers, a load balancer, a database.

Each piece is a real process started from this checkout's virtualenv or from Debian's
packages (haproxy), on ports the operating system hands out, and stopped by the fixture
that started it. Nothing here is mocked; see README "Production" for the same commands.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> bool:
    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3, **PG):  # type: ignore[arg-type]
            return True
    except psycopg.OperationalError:
        return False


def fresh_database(name: str) -> str:
    """Drop and create database ``name``; return its SQLAlchemy URL."""
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``flask --app wsgi ARGS`` as an operator would; its output, or the failure."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {seconds} s")


def stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def app_server(env: Mapping[str, str], log: Path, workers: int = 2) -> Iterator[str]:
    """One gunicorn server, as README "Production" runs it; yields its base URL."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "wsgi:app", "-w", str(workers), "-b", f"127.0.0.1:{port}",
             "--timeout", "60", "--no-control-socket"],
            cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        stop(process)


@contextmanager
def worker(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The job worker, as README "Production" runs it beside the app servers."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [str(BIN / "flask"), "--app", "wsgi", "worker"],
            cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        stop(process)


HAPROXY_CONFIG = """\
global
    maxconn {maxconn}
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # A sync worker answers the check only after the requests queued before it: with the
    # 1 s default (from inter) the load bench's login storm on 2 busy cores had both
    # servers marked DOWN while they served, and haproxy answered 503 itself. A server
    # is taken out of the pool when it does not answer in 10 s.
    timeout check 10s
frontend portal
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET {check}
    http-request set-header X-Forwarded-Proto http
    option forwardfor
    http-response set-header X-Served-By %s
{servers}
"""


def start_haproxy(
    servers: list[str], workdir: Path, port: int, *, check: str = "/healthz", maxconn: int = 256,
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Debian's haproxy in the foreground on ``port``, round robin over ``servers``; its
    configuration and log in ``workdir``. Used by the tests and by bench/load_bench.py."""
    haproxy = haproxy_path()
    if not Path(haproxy).exists():
        raise AssertionError("haproxy is missing: bash .ci/debian-packages --ci installs it")
    lines = "\n".join(
        f"    server s{i} {url.removeprefix('http://')} check inter 2s fall 3 rise 2"
        for i, url in enumerate(servers)
    )
    config = workdir / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, check=check, servers=lines, maxconn=maxconn))
    with (workdir / "haproxy.log").open("ab") as out:
        return subprocess.Popen([haproxy, "-f", str(config), "-db"], stdout=out,  # noqa: S603
                                stderr=subprocess.STDOUT, **popen)


def haproxy_path() -> str:
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


@contextmanager
def load_balancer(
    servers: list[str], workdir: Path, port: int, check: str = "/healthz"
) -> Iterator[str]:
    """haproxy (see :func:`start_haproxy`) until the block ends; yields its base URL."""
    process = start_haproxy(servers, workdir, port, check=check)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}{check}", process, seconds=30)
        yield base
    finally:
        stop(process)


def environment(**settings: str) -> dict[str, str]:
    """The process environment of an app server: this one's, minus test overrides, plus settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "TEST_DATABASE"))}
    env.update(settings)
    return env
