"""A server process's sends on their way to the workers, and the reply that releases a socket's next.

While the workers are busy with this process's earlier batches, new sends wait here and then
leave together as one task (`chat.send_messages`), which costs the workers about what one send
costs. When the workers are idle a send leaves at once, alone: there is no timer window, so
batching adds no latency until there is load to amortise (docs/performance.md).

A socket's sends are stored in the order it sent them: its sends are in at most one batch at a
time, and its next ones leave once each of those was answered (`message_sent` or `error`). Two
worker processes could otherwise commit a socket's burst in any order. Past
SEND_REPLY_TIMEOUT_SECONDS (a worker died holding the batch) the queue moves on; the batch itself
is redelivered by the broker.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from core.errors import ClientError
from realtime.handover import enqueue

logger = logging.getLogger(__name__)

SEND_REPLY_TIMEOUT_SECONDS = 10.0


class SendingSocket(Protocol):
    async def send_error(self, error: ClientError, frame: Any) -> None: ...


InFlightSend = tuple[SendingSocket, str]  # the socket and the send's idempotency key


@dataclass(eq=False)
class Batch:
    unanswered: set[InFlightSend] = field(default_factory=set)
    timeout: asyncio.TimerHandle | None = None
    finished: bool = False


class SendQueue:
    """The sends of one event loop's sockets that the workers have not answered yet."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, task: str) -> None:
        """`task` (a task name) stores a batch: `task(sends=[...])`."""
        self.loop, self.task = loop, task
        self.waiting: dict[SendingSocket, deque[dict]] = {}
        self.in_flight: dict[InFlightSend, Batch] = {}
        self.busy: dict[SendingSocket, set[str]] = {}
        self.batches_in_flight = 0
        self.flush_scheduled = False

    def submit(self, socket: SendingSocket, send: dict) -> None:
        self.waiting.setdefault(socket, deque()).append(send)
        self.schedule_flush()

    def answered(self, socket: SendingSocket, idempotency_key: str) -> None:
        batch = self.in_flight.pop((socket, idempotency_key), None)
        if batch is None:
            return
        self._release(socket, idempotency_key)
        batch.unanswered.discard((socket, idempotency_key))
        if not batch.unanswered:
            self._finish(batch)

    def socket_closed(self, socket: SendingSocket) -> None:
        """A closed socket's waiting sends are stored anyway: accepted is never dropped."""
        for idempotency_key in list(self.busy.get(socket, ())):
            self.answered(socket, idempotency_key)
        queued = list(self.waiting.pop(socket, ()))
        if queued:
            asyncio.ensure_future(self._store_anyway(queued))

    async def _store_anyway(self, sends: list[dict]) -> None:
        try:
            await enqueue(self.task, sends=sends)
        except ClientError:
            logger.warning("%d queued sends of a closed socket could not be enqueued; the client re-sends them",
                           len(sends))

    def schedule_flush(self) -> None:
        # On the next turn of the loop, so that the frames read in this one leave together.
        if not self.flush_scheduled and self.batches_in_flight < settings.CHAT_SEND_BATCHES_IN_FLIGHT:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        while self.batches_in_flight < settings.CHAT_SEND_BATCHES_IN_FLIGHT:
            sends = self._take_ready_sends()
            if not sends:
                return
            self._hand_over(sends)

    def _take_ready_sends(self) -> list[tuple[SendingSocket, dict]]:
        sends: list[tuple[SendingSocket, dict]] = []
        for socket in [socket for socket in self.waiting if socket not in self.busy]:
            queue = self.waiting[socket]
            while queue and len(sends) < settings.CHAT_SEND_BATCH_SIZE:
                sends.append((socket, queue.popleft()))
            if not queue:
                del self.waiting[socket]
            if len(sends) == settings.CHAT_SEND_BATCH_SIZE:
                break
        return sends

    def _hand_over(self, sends: list[tuple[SendingSocket, dict]]) -> None:
        """The batch is in flight from now on, while its publish runs off the event loop: a
        socket's next sends wait for it either way."""
        batch = Batch()
        for socket, send in sends:
            key = send["idempotency_key"]
            batch.unanswered.add((socket, key))
            self.in_flight[(socket, key)] = batch
            self.busy.setdefault(socket, set()).add(key)
        batch.timeout = self.loop.call_later(SEND_REPLY_TIMEOUT_SECONDS, self._give_up_waiting, batch)
        self.batches_in_flight += 1
        asyncio.ensure_future(self._publish(batch, sends))

    async def _publish(self, batch: Batch, sends: list[tuple[SendingSocket, dict]]) -> None:
        try:
            await enqueue(self.task, sends=[send for _, send in sends])
        except ClientError as error:
            # Refused: each socket hears it for each send (it re-sends them), and moves on.
            await asyncio.gather(*(socket.send_error(error, send) for socket, send in sends), return_exceptions=True)
            self._give_up_waiting(batch)

    def _release(self, socket: SendingSocket, idempotency_key: str) -> None:
        keys = self.busy.get(socket)
        if keys is None:
            return
        keys.discard(idempotency_key)
        if not keys:
            del self.busy[socket]
            if socket in self.waiting:
                self.schedule_flush()

    def _give_up_waiting(self, batch: Batch) -> None:
        if batch.finished:
            return
        for socket, idempotency_key in list(batch.unanswered):
            self.in_flight.pop((socket, idempotency_key), None)
            self._release(socket, idempotency_key)
        batch.unanswered.clear()
        self._finish(batch)

    def _finish(self, batch: Batch) -> None:
        batch.finished = True
        if batch.timeout is not None:
            batch.timeout.cancel()
        self.batches_in_flight -= 1
        self.schedule_flush()

