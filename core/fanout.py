"""The one way anything reaches a socket.

Writers describe what to push as `Push` values and hand them to `push_on_commit`, so a frame never
announces a row that could still roll back (Zulip's `send_event_on_commit`). Synchronous callers
(Celery tasks, Django views) share one event loop per process, run in a daemon thread, so the
channel layer keeps one Redis pool instead of building one per call (PITFALLS 4).
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

SocketFamily = Literal["chat", "notifications"]
PUBLISH_TIMEOUT_SECONDS = 5.0


def user_group(user_id: int, family: SocketFamily) -> str:
    return f"{family}_user_{user_id}"


@dataclass(frozen=True)
class Push:
    """A frame for every socket of one user in one family, or for one socket by channel name."""

    frame: dict[str, Any]
    user_id: int | None = None
    family: SocketFamily = "chat"
    channel: str | None = None
    exclude_channel: str | None = None
    # The idempotency key of the send this frame answers; never shown to the client.
    reply_to: str | None = None

    def layer_event(self) -> dict[str, Any]:
        return {"type": "push.frame", "frame": self.frame, "exclude_channel": self.exclude_channel,
                "reply_to": self.reply_to}


def control(action: str, **fields: Any) -> dict[str, Any]:
    """A server-internal instruction for one socket (close it, re-check its token...)."""
    return {"type": "socket.control", "action": action, **fields}


async def apush(pushes: Iterable[Push]) -> None:
    layer = get_channel_layer()
    sends = []
    for push in pushes:
        if push.channel is not None:
            sends.append(layer.send(push.channel, push.layer_event()))
        else:
            sends.append(layer.group_send(user_group(push.user_id, push.family), push.layer_event()))
    results = await asyncio.gather(*sends, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            # The database stays the truth: a dropped frame is replayed on reconnect.
            logger.warning("channel layer send failed: %r", result)


async def asend_control(channel: str, action: str, **fields: Any) -> None:
    await get_channel_layer().send(channel, control(action, **fields))


async def asend_control_to_user(user_id: int, action: str, **fields: Any) -> None:
    """A control event for every socket of one user, both families; each socket decides."""
    layer = get_channel_layer()
    await asyncio.gather(*(layer.group_send(user_group(user_id, family), control(action, **fields))
                           for family in get_args(SocketFamily)))


class _LoopThread:
    """A per-process event loop in a daemon thread; recreated after fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._pid != os.getpid() or self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="fanout-loop", daemon=True).start()
                self._pid = os.getpid()
            return self._loop

    def run(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop()).result(PUBLISH_TIMEOUT_SECONDS)


_loop_thread = _LoopThread()


def run_async(coroutine) -> Any:
    """Runs a coroutine on this process's shared loop, from synchronous code."""
    return _loop_thread.run(coroutine)


def push_now(pushes: Iterable[Push]) -> None:
    pushes = list(pushes)
    if not pushes:
        return
    try:
        run_async(apush(pushes))
    except Exception:
        logger.exception("fan-out of %d frames failed", len(pushes))


def push_on_commit(pushes: Iterable[Push]) -> None:
    pushes = list(pushes)
    if pushes:
        transaction.on_commit(lambda: push_now(pushes))


def send_control_to_user(user_id: int, action: str, **fields: Any) -> None:
    try:
        run_async(asend_control_to_user(user_id, action, **fields))
    except Exception:
        logger.exception("control %r for the sockets of user %s failed", action, user_id)


def warm_up() -> None:
    """Opens the loop and the layer's Redis connection before the first real event (PITFALLS 5)."""
    run_async(get_channel_layer().group_send("warm_up", {"type": "noop"}))
