"""Database access from the event loop.

Channels runs every `database_sync_to_async` call of a process on one thread, so one socket's
slow query, or its wait for a pooled connection, held up every other socket's connect. Sockets
reach the database through a few threads of their own instead (SOCKET_DATABASE_THREADS); each
call returns its connection to the pool when it ends.
"""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings


@functools.cache
def _threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.SOCKET_DATABASE_THREADS, thread_name_prefix="socket-db")


def socket_database(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`database_sync_to_async`, on the sockets' own threads (a decorator)."""
    return DatabaseSyncToAsync(function, thread_sensitive=False, executor=_threads())
