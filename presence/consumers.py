"""Presence, plugged into the sockets: one entry per socket, kept fresh by the server itself.

`PresenceMixin` goes before `RealtimeConsumer` in a consumer's bases; it uses the base consumer's
life-cycle hooks, so the socket transport knows nothing of presence (docs/presence.md).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from functools import partial

from django.conf import settings
from redis.exceptions import RedisError

from core.errors import ClientError
from core.logging import Throttled
from presence import services as presence
from presence import tasks
from realtime.fanout import asend_control
from realtime.handover import RequestBatch, one_per_event_loop

logger = logging.getLogger(__name__)
# Redis away: one line per half minute, not one per socket.
outage_log = Throttled(logger, seconds=30)

CLOSE_TOO_MANY_CONNECTIONS = 4029

# Users who came online within this window are announced by one task. A refused batch is
# repaired by the presence sweep, which announces every transition not yet announced.
ANNOUNCE_WINDOW_SECONDS = 0.05
announcements = one_per_event_loop(partial(RequestBatch, task=tasks.ANNOUNCE_MANY, window=ANNOUNCE_WINDOW_SECONDS))


class PresenceMixin:
    user_id: int
    channel_name: str
    heartbeat: asyncio.Task | None = None
    presence_touch: asyncio.Task | None = None

    async def on_connected(self) -> None:
        await super().on_connected()  # type: ignore[misc]
        await self.start_presence()
        await self.close_connections_over_cap()

    async def on_ended(self) -> None:
        # A heartbeat left running would keep the user online forever.
        await super().on_ended()  # type: ignore[misc]
        await self.stop_presence()

    async def on_ping(self) -> None:
        """`ping` refreshes presence after its `pong`, one at a time: a Redis that does not answer
        delays neither the pong nor the next frame."""
        await super().on_ping()  # type: ignore[misc]
        if self.presence_touch is None or self.presence_touch.done():
            self.presence_touch = asyncio.create_task(self.refresh_presence())

    async def start_presence(self) -> None:
        self.closing = asyncio.Event()
        await self.refresh_presence()
        self.heartbeat = asyncio.create_task(self.keep_presence_fresh())

    async def refresh_presence(self) -> None:
        """Touches this socket's presence entry; a failure is logged and the next beat retries."""
        try:
            await self.touch_presence()
        except (RedisError, ClientError) as error:
            outage_log.warning("presence", "presence could not be updated (%s); the heartbeat retries", error)
        except Exception:
            logger.exception("presence could not be updated; the heartbeat retries")

    async def touch_presence(self) -> None:
        if await presence.touch_connection(user_id=self.user_id, connection=self.channel_name):
            announcements().add({"user_id": self.user_id})

    async def keep_presence_fresh(self) -> None:
        """The server, not the client, keeps an open socket's user online."""
        interval = settings.PRESENCE_HEARTBEAT_SECONDS
        # A random first beat spreads the beats of sockets that connected together.
        wait = random.uniform(0.5, 1.0) * interval
        while not self.closing.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.closing.wait(), wait)
            if self.closing.is_set():
                return
            await self.refresh_presence()
            wait = interval

    async def stop_presence(self) -> None:
        # Waits out a heartbeat in flight (instead of cancelling it), so that it cannot re-add the
        # entry after the close has removed it.
        if self.heartbeat is None:
            return
        self.closing.set()
        await self.heartbeat
        if self.presence_touch is not None:
            await self.presence_touch
        try:
            if await presence.close_connection(user_id=self.user_id, connection=self.channel_name):
                await self.enqueue(  # type: ignore[attr-defined]
                    tasks.ANNOUNCE, countdown=settings.PRESENCE_OFFLINE_GRACE_SECONDS, user_id=self.user_id)
        except (RedisError, ClientError) as error:
            outage_log.warning("presence", "presence could not be updated (%s); the sweep repairs it", error)
        except Exception:
            # The sweep removes the entry and announces the change later; the socket is gone either way.
            logger.exception("presence cleanup failed for a closed socket")

    async def close_connections_over_cap(self) -> None:
        """Closes the user's oldest sockets past the cap. Redis away: the cap is checked at the
        next connect instead of failing this one (its socket would die without a close code)."""
        try:
            oldest = await presence.evict_connections_over_cap(user_id=self.user_id,
                                                               cap=settings.WS_MAX_CONNECTIONS_PER_USER)
            for channel in oldest:
                await asend_control(channel, "close", code=CLOSE_TOO_MANY_CONNECTIONS)
        except RedisError as error:
            outage_log.warning("presence", "the connection cap was not checked (%s)", error)
