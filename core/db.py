"""Database connections are given back as soon as they are not needed."""
from __future__ import annotations

from django.db import connection


def release_connection() -> None:
    """Gives this thread's connection back to the pool (or closes it, without a pool) before a
    wait that does not need it; never in the middle of a transaction."""
    if not connection.in_atomic_block:
        connection.close()
