"""A test client for the sockets: keeps every frame it received and waits for the ones asked for."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.asyncapi import server_frame_violations
from tests.support.timestamps import timestamp_violations

Frame = dict[str, Any]
DEFAULT_TIMEOUT = 10.0

# What any test client received that breaks the contract (a frame that docs/asyncapi.yaml does not
# describe, a timestamp in another format, also in REST bodies); a fixture in tests/conftest.py
# fails the test during which it arrived.
CONTRACT_VIOLATIONS: list[str] = []


async def eventually(predicate: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT) -> None:
    """Waits for a condition that other processes make true (a row written by the worker...)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.1)


class WsClient:
    def __init__(self, connection: ClientConnection, path: str) -> None:
        self.connection = connection
        self.path = path
        self.frames: list[Frame] = []
        self._unread: list[Frame] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self.close_code: int | None = None

    @classmethod
    async def connect(cls, base_url: str, path: str, token: str | None, **kwargs: Any) -> WsClient:
        url = f"{base_url}{path}" + (f"{'&' if '?' in path else '?'}token={token}" if token is not None else "")
        # websockets' 10 s default was once not enough for a handshake on a loaded 2-core CI machine;
        # tests that time handshakes pass their own bound.
        kwargs.setdefault("open_timeout", 30)
        connection = await websockets.connect(url, max_size=None, **kwargs)
        return cls(connection, path)

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                frame = json.loads(raw)
                self.frames.append(frame)
                self._unread.append(frame)
                CONTRACT_VIOLATIONS.extend(server_frame_violations(self.path, frame))
                CONTRACT_VIOLATIONS.extend(timestamp_violations(f"{self.path} frame", frame))
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.connection.close_code
            self._arrived.set()

    async def send(self, frame: Frame | str | bytes) -> None:
        await self.connection.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def expect(self, frame_type: str, where: Callable[[Frame], bool] = lambda f: True,
                     timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """Returns (and consumes) the first unread frame of that type matching `where`."""
        async def find() -> Frame:
            while True:
                for frame in self._unread:
                    if frame.get("type") == frame_type and where(frame):
                        self._unread.remove(frame)
                        return frame
                if self.close_code is not None:
                    raise AssertionError(f"socket closed ({self.close_code}) before a {frame_type!r} frame; got {self.frames}")
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {frame_type!r} frame within {timeout}s; received {self.frames}") from None

    async def expect_none(self, frame_type: str, where: Callable[[Frame], bool] = lambda f: True,
                          within: float = 1.0) -> None:
        await asyncio.sleep(within)
        unexpected = [f for f in self._unread if f.get("type") == frame_type and where(f)]
        assert not unexpected, f"unexpected {frame_type!r} frames: {unexpected}"

    async def request(self, frame: Frame, reply_type: str, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        await self.send(frame)
        return await self.expect(reply_type, timeout=timeout)

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code

    async def close(self) -> None:
        await self.connection.close()
        await asyncio.wait_for(asyncio.shield(self._reader), 5)
