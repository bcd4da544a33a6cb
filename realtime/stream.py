"""The event stream: every durable frame a user's sockets of one family get, numbered, kept, and
resumable (docs/reliability.md, docs/websocket-api.md "Resume").

Writers (`realtime.fanout.push_on_commit`) number their durable frames in the transaction that
made the change: one statement takes the user's head row lock, advances it and stores the frames,
so `seq` grows by exactly one per event, in commit order, and an event exists if and only if its
change committed. The live push after the commit is only the fast path. Each socket
(`SocketStream`) writes its stream in order: it drops what it has written, holds what arrives
early, and fills a hole that stays open from the table; a resume replays from the table too.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from django.db import connection
from django.db.models import Min

from core.db import delete_oldest
from core.errors import ClientError
from realtime import frames
from realtime.db import socket_database
from realtime.models import Event, StreamHead

SocketFamily = Literal["chat", "notifications"]

# Frame types that are events of each family's stream; every other frame is ephemeral.
DURABLE_TYPES: dict[str, frozenset[str]] = {
    "chat": frozenset({"message", "delivery_receipt", "read_receipt", "unread_count",
                       "message_edited", "message_deleted", "reaction"}),
    "notifications": frozenset({"notification", "notification_update"}),
}
REPLAY_PAGE = 200
MAX_EVENT_PAGE = 500
# A hole in a live stream is usually two writers' pushes crossing; one still open after this long
# was lost on the way, and is read from the table.
GAP_WAIT_SECONDS = 1.0
MAX_HELD_FRAMES = 500


def is_durable(family: str, frame: frames.Frame) -> bool:
    return frame["type"] in DURABLE_TYPES[family]


# Writing ---------------------------------------------------------------------------------------

_RECORD = """
WITH heads AS (
    INSERT INTO event_stream_head (user_id, family, last_seq)
    SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])
    ON CONFLICT (user_id, family) DO UPDATE SET last_seq = event_stream_head.last_seq + EXCLUDED.last_seq
    RETURNING user_id, family, last_seq
), recorded AS (
    INSERT INTO event_stream (user_id, family, seq, frame, created_at)
    SELECT new.user_id, new.family, heads.last_seq - new.back, new.frame::jsonb, clock_timestamp()
    FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[]) AS new(user_id, family, back, frame)
    JOIN heads USING (user_id, family)
)
SELECT user_id, family, last_seq FROM heads
"""


def record(events: list[tuple[int, str, frames.Frame]]) -> list[int]:
    """Numbers and stores (user_id, family, frame) events in the current transaction, in one
    statement; returns each one's `seq`. Heads are locked in (user, family) order, so two
    transactions that both touch two users wait for each other instead of deadlocking. An
    event's `created_at` is the statement's clock, taken under its head's lock: it grows with
    `seq`, so pruning by age never leaves a hole inside what a stream keeps."""
    if not events:
        return []
    counts: dict[tuple[int, str], int] = {}
    positions = []
    for user_id, family, _ in events:
        key = (user_id, family)
        counts[key] = counts.get(key, 0) + 1
        positions.append(counts[key])
    heads = sorted(counts.items())
    backs = [counts[(user_id, family)] - position
             for (user_id, family, _), position in zip(events, positions, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_RECORD, [
            [user_id for (user_id, _), _ in heads], [family for (_, family), _ in heads], [count for _, count in heads],
            [user_id for user_id, _, _ in events], [family for _, family, _ in events], backs,
            [orjson.dumps(frame).decode() for _, _, frame in events],
        ])
        last_seqs = {(user_id, family): last_seq for user_id, family, last_seq in cursor.fetchall()}
    return [last_seqs[(user_id, family)] - back for (user_id, family, _), back in zip(events, backs, strict=True)]


def amend(*, user_ids: list[int], family: str, types: list[str], match: list[str], value: int,
          changes: dict[str, Any], within: str | None = None) -> int:
    """Rewrites stored events, for what must not outlive its source (a deleted message's text):
    in these users' streams, the events of `types` whose field at the path `match` equals `value`
    get `changes` merged into the frame, or into its object `within`. Their `seq` stays, so a
    resume still replays every number. Returns how many events changed."""
    merged = "jsonb_set(frame, %s::text[], (frame #> %s::text[]) || %s::jsonb)" if within else "frame || %s::jsonb"
    params: list[Any] = [[within], [within]] if within else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE event_stream SET frame = {merged}"
            " WHERE user_id = ANY(%s) AND family = %s AND frame->>'type' = ANY(%s) AND frame #>> %s::text[] = %s",
            [*params, orjson.dumps(changes).decode(), user_ids, family, types, match, str(value)],
        )
        return cursor.rowcount


def prune(*, created_before: datetime, batch_size: int, max_batches: int) -> int:
    """Deletes events older than the retention, oldest first, a bounded number per call. Heads
    stay: a user's numbering never restarts."""
    return delete_oldest(Event.objects.filter(created_at__lt=created_before), oldest_first_by="created_at",
                         batch_size=batch_size, max_batches=max_batches)


# Reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bounds:
    """What a stream holds: events `oldest_seq`..`last_seq` (none kept: oldest_seq = last_seq + 1)."""

    oldest_seq: int
    last_seq: int

    def can_resume_from(self, since: int) -> bool:
        return self.oldest_seq - 1 <= since <= self.last_seq


def last_seq(*, user_id: int, family: str) -> int:
    head = StreamHead.objects.filter(user_id=user_id, family=family).values_list("last_seq", flat=True).first()
    return head or 0


def heads(users: list[int]) -> dict[tuple[int, str], int]:
    """The newest `seq` of every stream of these users: {(user_id, family): last_seq}."""
    return {(user_id, family): last for user_id, family, last in
            StreamHead.objects.filter(user_id__in=users).values_list("user_id", "family", "last_seq")}


def bounds(*, user_id: int, family: str) -> Bounds:
    newest = last_seq(user_id=user_id, family=family)
    oldest = Event.objects.filter(user_id=user_id, family=family).aggregate(oldest=Min("seq"))["oldest"]
    return Bounds(oldest_seq=oldest or newest + 1, last_seq=newest)


def events_after(*, user_id: int, family: str, since: int, limit: int, up_to: int | None = None) -> list[frames.Frame]:
    """The stream's frames with `since < seq (<= up_to)`, oldest first, each with its `seq`."""
    events = Event.objects.filter(user_id=user_id, family=family, seq__gt=since)
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    return [frames.with_seq(frame, seq) for seq, frame in events.order_by("seq").values_list("seq", "frame")[:limit]]


class ResyncRequired(ClientError):
    """REST's `resync_required`: the stream no longer holds (or never held) the events asked for."""

    code = "resync_required"
    http_status = 410

    def __init__(self, *, since: int, stream: Bounds) -> None:
        super().__init__(f"The events after {since} are not kept; reload, then continue from last_seq")
        self.stream = stream

    def as_dict(self) -> dict:
        return {**super().as_dict(), "oldest_seq": self.stream.oldest_seq, "last_seq": self.stream.last_seq}


def event_page(*, user_id: int, family: str, since: int, limit: int) -> dict[str, Any]:
    """`GET events/`: up to `limit` events after `since`."""
    kept = bounds(user_id=user_id, family=family)
    if not kept.can_resume_from(since):
        raise ResyncRequired(since=since, stream=kept)
    events = events_after(user_id=user_id, family=family, since=since, limit=limit + 1)
    newest = max(kept.last_seq, events[-1]["seq"] if events else 0)  # an event may have committed since
    return {"events": events[:limit], "last_seq": newest, "has_more": len(events) > limit}


# One socket's stream ---------------------------------------------------------------------------

Write = Callable[[frames.Frame, Any], Awaitable[None]]


class SocketStream:
    """Where one socket stands in its user's stream of its family: `position` is the newest `seq`
    it wrote. Live events are written in `seq` order, each once; a resume replays from the table.

    `write(frame, context)` writes a frame to the socket (`context` is what the live push carried
    with it, None for a frame read from the table); `written_already(frame, context)` is told of a
    live frame whose event the socket got before (from the table), so that what its context asks
    for (the answer to a send) still happens. Calls are serialised by a lock, because the gap
    timer runs beside the consumer's handlers.
    """

    def __init__(self, *, user_id: int, family: str, write: Write, written_already: Write) -> None:
        self.user_id = user_id
        self.family = family
        self.write = write
        self.written_already = written_already
        self.position = 0
        self.held: dict[int, tuple[frames.Frame, Any]] = {}
        self.lock = asyncio.Lock()
        self.gap_timer: asyncio.TimerHandle | None = None
        # The stream's head at the last check (`catch_up`).
        self.head_seen = 0

    async def open(self) -> int:
        """Reads the stream's newest `seq` (after the socket joined its group: every later event
        reaches it live) and starts from there; returns it for the connection frame."""
        self.position = await socket_database(last_seq)(user_id=self.user_id, family=self.family)
        return self.position

    def close(self) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()

    async def live(self, frame: frames.Frame, context: Any) -> None:
        async with self.lock:
            seq = frame["seq"]
            if seq <= self.position:
                if context is not None:
                    await self.written_already(frame, context)
                return
            self.held[seq] = (frame, context)
            await self._write_held()
            if self.held and len(self.held) >= MAX_HELD_FRAMES:
                await self._fill_gap()

    async def catch_up(self, head: int) -> int:
        """The periodic check (realtime.watch) with the stream's current head: events that were
        committed by the previous check and still have not arrived were lost on the live path (a
        dropped subscription) and are written from the table. Returns how many."""
        async with self.lock:
            overdue, self.head_seen = self.head_seen, head
            if self.position >= overdue:
                return 0
            before = self.position
            self.position = max(self.position, await self._replay(since=self.position, up_to=overdue, replayed=False))
            await self._write_held()
            return self.position - before

    async def resume(self, since: int) -> bool:
        """Replays every event after `since` (`replayed: true`), then `resumed`; or, if the stream
        no longer holds them, `resync_required`. False in that case."""
        async with self.lock:
            stream = await socket_database(bounds)(user_id=self.user_id, family=self.family)
            if not stream.can_resume_from(since):
                await self.write(frames.resync_required(since=since, oldest_seq=stream.oldest_seq,
                                                        last_seq=stream.last_seq), None)
                self.position = max(self.position, stream.last_seq)
                await self._write_held()
                return False
            replayed = await self._replay(since=since, up_to=None, replayed=True)
            await self.write(frames.resumed(since=since, last_seq=max(replayed, stream.last_seq)), None)
            self.position = max(self.position, replayed, stream.last_seq)
            await self._write_held()
            return True

    async def _replay(self, *, since: int, up_to: int | None, replayed: bool) -> int:
        """Writes the table's events after `since`, page by page; returns the last `seq` written."""
        while True:
            page = await socket_database(events_after)(user_id=self.user_id, family=self.family, since=since,
                                                       limit=REPLAY_PAGE, up_to=up_to)
            for frame in page:
                await self.write(frames.replayed(frame) if replayed else frame, None)
            if len(page) < REPLAY_PAGE:
                return page[-1]["seq"] if page else since
            since = page[-1]["seq"]

    async def _write_held(self) -> None:
        """Writes the held events that follow `position` without a hole, forgets older ones, and
        (re)arms the gap timer while a hole remains."""
        for seq in [seq for seq in self.held if seq <= self.position]:
            del self.held[seq]
        while (following := self.held.pop(self.position + 1, None)) is not None:
            await self.write(*following)
            self.position += 1
        if not self.held and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        elif self.held and self.gap_timer is None:
            self.gap_timer = asyncio.get_running_loop().call_later(
                GAP_WAIT_SECONDS, lambda: asyncio.ensure_future(self._fill_gap_later()))

    async def _fill_gap_later(self) -> None:
        async with self.lock:
            self.gap_timer = None
            if self.held:
                await self._fill_gap()

    async def _fill_gap(self) -> None:
        """The events missing before the oldest held one, read from the table."""
        first_held = min(self.held)
        self.position = max(self.position, await self._replay(since=self.position, up_to=first_held - 1,
                                                              replayed=False))
        # Never read (pruned, which a live socket does not outlast): skipped rather than waited for.
        self.position = max(self.position, first_held - 1)
        await self._write_held()
