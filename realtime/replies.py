"""The reply protocol of socket sends, in one place.

1. A socket's sends are stored in the order it sent them: its sends are in at most one batch at a
   time, and its next ones leave once each of those was answered. (Two worker processes could
   otherwise commit a socket's burst in any order.)
2. An answer is a frame pushed to the sending socket with `reply_to` set to the send's
   idempotency key: `message_sent` (stored, or stored before: `confirmation`), or `error`
   (refused: `refusal`; given up after the task's retries: `gave_up`).
3. The worker answers every send of a batch exactly once: the service confirms each stored send
   when its transaction commits, the task refuses the others, and a task that fails for good
   gives up on all of them (`workers.tasks.base.ReliableTask.on_failure`).
4. An answer that never comes (a worker died holding the batch, a path that forgot to answer)
   does not stall the socket silently: after SEND_REPLY_TIMEOUT_SECONDS the socket is told
   (`server_error` with the `temp_id`, so the client re-sends; re-sending is idempotent), a
   warning is logged, and the queue moves on. The broker redelivers the batch itself.

`SendQueue` is the socket side. While the workers are busy with this process's earlier batches,
new sends wait in it and then leave together as one task (`chat.send_messages`), which costs the
workers about what one send costs. When the workers are idle a send leaves at once, alone: there is
no timer window, so batching adds no latency until there is load to amortise (docs/performance.md).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from core import tracing
from core.errors import ClientError
from realtime import frames
from realtime.fanout import Push, push_now
from realtime.handover import enqueue

logger = logging.getLogger(__name__)

SEND_REPLY_TIMEOUT_SECONDS = 10.0
GAVE_UP = "The request could not be completed; send it again"
NO_ANSWER = "The server did not answer in time; send it again"


# The worker's side: the answers (rule 2) -----------------------------------------------------

def confirmation(frame: frames.Frame, *, reply_channel: str | None, idempotency_key: str, sender_id: int) -> Push:
    """A stored message to its sender's sockets; the sending socket sees it as `message_sent`."""
    return Push(frame=frame, user_id=sender_id, reply_channel=reply_channel, reply_type="message_sent",
                reply_to=idempotency_key)


def confirmation_of_retry(message_sent: frames.Frame, *, reply_channel: str, idempotency_key: str) -> Push:
    """A send stored before (a retry of the same `temp_id`): its socket alone hears it again."""
    return Push(frame=message_sent, channel=reply_channel, reply_to=idempotency_key)


def refusal(error: ClientError, *, reply_channel: str, temp_id: str | None, idempotency_key: str | None) -> Push:
    return Push(frame=frames.error(error.error, code=error.code, temp_id=temp_id), channel=reply_channel,
                reply_to=idempotency_key)


def refused(error: ClientError, *, reply_channel: str | None) -> dict[str, Any]:
    """A request a worker refused: the asking socket (if a socket asked) hears an `error` frame
    now; the returned dict is what a REST view that waited for the task reads."""
    if reply_channel:
        push_now([Push(frame=frames.error(error.error, code=error.code), channel=reply_channel)])
    return error.as_dict()


def gave_up(request: dict[str, Any]) -> Push:
    """What a socket hears of a request (a send, or any request with a `reply_channel`) that the
    workers gave up on after their retries."""
    return refusal(ClientError(GAVE_UP, code="server_error"), reply_channel=request["reply_channel"],
                   temp_id=request.get("temp_id"), idempotency_key=request.get("idempotency_key"))


# The socket's side (rules 1 and 4) -------------------------------------------------------------


class SendingSocket(Protocol):
    async def send_error(self, error: ClientError, frame: Any) -> None: ...


InFlightSend = tuple[SendingSocket, str]  # the socket and the send's idempotency key


@dataclass(eq=False)
class Batch:
    unanswered: dict[InFlightSend, dict] = field(default_factory=dict)  # -> the send
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
        batch.unanswered.pop((socket, idempotency_key), None)
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
            batch.unanswered[(socket, key)] = send
            self.in_flight[(socket, key)] = batch
            self.busy.setdefault(socket, set()).add(key)
        batch.timeout = self.loop.call_later(SEND_REPLY_TIMEOUT_SECONDS, self._no_answer_in_time, batch)
        self.batches_in_flight += 1
        asyncio.ensure_future(self._publish(batch, sends))

    async def _publish(self, batch: Batch, sends: list[tuple[SendingSocket, dict]]) -> None:
        try:
            # In the first send's trace, not in that of whatever freed the slot (an earlier answer).
            with tracing.continuing(sends[0][1].get("trace")):
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

    def _no_answer_in_time(self, batch: Batch) -> None:
        """Rule 4: the sockets hear it, the log says it, and the queue moves on."""
        if batch.finished:
            return
        logger.warning("%d sends had no answer within %ss; their sockets were told to send them again",
                       len(batch.unanswered), SEND_REPLY_TIMEOUT_SECONDS)
        error = ClientError(NO_ANSWER, code="server_error")
        for (socket, _), send in batch.unanswered.items():
            asyncio.ensure_future(socket.send_error(error, send))
        self._give_up_waiting(batch)

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

