"""Every request in these tests runs in its own application context, as in production."""

from __future__ import annotations

import pytest

from tests.auth.helpers import isolate_requests


@pytest.fixture(autouse=True)
def _isolated_requests(app, monkeypatch):
    isolate_requests(app, monkeypatch)
