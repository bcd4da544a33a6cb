"""One watcher per server process over all of its live sockets (cheaper than a timer per socket).

- Redis: the pub/sub channel layer drops whatever is published while Redis is away, and a socket
  that stays open would never learn of it. When Redis comes back (or turns out to have restarted),
  every socket of the process is closed with 1012 (service restart); clients reconnect and the
  pending replay from PostgreSQL gives them what they missed.
- Streams: a frame the live path lost (a subscription that redis-py silently re-made, a publish
  that failed) is noticed by the next event, whose `seq` leaves a hole (realtime.stream); a lost
  last event is noticed here, by comparing every socket's position with its stream's head, one
  query per interval for the whole process, and written from the table.
- Tokens: a deleted token closes its sockets at once through a control event (realtime/auth.py); this
  re-check, one query per interval for the whole process, is the backstop for deletions that send
  no signal and for deactivated users.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from core.logging import Throttled
from core.redis import async_client
from realtime import stream
from realtime.auth import valid_token_keys
from realtime.db import socket_database
from realtime.stream import SocketStream

logger = logging.getLogger(__name__)
outage_log = Throttled(logger, seconds=30)

CLOSE_SERVICE_RESTART = 1012
TOKEN_CHECK_BATCH = 1000
STREAM_CHECK_BATCH = 1000


class WatchedSocket(Protocol):
    scope: dict
    user_id: int
    family: str
    stream: SocketStream

    async def close_for_restart(self) -> None: ...

    async def close_for_auth(self) -> None: ...


class SocketWatch:
    def __init__(self) -> None:
        self.sockets: set[WatchedSocket] = set()
        self.task: asyncio.Task | None = None
        self.redis_run_id: str | None = None
        self.redis_lost = False
        self.next_token_check = 0.0
        self.next_stream_check = 0.0

    def register(self, socket: WatchedSocket) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.next_token_check = time.monotonic() + settings.WS_TOKEN_RECHECK_SECONDS
            self.task = asyncio.get_running_loop().create_task(self.run())

    def unregister(self, socket: WatchedSocket) -> None:
        self.sockets.discard(socket)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(settings.WS_REDIS_WATCH_SECONDS)
            try:
                await self.check_redis()
                if time.monotonic() >= self.next_token_check:
                    self.next_token_check = time.monotonic() + settings.WS_TOKEN_RECHECK_SECONDS
                    await self.check_tokens()
                if time.monotonic() >= self.next_stream_check:
                    self.next_stream_check = time.monotonic() + settings.WS_STREAM_CHECK_SECONDS
                    await self.check_streams()
            except Exception:
                logger.exception("socket watch failed; it runs again at the next interval")

    async def check_redis(self) -> None:
        try:
            run_id = (await async_client().info("server"))["run_id"]
        except RedisError as error:
            self.redis_lost = True
            outage_log.warning("redis", "redis unreachable (%s); sockets close with 1012 when it returns", error)
            return
        restarted = self.redis_run_id is not None and run_id != self.redis_run_id
        self.redis_run_id = run_id
        if restarted or self.redis_lost:
            self.redis_lost = False
            logger.warning("redis is back after an outage; closing %d sockets with 1012 so that they resync",
                           len(self.sockets))
            await asyncio.gather(*(socket.close_for_restart() for socket in list(self.sockets)),
                                 return_exceptions=True)

    async def check_tokens(self) -> None:
        sockets = list(self.sockets)
        keys = {socket.scope.get("token_key") for socket in sockets} - {None}
        try:
            valid: set[str] = set()
            batches = [list(keys)[start:start + TOKEN_CHECK_BATCH] for start in range(0, len(keys), TOKEN_CHECK_BATCH)]
            for batch in batches:
                valid |= await socket_database(valid_token_keys)(batch)
        except DatabaseError as error:
            # An outage is no reason to close anyone: the next check decides.
            outage_log.warning("database", "token re-check skipped: database unavailable (%s)", error)
            return
        revoked = [socket for socket in sockets if socket.scope.get("token_key") not in valid]
        await asyncio.gather(*(socket.close_for_auth() for socket in revoked), return_exceptions=True)

    async def check_streams(self) -> None:
        sockets = list(self.sockets)
        users = sorted({socket.user_id for socket in sockets})
        try:
            heads: dict[tuple[int, str], int] = {}
            for start in range(0, len(users), STREAM_CHECK_BATCH):
                heads |= await socket_database(stream.heads)(users[start:start + STREAM_CHECK_BATCH])
        except DatabaseError as error:
            outage_log.warning("database", "stream check skipped: database unavailable (%s)", error)
            return
        caught_up = await asyncio.gather(
            *(socket.stream.catch_up(heads.get((socket.user_id, socket.family), 0)) for socket in sockets),
            return_exceptions=True)
        lost = sum(count for count in caught_up if isinstance(count, int))
        if lost:
            logger.warning("%d events had not reached their sockets live; written from the event stream", lost)


watch = SocketWatch()
