"""`ws:pending:{user_id}`: the ids of messages waiting for a user (docs/presence.md).

A cache that operators (and dashboards) can read without touching PostgreSQL. The table stays
the truth: the replay on connect reads `delivered_at IS NULL`, never this set, so a lost or
stale entry costs nothing but an inaccurate number.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from redis.client import Pipeline
from redis.exceptions import RedisError

from core.redis import sync_client

logger = logging.getLogger(__name__)


def pending_key(user_id: int) -> str:
    return f"ws:pending:{user_id}"


def remember_on_commit(waiting: Iterable[tuple[int, int]]) -> None:
    """`waiting` holds (receiver_id, message_id) pairs of newly stored messages."""
    _on_commit(waiting, lambda pipe, key, ids: pipe.zadd(key, {str(message_id): message_id for message_id in ids}))


def forget_on_commit(delivered: Iterable[tuple[int, int]]) -> None:
    """`delivered` holds (receiver_id, message_id) pairs that are no longer pending."""
    _on_commit(delivered, lambda pipe, key, ids: pipe.zrem(key, *ids))


KeyUpdate = Callable[[Pipeline, str, list[int]], object]


def _on_commit(pairs: Iterable[tuple[int, int]], update: KeyUpdate) -> None:
    by_receiver: dict[int, list[int]] = {}
    for receiver_id, message_id in pairs:
        by_receiver.setdefault(receiver_id, []).append(message_id)
    if by_receiver:
        transaction.on_commit(lambda: _update_keys(by_receiver, update))


def _update_keys(by_receiver: dict[int, list[int]], update: KeyUpdate) -> None:
    """Every receiver's key in one round trip."""
    try:
        pipeline = sync_client().pipeline(transaction=False)
        for receiver_id, message_ids in by_receiver.items():
            update(pipeline, pending_key(receiver_id), message_ids)
        pipeline.execute()
    except RedisError as error:
        logger.warning("ws:pending cache not updated (%s); the table is unaffected", error)
