"""The one way anything reaches a socket.

Writers describe what to push as `Push` values and hand them to `push_on_commit`, so a frame never
announces a row that could still roll back (Zulip's `send_event_on_commit`). Synchronous callers
(Celery tasks, Django views) publish all frames of a call in one pipelined Redis round trip on the
pub/sub layer; on other layers they share one event loop per process, run in a daemon thread, so
the channel layer keeps one Redis pool instead of building one per call (a loop per call built a Redis pool per call: docs/performance.md).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, cast, get_args

import redis
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import decode_hosts
from django.conf import settings
from django.db import transaction
from opentelemetry.trace import SpanKind
from redis.exceptions import RedisError

from core import tracing
from realtime import frames, stream
from realtime.stream import SocketFamily

logger = logging.getLogger(__name__)

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
    # The socket whose request this frame answers (a push to one channel answers that channel)
    # sees it with `reply_type` as its type, and hands `reply_to`, the idempotency key of its
    # send, to its send queue. Neither is shown to the client.
    reply_channel: str | None = None
    reply_type: str | None = None
    reply_to: str | None = None

    def delivery(self) -> dict[str, Any]:
        delivery: dict[str, Any] = {"frame": self.frame}
        if reply_channel := self.reply_channel or self.channel:
            delivery.update(reply_channel=reply_channel, reply_type=self.reply_type, reply_to=self.reply_to)
        return delivery

    def layer_target(self) -> tuple[str, str]:
        """("send", channel) or ("group_send", group)."""
        if self.channel is not None:
            return "send", self.channel
        assert self.user_id is not None, "a Push names a user or a channel"
        return "group_send", user_group(self.user_id, self.family)


def layer_events(pushes: Iterable[Push]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, target, event): one channel-layer event per target, carrying that target's frames
    in order. A chat message's frames for its receiver (the message, the unread count) cost the
    layer and the receiving server one event instead of two."""
    frames_by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for push in pushes:
        frames_by_target.setdefault(push.layer_target(), []).append(push.delivery())
    # The sockets' writes join the pusher's trace (core.tracing); nothing is added while it is off.
    trace = {"trace": parent} if (parent := tracing.traceparent()) else {}
    return [(method, target, {"type": "push.frames", "frames": frames, **trace})
            for (method, target), frames in frames_by_target.items()]


def control(action: str, **fields: Any) -> dict[str, Any]:
    """A server-internal instruction for one socket (close it, re-check its token...)."""
    return {"type": "socket.control", "action": action, **fields}


async def apush(pushes: Iterable[Push]) -> None:
    await _send_layer_events(layer_events(pushes))


async def _send_layer_events(events: list[tuple[str, str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    sends = []
    for method, target, event in events:
        sends.append(getattr(layer, method)(target, event))
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


class _PipelinedPublisher:
    """Synchronous callers' way onto the pub/sub layer: every frame of a call in one Redis round
    trip, from the calling thread, where the layer would publish them one by one (it holds a lock
    per publish) on the loop thread. It publishes what `RedisPubSubChannelLayer.send` and
    `group_send` publish (channels-redis 4.3: the channel's name or `{prefix}__group__{group}`,
    the layer's own serializer); the end-to-end tests receive every chat frame through it."""

    def __init__(self, layer: RedisPubSubChannelLayer, *, address: str, prefix: str) -> None:
        self.layer = layer
        self.prefix = prefix
        self.client = redis.Redis.from_url(address, **settings.REDIS_TIMEOUTS)

    def publish(self, pushes: list[Push]) -> None:
        pipeline = self.client.pipeline(transaction=False)
        for method, target, event in layer_events(pushes):
            pipeline.publish(target if method == "send" else f"{self.prefix}__group__{target}",
                             self.layer.serialize(event))
        pipeline.execute()


@functools.cache
def _pipelined_publisher() -> _PipelinedPublisher | None:
    """None where the fast path does not apply: another layer, or several (sharded) Redis hosts."""
    layer = get_channel_layer()
    config = cast(dict[str, Any], settings.CHANNEL_LAYERS[DEFAULT_CHANNEL_LAYER]).get("CONFIG", {})
    hosts = decode_hosts(config.get("hosts"))
    if not isinstance(layer, RedisPubSubChannelLayer) or len(hosts) != 1:
        return None
    return _PipelinedPublisher(layer, address=hosts[0]["address"], prefix=config.get("prefix", "asgi"))


def push_now(pushes: Iterable[Push]) -> None:
    pushes = list(pushes)
    if not pushes:
        return
    publisher = _pipelined_publisher()
    try:
        with tracing.span("fan-out", kind=SpanKind.PRODUCER, attributes={"erp_comm.frames": len(pushes)}):
            if publisher is not None:
                publisher.publish(pushes)
            else:
                # The events are made here, in the caller's context (its trace), not on the loop's thread.
                run_async(_send_layer_events(layer_events(pushes)))
    except RedisError as error:
        # The database stays the truth: a dropped frame is replayed on reconnect.
        logger.warning("fan-out of %d frames failed: %r", len(pushes), error)
    except Exception:
        logger.exception("fan-out of %d frames failed", len(pushes))


def push_on_commit(pushes: Iterable[Push]) -> None:
    """Pushes after the current transaction commits; the durable frames among them become events
    of their users' streams in this transaction (`realtime.stream`)."""
    numbered = _numbered(list(pushes))
    if numbered:
        transaction.on_commit(lambda: push_now(numbered))


def _numbered(pushes: list[Push]) -> list[Push]:
    durable = [index for index, push in enumerate(pushes)
               if push.user_id is not None and push.channel is None and stream.is_durable(push.family, push.frame)]
    seqs = stream.record([(cast(int, pushes[index].user_id), pushes[index].family, pushes[index].frame)
                          for index in durable])
    for index, seq in zip(durable, seqs, strict=True):
        pushes[index] = replace(pushes[index], frame=frames.with_seq(pushes[index].frame, seq))
    return pushes


def send_control_to_user(user_id: int, action: str, **fields: Any) -> None:
    try:
        run_async(asend_control_to_user(user_id, action, **fields))
    except Exception:
        logger.exception("control %r for the sockets of user %s failed", action, user_id)


def warm_up() -> None:
    """Opens the Redis connection pushes use before the first real event (connections opened lazily made the first tasks slow: docs/performance.md)."""
    publisher = _pipelined_publisher()
    if publisher is not None:
        publisher.client.ping()
    else:
        run_async(get_channel_layer().group_send("warm_up", {"type": "noop"}))
