"""Presence reads from Redis."""
from __future__ import annotations

from datetime import datetime, timezone

from django.conf import settings
from django.utils.module_loading import import_string

from core.redis import sync_client
from core.timestamps import iso_z, now_iso
from presence import keys


def online_among(user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    flags = sync_client().smismember(keys.ONLINE_USERS, user_ids)
    return {user_id for user_id, flag in zip(user_ids, flags) if flag}


def is_online(user_id: int) -> bool:
    return bool(sync_client().sismember(keys.ONLINE_USERS, user_id))


def last_seen(user_id: int) -> str | None:
    value = sync_client().get(keys.last_seen(user_id))
    return iso_z(datetime.fromtimestamp(float(value), tz=timezone.utc)) if value else None


def online_status_frame(*, viewer_id: int, user_id: int) -> dict:
    """What the viewer may know: a user hidden by the policy reads as offline with no last_seen."""
    visible = import_string(settings.PRESENCE_VISIBILITY_POLICY).can_see(viewer_id, user_id)
    online = visible and is_online(user_id)
    return {
        "type": "online_status",
        "user_id": user_id,
        "is_online": online,
        "last_seen": now_iso() if online else (last_seen(user_id) if visible else None),
        "timestamp": now_iso(),
    }


def online_contacts(user_id: int) -> list[int]:
    audience = import_string(settings.PRESENCE_VISIBILITY_POLICY).audience(user_id)
    return sorted(online_among(audience))
