"""Typing state: an ephemeral signal in Redis (`ws:typing:{user}:{partner}`, TTL 5 s), never a
database write per keystroke. The server, not the client, ends a typing spell that goes quiet.
"""
from __future__ import annotations

from django.conf import settings

from core.redis import async_client
from core.timestamps import now_iso
from realtime import frames
from realtime.fanout import Push, apush, run_async


def typing_key(user_id: int, partner_id: int) -> str:
    return f"ws:typing:{user_id}:{partner_id}"


async def _announce(*, user_id: int, user_name: str, partner_id: int, is_typing: bool) -> None:
    frame = frames.typing_indicator(sender_id=user_id, sender_name=user_name, is_typing=is_typing)
    await apush([Push(frame=frame, user_id=partner_id)])


async def start_typing(*, user_id: int, user_name: str, partner_id: int) -> bool:
    """Announces typing; True when a new spell began (the caller then records it, once)."""
    ttl_ms = int(settings.CHAT_TYPING_TTL_SECONDS * 1000)
    previous = await async_client().set(typing_key(user_id, partner_id), now_iso(), px=ttl_ms, get=True)
    await _announce(user_id=user_id, user_name=user_name, partner_id=partner_id, is_typing=True)
    return previous is None


async def stop_typing(*, user_id: int, user_name: str, partner_id: int, only_if_active: bool) -> None:
    """Ends a spell: always on an explicit stop, only if one is running when a message is sent."""
    was_active = await async_client().delete(typing_key(user_id, partner_id))
    if was_active or not only_if_active:
        await _announce(user_id=user_id, user_name=user_name, partner_id=partner_id, is_typing=False)


async def expire_typing(*, user_id: int, user_name: str, partner_id: int) -> None:
    """Called after the TTL: the spell is over unless a newer `is_typing:true` refreshed the key."""
    if not await async_client().exists(typing_key(user_id, partner_id)):
        await _announce(user_id=user_id, user_name=user_name, partner_id=partner_id, is_typing=False)


def expire_typing_sync(**kwargs) -> None:
    run_async(expire_typing(**kwargs))
