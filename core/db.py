"""Database connections are given back as soon as they are not needed; old rows go in bounded batches."""
from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


def release_connection() -> None:
    """Gives this thread's connection back to the pool (or closes it, without a pool) before a
    wait that does not need it; never in the middle of a transaction."""
    if not connection.in_atomic_block:
        connection.close()


def delete_oldest(rows: QuerySet, *, oldest_first_by: str, batch_size: int, max_batches: int) -> int:
    """Deletes `rows`, oldest first, at most `max_batches` batches of `batch_size`: a periodic job's
    share, each batch its own short statement (the next run goes on). Returns how many went."""
    deleted = 0
    for _ in range(max_batches):
        ids = list(rows.order_by(oldest_first_by).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += rows.model.objects.filter(pk__in=ids).delete()[0]
    return deleted
