"""One real provider process per test session (it starts in about a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.helpers import isolate_requests
from tests.oidc.provider import Provider


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    server = Provider()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)
