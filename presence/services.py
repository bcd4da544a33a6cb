"""Presence writes: one Redis entry per live socket, every transition computed atomically in Lua."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django.conf import settings

from core.redis import async_client, sync_client
from presence import keys, scripts
from presence.selectors import allowed_viewers, audience, last_seen
from realtime import frames
from realtime.fanout import Push, push_now


async def touch_connection(*, user_id: int, connection: str) -> bool:
    """Opens or refreshes one socket's entry. True if the user just came online."""
    came_online = await scripts.TOUCH_CONNECTION.arun(
        async_client(), keys.connection_keys(user_id), [user_id, connection, settings.PRESENCE_ONLINE_TTL_SECONDS]
    )
    return bool(came_online)


async def mark_notification_socket(*, user_id: int, connection: str) -> None:
    """Records that a socket whose entry exists is a `/ws/notifications/` socket, so that it does not
    count as a chat socket (`selectors.with_chat_socket_among`)."""
    await scripts.MARK_NOTIFICATION_SOCKET.arun(async_client(), keys.connection_keys(user_id), [user_id, connection])


async def close_connection(*, user_id: int, connection: str) -> bool:
    """Removes one socket's entry. True if it was the user's last one."""
    went_offline = await scripts.CLOSE_CONNECTION.arun(async_client(), keys.connection_keys(user_id), [user_id, connection])
    return bool(went_offline)


async def evict_connections_over_cap(*, user_id: int, cap: int) -> list[str]:
    """Drops the user's oldest entries beyond the cap; returns their channels, to be closed."""
    return await scripts.EVICT_OVER_CAP.arun(async_client(), keys.connection_keys(user_id), [user_id, cap])


def _scan_batches(set_key: str, batch_size: int) -> Iterator[list[int]]:
    """Every member of a set in batches; a member may come twice, every step below is idempotent."""
    cursor = 0
    while True:
        cursor, members = cast(tuple[int, list[str]], sync_client().sscan(set_key, cursor=cursor, count=batch_size))
        if members:
            yield [int(member) for member in members]
        if cursor == 0:
            return


def sweep_stale_connections(*, batch_size: int, stale_after: float) -> list[int]:
    """Drops entries whose heartbeat is older than `stale_after` seconds; returns who went offline.

    One pipelined round trip per batch of users. Safe when two sweeps overlap: each user's step is
    one script, and only the run that removes the last entry reports the user.
    """
    client = sync_client()
    scripts.SWEEP_STALE.ensure_loaded(client)
    went_offline: list[int] = []
    for user_ids in _scan_batches(keys.ONLINE_USERS, batch_size):
        pipeline = client.pipeline(transaction=False)
        for user_id in user_ids:
            scripts.SWEEP_STALE.queue(pipeline, keys.connection_keys(user_id), [user_id, stale_after])
        went_offline += [user_id for user_id, offline in zip(user_ids, pipeline.execute(), strict=True) if offline]
    return went_offline


def unannounced_users(*, batch_size: int) -> list[int]:
    """Users whose contacts were told something other than the truth: a lost or pending announcement."""
    client = sync_client()
    mismatched: list[int] = []
    for told, truth in ((keys.ANNOUNCED_ONLINE, keys.ONLINE_USERS), (keys.ONLINE_USERS, keys.ANNOUNCED_ONLINE)):
        for user_ids in _scan_batches(told, batch_size):
            flags = cast(list[int], client.smismember(truth, user_ids))
            mismatched += [user_id for user_id, flag in zip(user_ids, flags, strict=True) if not flag]
    return mismatched


@dataclass(frozen=True)
class Announcement:
    sent: bool
    # Seconds until the user has been offline for the whole grace period; ask again then.
    retry_in: float | None = None


# Longer than one announcement takes (a script and one publish per contact).
ANNOUNCE_LOCK_SECONDS = 10


def _announce_lock(user_id: int):
    return sync_client().lock(f"ws:presence_announce_lock:{user_id}", timeout=ANNOUNCE_LOCK_SECONDS,
                              blocking_timeout=ANNOUNCE_LOCK_SECONDS)


def announce_if_changed(*, user_id: int) -> Announcement:
    """Tells the user's audience about a real transition since the last announcement.

    An offline transition is announced only once the user has stayed offline for
    PRESENCE_OFFLINE_GRACE_SECONDS, so a quick reconnect is never seen as offline-then-online.
    A per-user lock spans reading the audience, the decision and the push, so that two workers
    announcing the same user publish in the order they decided (contacts never end on a stale
    state), and `introduce_contacts` knows whether a new contact will be told. If the database
    fails, the task retries before anything is recorded.
    """
    client = sync_client()
    with _announce_lock(user_id):
        viewer_ids = audience(user_id)
        change, wait_ms = scripts.ANNOUNCE.run(
            client, keys.announcement_keys(user_id), [user_id, settings.PRESENCE_OFFLINE_GRACE_SECONDS]
        )
        if change == 0:
            return Announcement(sent=False, retry_in=wait_ms / 1000 if wait_ms else None)
        online = change == 1
        frame = frames.online_status_changed(user_id=user_id, is_online=online,
                                             last_seen=None if online else last_seen(user_id))
        push_now(Push(frame=frame, user_id=viewer_id) for viewer_id in viewer_ids)
    return Announcement(sent=True)


def introduce_contacts(user_ids: tuple[int, int]) -> None:
    """Two people who just became contacts (their first message is committed) learn that the other
    is online, instead of waiting for the other's next transition. A user whose coming online is
    still to be announced is left to that announcement: it reads the contacts under the same lock,
    after this commit, so the new contact hears it once."""
    client = sync_client()
    for user_id, viewer_id in (user_ids, user_ids[::-1]):
        if viewer_id not in allowed_viewers(user_id, [viewer_id]):
            continue
        with _announce_lock(user_id):
            if client.sismember(keys.ANNOUNCED_ONLINE, str(user_id)) and client.sismember(keys.ONLINE_USERS, str(user_id)):
                push_now([Push(frame=frames.online_status_changed(user_id=user_id, is_online=True), user_id=viewer_id)])
