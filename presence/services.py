"""Presence writes: one Redis entry per live socket, transitions computed atomically in Lua."""
from __future__ import annotations

import time

from django.conf import settings
from django.utils.module_loading import import_string

from core.fanout import Push, push_now
from core.redis import async_client, sync_client
from core.timestamps import now_iso
from presence import keys, scripts


async def _run_async(script: str, user_id: int, *args) -> bool:
    return bool(await async_client().eval(script, 5, *keys.all_for(user_id), user_id, *args))


def _run_sync(script: str, user_id: int, *args) -> bool:
    return bool(sync_client().eval(script, 5, *keys.all_for(user_id), user_id, *args))


async def touch_connection(*, user_id: int, connection: str) -> bool:
    """Opens or refreshes one socket's entry. True if the user just came online."""
    return await _run_async(scripts.TOUCH_CONNECTION, user_id, connection, time.time(), settings.PRESENCE_ONLINE_TTL_SECONDS)


async def close_connection(*, user_id: int, connection: str) -> bool:
    """Removes one socket's entry. True if it was the user's last one."""
    return await _run_async(scripts.CLOSE_CONNECTION, user_id, connection, time.time())


async def connections_over_cap(*, user_id: int, cap: int) -> list[str]:
    """The oldest connections beyond the per-user cap, to be closed with 4029."""
    excess = await async_client().zcard(keys.opened_order(user_id)) - cap
    if excess <= 0:
        return []
    return await async_client().zrange(keys.opened_order(user_id), 0, excess - 1)


def sweep_stale_connections(*, batch_size: int, stale_after: float) -> list[int]:
    """Drops entries whose heartbeat is older than `stale_after`; returns users who went offline.

    Bounded by `batch_size` users per SSCAN step, and safe if two sweeps overlap.
    """
    client = sync_client()
    stale_before = time.time() - stale_after
    went_offline: list[int] = []
    cursor = 0
    while True:
        cursor, user_ids = client.sscan(keys.ONLINE_USERS, cursor=cursor, count=batch_size)
        for user_id in map(int, user_ids):
            if _run_sync(scripts.SWEEP_STALE, user_id, "", time.time(), stale_before):
                went_offline.append(user_id)
        if cursor == 0:
            return went_offline


def announce_if_changed(*, user_id: int) -> bool:
    """Tells the user's audience about a real transition since the last announcement.

    GETSET makes overlapping announcers agree: only the one that flips the stored state sends.
    """
    client = sync_client()
    is_online = bool(client.sismember(keys.ONLINE_USERS, user_id))
    previous = client.getset(keys.announced(user_id), "1" if is_online else "0")
    if previous == ("1" if is_online else "0") or (previous is None and not is_online):
        return False
    audience = import_string(settings.PRESENCE_VISIBILITY_POLICY).audience(user_id)
    frame = {"type": "online_status_changed", "user_id": user_id, "is_online": is_online, "timestamp": now_iso()}
    push_now(Push(frame=frame, user_id=viewer_id) for viewer_id in audience)
    return True
