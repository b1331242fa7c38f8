"""A real SMTP server for the component tests (aiosmtpd on a free loopback port), with
switches that make it down, slow, or failing after N messages."""

from __future__ import annotations

import asyncio
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from tests.components.cluster import free_port


class Recorder:
    """Keeps every message it accepted. ``delay`` seconds pass between the end of a
    message's data and the answer; after ``fail_after`` accepted messages it answers 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0
        self.fail_after: int | None = None
        self.receiving = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        if self.delay:
            # aiosmtpd cancels this when the client goes away: the message is then not kept.
            await asyncio.sleep(self.delay)
        with self._lock:
            if self.fail_after is not None and len(self.messages) >= self.fail_after:
                return "451 4.3.0 Try again later"
            self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 2.0.0 Accepted"

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
        self.delay = 0.0
        self.fail_after = None
        self.receiving.clear()


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.handler.messages)

    @property
    def is_up(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Down: nothing listens on the port (connections are refused)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
