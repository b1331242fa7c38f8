"""A real OpenID Connect provider for tests: ``oidc-provider-mock`` (PyPI) in its own process
on a free loopback port, with discovery, the authorization code flow, RS256 ID tokens
signed with its own key, and an end-session endpoint.

Its users are set with ``PUT /users/<sub>``; every claim given there goes into the ID token
as it is, which is how the tests make tokens for another audience, expired tokens and
tokens with a nonce from another sign-in, all signed by the real provider.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

MOCK = str(Path(sys.executable).with_name("oidc-provider-mock"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Provider:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's script
            [MOCK, "-p", str(self.port), "-H", "127.0.0.1", "-n", "true"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("oidc-provider-mock did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def set_user(self, sub: str, **claims: Any) -> None:
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """The person picks ``sub`` on the provider's page; returns where it sends the browser."""
        assert authorize_url.startswith(self.url), authorize_url
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text[:500]
        return str(answer.headers["Location"])


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
