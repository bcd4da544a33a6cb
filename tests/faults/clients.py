"""Chat clients that behave as docs/reliability.md asks of a client.

A sender keeps every message until `message_sent` acknowledges it; a message that is not
acknowledged in time, or that an `error` frame reports as failed with `server_error`, is sent
again with the same `temp_id` (on the same socket or after a reconnect). A receiver
de-duplicates by `id`. The tests count what these clients saw against what PostgreSQL holds.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets

from tests.support.ws import WsClient

RETRYABLE_ERROR_CODES = {"server_error"}


async def connect(base_url: str, token: str, *, timeout: float = 60.0) -> WsClient:
    """Connects, retrying while the server refuses or closes (an outage, a dead process)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = await WsClient.connect(base_url, "/ws/chat/", token, open_timeout=10)
            await client.expect("connection", timeout=10)
            return client
        except (TimeoutError, OSError, AssertionError, websockets.WebSocketException):
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.5)


@dataclass
class ChatClient:
    """One user's chat sockets over time (a reconnect adds one), and the sends still owed."""

    token: str
    base_url: str
    sockets: list[WsClient] = field(default_factory=list)
    outbox: dict[str, dict] = field(default_factory=dict)
    last_sent: dict[str, float] = field(default_factory=dict)
    resends: int = 0
    failures_reported: int = 0

    @classmethod
    async def open(cls, user, server) -> ChatClient:
        client = cls(token=user.token, base_url=server.ws_url)
        await client.reconnect()
        return client

    @property
    def socket(self) -> WsClient:
        return self.sockets[-1]

    async def reconnect(self, server=None) -> None:
        if server is not None:
            self.base_url = server.ws_url
        if self.sockets and self.socket.close_code is None:
            await self.socket.close()
        self.sockets.append(await connect(self.base_url, self.token))

    def frames(self, frame_type: str) -> list[dict]:
        return [frame for socket in self.sockets for frame in socket.frames if frame.get("type") == frame_type]

    # Sending ---------------------------------------------------------------------------------

    async def send(self, *, receiver_id: int, text: str, temp_id: str) -> None:
        self.outbox[temp_id] = {"type": "message", "receiver_id": receiver_id, "message": text, "temp_id": temp_id}
        await self._transmit(temp_id)

    async def _transmit(self, temp_id: str) -> None:
        self.last_sent[temp_id] = time.monotonic()
        try:
            await self.socket.send(self.outbox[temp_id])
        except websockets.ConnectionClosed:
            pass  # resent after the reconnect

    def acknowledged(self) -> dict[str, int]:
        """temp_id -> message id, from every `message_sent` received on any socket."""
        return {frame["temp_id"]: frame["id"] for frame in self.frames("message_sent")}

    def acknowledgements(self) -> list[dict]:
        return self.frames("message_sent")

    def reported_failed(self) -> set[str]:
        return {frame["temp_id"] for frame in self.frames("error")
                if frame.get("temp_id") is not None and frame.get("code") in RETRYABLE_ERROR_CODES}

    def unacknowledged(self) -> set[str]:
        return set(self.outbox) - set(self.acknowledged())

    async def deliver_everything(self, *, timeout: float, resend_after: float = 5.0, servers=()) -> None:
        """Re-sends until every message is acknowledged: after `resend_after` seconds of silence,
        after a failure report, and after a reconnect (to the next of `servers` if one dies)."""
        deadline = time.monotonic() + timeout
        failures_seen = 0
        while self.unacknowledged():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{len(self.unacknowledged())} messages never acknowledged: "
                                     f"{sorted(self.unacknowledged())[:20]}")
            if self.socket.close_code is not None:
                await self.reconnect(next((s for s in servers if s.alive()), None))
                for temp_id in self.unacknowledged():
                    self.last_sent[temp_id] = 0.0
            failed = self.frames("error")
            if len(failed) > failures_seen:
                for frame in failed[failures_seen:]:
                    if frame.get("temp_id") in self.outbox and frame.get("code") in RETRYABLE_ERROR_CODES:
                        self.failures_reported += 1
                        self.last_sent[frame["temp_id"]] = 0.0
                failures_seen = len(failed)
            now = time.monotonic()
            for temp_id in sorted(self.unacknowledged()):
                if now - self.last_sent[temp_id] >= resend_after:
                    self.resends += 1
                    await self._transmit(temp_id)
            await asyncio.sleep(0.25)

    # Receiving -------------------------------------------------------------------------------

    def received_ids(self) -> set[int]:
        return {frame["id"] for frame in self.frames("message")}

    def received_count(self) -> int:
        return len(self.frames("message"))

    async def close(self) -> None:
        for socket in self.sockets:
            if socket.close_code is None:
                await socket.close()


async def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
