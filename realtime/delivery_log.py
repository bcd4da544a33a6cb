"""Which sockets a message or a notification was written to, and when: the admin's delivery page
answers "why didn't user X get Y?" with it (docs/operations.md, "The delivery page").

A socket reports its writes with the delivery receipts it already batches (`write_record`), so the
log costs a multi-row INSERT in a task that runs anyway, not a task or a round trip of its own.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from core.db import delete_oldest
from realtime.models import SocketWrite

Kind = Literal["message", "notification"]
CLIENT_MAX_LENGTH = 200


def write_record(*, socket: str, client: str) -> dict[str, Any]:
    """What a socket adds to its receipt request for a write now: where, which client, when."""
    return {"socket": socket, "client": client[:CLIENT_MAX_LENGTH], "written_at": time.time()}


def record(*, kind: Kind, writes: Iterable[tuple[int, int, dict[str, Any]]]) -> None:
    """(user id, object id, request) per write; requests queued before the log existed carry no
    socket and are skipped."""
    SocketWrite.objects.bulk_create([
        SocketWrite(kind=kind, object_id=object_id, user_id=user_id, socket=request["socket"],
                    client=request.get("client", ""), written_at=datetime.fromtimestamp(request["written_at"], UTC))
        for user_id, object_id, request in writes if "socket" in request
    ])


def writes_of(*, kind: Kind, object_id: int) -> list[SocketWrite]:
    return list(SocketWrite.objects.filter(kind=kind, object_id=object_id).order_by("written_at", "id"))


def prune(*, written_before: datetime, batch_size: int, max_batches: int) -> int:
    """Deletes rows older than the retention, oldest first, a bounded number per call."""
    return delete_oldest(SocketWrite.objects.filter(written_at__lt=written_before), oldest_first_by="written_at",
                         batch_size=batch_size, max_batches=max_batches)
