"""Presence reads: Redis state, filtered through the visibility policy."""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from importlib import import_module
from types import ModuleType
from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

from core.redis import sync_client
from core.timestamps import iso_z, now_iso
from presence import keys, scripts
from realtime import frames


def online_among(user_ids: Iterable[int]) -> set[int]:
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    flags = cast(list[int], sync_client().smismember(keys.ONLINE_USERS, user_ids))
    return {user_id for user_id, flag in zip(user_ids, flags, strict=True) if flag}


def with_chat_socket_among(user_ids: Iterable[int]) -> set[int]:
    """Which of the users have a live chat socket (a notification socket alone does not count), in
    one round trip."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    user_keys = [key for user_id in user_ids for key in (keys.connections(user_id), keys.notification_sockets(user_id))]
    flags = scripts.HAS_CHAT_SOCKET.run(sync_client(), user_keys, [])
    return {user_id for user_id, flag in zip(user_ids, flags, strict=True) if flag}


def online_count() -> int:
    """How many users have at least one open socket."""
    return cast(int, sync_client().scard(keys.ONLINE_USERS))


def is_online(user_id: int) -> bool:
    return bool(sync_client().sismember(keys.ONLINE_USERS, str(user_id)))


def last_seen(user_id: int) -> str | None:
    """When the user last closed a socket or their server last heard from them."""
    value = cast(str | None, sync_client().get(keys.last_seen(user_id)))
    return iso_z(datetime.fromtimestamp(float(value), tz=UTC)) if value else None


def allowed_viewers(user_id: int, viewer_ids: list[int]) -> set[int]:
    """Which of the user's contacts `viewer_ids` may see the user's presence."""
    policy = import_string(settings.PRESENCE_VISIBILITY_POLICY)
    return set(policy(user_id, viewer_ids)) & set(viewer_ids)


def contacts() -> ModuleType:
    """Who knows whom: PRESENCE_CONTACTS names a module with `contact_ids(user_id) -> list[int]` and
    `are_contacts(user_a, user_b) -> bool` (by default the chat's: people who share a conversation).
    A setting, not an import, so that presence does not depend on the apps that use it."""
    return import_module(settings.PRESENCE_CONTACTS)


def audience(user_id: int) -> list[int]:
    """Who is told about the user's transitions."""
    contact_ids = contacts().contact_ids(user_id)
    allowed = allowed_viewers(user_id, contact_ids)
    return [viewer_id for viewer_id in contact_ids if viewer_id in allowed]


def can_see(viewer_id: int, user_id: int) -> bool:
    if viewer_id == user_id:
        return True
    return contacts().are_contacts(viewer_id, user_id) and viewer_id in allowed_viewers(user_id, [viewer_id])


def visible_online_among(viewer_id: int, contact_ids: Collection[int]) -> set[int]:
    """Which of the viewer's contacts are online, as far as the viewer may know."""
    return {user_id for user_id in online_among(contact_ids) if viewer_id in allowed_viewers(user_id, [viewer_id])}


def online_contacts(viewer_id: int) -> list[int]:
    return sorted(visible_online_among(viewer_id, contacts().contact_ids(viewer_id)))


def online_status_frame(*, viewer_id: int, user_id: int) -> dict:
    """What the viewer may know: a user hidden from them reads as offline with no last_seen."""
    visible = can_see(viewer_id, user_id)
    online = visible and is_online(user_id)
    return frames.online_status(user_id=user_id, is_online=online,
                                last_seen=now_iso() if online else (last_seen(user_id) if visible else None))
