"""`ws:pending:{user_id}`: the ids of messages waiting for a user (CONTRACT §6).

A cache that operators (and dashboards) can read without touching PostgreSQL. The table stays
the truth: the replay on connect reads `delivered_at IS NULL`, never this set, so a lost or
stale entry costs nothing but an inaccurate number.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from redis.exceptions import RedisError

from core.redis import sync_client

logger = logging.getLogger(__name__)


def pending_key(user_id: int) -> str:
    return f"ws:pending:{user_id}"


def _apply(update) -> None:
    try:
        pipeline = sync_client().pipeline(transaction=False)
        update(pipeline)
        pipeline.execute()
    except RedisError as error:
        logger.warning("ws:pending cache not updated (%s); the table is unaffected", error)


def remember_on_commit(*, receiver_id: int, message_id: int) -> None:
    transaction.on_commit(lambda: _apply(lambda pipe: pipe.zadd(pending_key(receiver_id), {message_id: message_id})))


def forget_on_commit(delivered: Iterable[tuple[int, int]]) -> None:
    """`delivered` holds (receiver_id, message_id) pairs that are no longer pending."""
    by_receiver: dict[int, list[int]] = {}
    for receiver_id, message_id in delivered:
        by_receiver.setdefault(receiver_id, []).append(message_id)
    if by_receiver:
        transaction.on_commit(lambda: _apply(
            lambda pipe: [pipe.zrem(pending_key(receiver_id), *ids) for receiver_id, ids in by_receiver.items()]
        ))
