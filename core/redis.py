"""Shared Redis clients: one pool per process for sync code, one per event loop for async code.

Both give up after the configured timeouts (REDIS_TIMEOUTS), so a Redis that stops answering
fails a call in seconds instead of holding it.
"""
from __future__ import annotations

import asyncio
import functools

import redis
import redis.asyncio as aioredis
from django.conf import settings

_async_clients: dict[tuple[asyncio.AbstractEventLoop, str], aioredis.Redis] = {}


@functools.cache
def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, health_check_interval=30,
                                socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
                                socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS)


def async_client(url: str | None = None) -> aioredis.Redis:
    """The running loop's client of `url` (REDIS_URL by default)."""
    url = url or settings.REDIS_URL
    key = (asyncio.get_running_loop(), url)
    client = _async_clients.get(key)
    if client is None:
        client = aioredis.Redis.from_url(
            url, decode_responses=True, health_check_interval=30, max_connections=1000,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        )
        _async_clients[key] = client
    return client
