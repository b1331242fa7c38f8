"""Browser tests: Debian's Chromium driven by Playwright against a real server on a free port.

The server runs in a thread of this process over a SQLite file (or TEST_DATABASE_URL),
so tests can prepare records directly. Every test here is marked ``browser`` and
runs after the unit suite (``make test-browser``). On failure pytest-playwright
keeps a screenshot; ``page_html_on_failure`` keeps the HTML too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.models import Base
from tests.conftest import _drop_alembic_version, _empty_all_tables, test_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--no-first-run", "--disable-quic", "--metrics-recording-only", "--mute-audio",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("browser")
    app = create_app(test_config(tmp, RATELIMIT_ENABLED=False))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        _drop_alembic_version()
        Base.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def world(live_app: Flask) -> Iterator[Any]:
    """An app context over an emptied database, for preparing records before driving the browser."""
    with live_app.app_context():
        _empty_all_tables()
        yield db
        db.session.remove()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: str) -> dict[str, Any]:
    # The locale drives Accept-Language: without it Chromium asks for English.
    return {**browser_context_args, "base_url": live_server, "locale": "nb-NO",
            "viewport": {"width": 1280, "height": 900}}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
        if page is not None:
            folder = Path("test-results") / item.name
            folder.mkdir(parents=True, exist_ok=True)
            try:
                (folder / "page.html").write_text(page.content(), encoding="utf-8")
                page.screenshot(path=str(folder / "failure.png"), full_page=True)
            except Exception:  # noqa: BLE001, S110 - best effort after a failure
                pass


# Demo data, loaded once per session and put back before each test that asks for it.


@pytest.fixture(scope="session")
def demo_snapshot(live_app: Flask) -> Iterator[Any]:
    """Load the demo data once (about 10 s: it renders PDF receipts) and keep a copy of it.

    Yields a function that puts the database back to exactly that state: on SQLite by
    SQLite's backup API (a few milliseconds), elsewhere by loading the demo data again.
    Evidence files and receipts stay in the upload folder, so the copy's references hold.
    """
    import sqlite3

    from portal.demo import load_demo_data

    def load() -> None:
        _empty_all_tables()
        load_demo_data()
        db.session.commit()
        db.session.remove()

    with live_app.app_context():
        load()
        snapshot: sqlite3.Connection | None = None
        if db.engine.dialect.name == "sqlite":
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            with db.engine.connect() as connection:
                connection.connection.driver_connection.backup(snapshot)  # type: ignore[union-attr]

    def restore() -> None:
        db.session.rollback()
        db.session.remove()
        if snapshot is None:
            load()
            return
        with db.engine.connect() as connection:
            snapshot.backup(connection.connection.driver_connection)  # type: ignore[arg-type]

    yield restore
    if snapshot is not None:
        snapshot.close()


@pytest.fixture
def demo_world(world: Any, demo_snapshot: Any) -> Any:
    """``world`` holding the demo data (accounts with password ``aktsom-demo-2025``)."""
    demo_snapshot()
    return world
