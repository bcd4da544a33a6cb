"""What a server process batches on its way to the workers: sends, delivery receipts, replays.

Sends. While the workers are busy with this process's earlier batches, new sends wait here and
then leave together as one `chat.send_messages` task, which costs the workers about what one
send costs. When the workers are idle a send leaves at once, alone: there is no timer window, so
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
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings

from core.handover import RequestBatch, enqueue, one_per_event_loop
from core.errors import ClientError
from workers.tasks import chat as chat_tasks

if TYPE_CHECKING:
    from chat.consumers import ChatConsumer

logger = logging.getLogger(__name__)

SEND_REPLY_TIMEOUT_SECONDS = 10.0

DELIVERY_RECEIPT_WINDOW_SECONDS = 0.02
PENDING_REPLAY_WINDOW_SECONDS = 0.05

InFlightSend = tuple["ChatConsumer", str]  # the socket and the send's idempotency key


@dataclass(eq=False)
class Batch:
    unanswered: set[InFlightSend] = field(default_factory=set)
    timeout: asyncio.TimerHandle | None = None
    finished: bool = False


class SendQueue:
    """The sends of one event loop's sockets that the workers have not answered yet."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[ChatConsumer, deque[dict]] = {}
        self.in_flight: dict[InFlightSend, Batch] = {}
        self.busy: dict[ChatConsumer, set[str]] = {}
        self.batches_in_flight = 0
        self.flush_scheduled = False

    def submit(self, socket: ChatConsumer, send: dict) -> None:
        self.waiting.setdefault(socket, deque()).append(send)
        self.schedule_flush()

    def answered(self, socket: ChatConsumer, idempotency_key: str) -> None:
        batch = self.in_flight.pop((socket, idempotency_key), None)
        if batch is None:
            return
        self._release(socket, idempotency_key)
        batch.unanswered.discard((socket, idempotency_key))
        if not batch.unanswered:
            self._finish(batch)

    def socket_closed(self, socket: ChatConsumer) -> None:
        """A closed socket's waiting sends are stored anyway: accepted is never dropped."""
        for idempotency_key in list(self.busy.get(socket, ())):
            self.answered(socket, idempotency_key)
        queued = list(self.waiting.pop(socket, ()))
        if queued:
            asyncio.ensure_future(self._store_anyway(queued))

    async def _store_anyway(self, sends: list[dict]) -> None:
        try:
            await enqueue(chat_tasks.send_messages, sends=sends)
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

    def _take_ready_sends(self) -> list[tuple[ChatConsumer, dict]]:
        sends: list[tuple[ChatConsumer, dict]] = []
        for socket in [socket for socket in self.waiting if socket not in self.busy]:
            queue = self.waiting[socket]
            while queue and len(sends) < settings.CHAT_SEND_BATCH_SIZE:
                sends.append((socket, queue.popleft()))
            if not queue:
                del self.waiting[socket]
            if len(sends) == settings.CHAT_SEND_BATCH_SIZE:
                break
        return sends

    def _hand_over(self, sends: list[tuple[ChatConsumer, dict]]) -> None:
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

    async def _publish(self, batch: Batch, sends: list[tuple[ChatConsumer, dict]]) -> None:
        try:
            await enqueue(chat_tasks.send_messages, sends=[send for _, send in sends])
        except ClientError as error:
            # Refused: each socket hears it for each send (it re-sends them), and moves on.
            await asyncio.gather(*(socket.send_error(error, send) for socket, send in sends), return_exceptions=True)
            self._give_up_waiting(batch)

    def _release(self, socket: ChatConsumer, idempotency_key: str) -> None:
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


send_queue = one_per_event_loop(SendQueue)


# Receipts of messages that reach this process's sockets within this window are acknowledged in
# one task, for every receiver at once: one task per message doubled the workers' task count
# (docs/performance.md). The window only delays the sender's delivered tick. A refused batch
# leaves the rows undelivered, so the receivers get them again from the pending replay.
delivery_receipts = one_per_event_loop(
    partial(RequestBatch, task=chat_tasks.mark_delivered_many, window=DELIVERY_RECEIPT_WINDOW_SECONDS))

# Every new socket's replay of what it missed, gathered like the receipts. A socket whose replay
# the broker refused is closed with 1013, so that it reconnects rather than miss its messages.
pending_replays = one_per_event_loop(
    partial(RequestBatch, task=chat_tasks.deliver_pending_many, window=PENDING_REPLAY_WINDOW_SECONDS))
