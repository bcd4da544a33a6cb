"""The reply protocol of realtime/replies.py as a whole loop: sockets' send queue, the real send
task and services on the test database, and a fake channel layer that carries each pushed frame
back to its socket. No server, worker or Redis: every step of the loop is the project's own code
but the transport."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async

from chat.models import ChatMessage
from chat.services import idempotency_key_for
from core.errors import ClientError
from realtime import replies
from realtime.fanout import Push
from tests.factories import make_user
from workers.tasks import chat as chat_tasks

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(eq=False)
class FakeSocket:
    """What a chat socket does with the frames pushed to it: writes them, and hands an answer's
    key to the queue (as `ChatConsumer.after_push` does)."""

    name: str
    queue: replies.SendQueue
    received: list[dict] = field(default_factory=list)

    async def send_error(self, error: ClientError, send: dict) -> None:
        self.received.append({"type": "error", "code": error.code, "temp_id": send.get("temp_id")})

    def deliver(self, push: Push) -> None:
        frame = {**push.frame, "type": push.reply_type or push.frame["type"]} if push.reply_type else push.frame
        self.received.append(frame)
        if push.reply_to is not None:
            self.queue.answered(self, push.reply_to)

    def sends(self, user_id: int, receiver_id: int, temp_ids: list[str]) -> list[dict]:
        return [{"sender_id": user_id, "receiver_id": receiver_id, "text": f"text of {temp_id}", "temp_id": temp_id,
                 "idempotency_key": idempotency_key_for(temp_id), "attachment_id": None, "reply_channel": self.name}
                for temp_id in temp_ids]

    def replies(self) -> list[tuple[str, str | None]]:
        return [(frame["type"], frame.get("temp_id")) for frame in self.received
                if frame["type"] in ("message_sent", "error")]


class FakeLayer:
    """Runs each handed-over batch with the real task, then delivers what it pushed to the sockets
    that asked (a push to a user's sockets reaches the sending socket when it is the sender's)."""

    def __init__(self, monkeypatch, *, answer: bool = True) -> None:
        self.sockets: dict[str, FakeSocket] = {}
        self.batches: list[list[str]] = []
        self.answer = answer
        self.published: list[Push] = []
        monkeypatch.setattr(replies, "enqueue", self.enqueue)
        monkeypatch.setattr("realtime.fanout._pipelined_publisher", lambda: self)

    def publish(self, pushes: list[Push]) -> None:
        self.published.extend(pushes)

    async def enqueue(self, task: str, **kwargs) -> None:
        self.batches.append([send["temp_id"] for send in kwargs["sends"]])
        self.published = []
        await sync_to_async(chat_tasks.send_messages)(**kwargs)
        if self.answer:
            for push in self.published:
                channel = push.channel or push.reply_channel
                if channel in self.sockets:
                    self.sockets[channel].deliver(push)


async def settle(queue: replies.SendQueue) -> None:
    """Waits until the queue has nothing in flight (the task runs in a thread) or 5 s passed."""
    for _ in range(100):
        await asyncio.sleep(0.05)
        if not queue.batches_in_flight and not queue.flush_scheduled:
            return


async def test_every_send_is_answered_once_in_order_and_the_next_leave_after_the_answers(monkeypatch, settings):
    settings.CHAT_SEND_BATCHES_IN_FLIGHT = 1
    layer = FakeLayer(monkeypatch)
    queue = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages")
    alice, bob = await sync_to_async(make_user)("Alice"), await sync_to_async(make_user)("Bob")
    socket = layer.sockets["a"] = FakeSocket("a", queue)

    first, *rest = socket.sends(alice.pk, bob.pk, ["m1", "m2", "m3"])
    queue.submit(socket, first)
    await settle(queue)
    for send in rest:
        queue.submit(socket, send)
    refused = {**socket.sends(alice.pk, alice.pk, ["to-myself"])[0]}
    queue.submit(socket, refused)
    await settle(queue)

    assert layer.batches == [["m1"], ["m2", "m3", "to-myself"]], "the next sends left once m1 was answered"
    assert socket.replies() == [("message_sent", "m1"), ("message_sent", "m2"), ("message_sent", "m3"),
                                ("error", "to-myself")]
    stored = await sync_to_async(list)(ChatMessage.objects.filter(sender=alice).order_by("id").values_list("temp_id", flat=True))
    assert stored == ["m1", "m2", "m3"]
    assert not queue.in_flight and not queue.busy and queue.batches_in_flight == 0


async def test_a_worker_that_forgets_to_answer_does_not_stall_the_socket_silently(monkeypatch, settings):
    settings.CHAT_SEND_BATCHES_IN_FLIGHT = 1
    monkeypatch.setattr(replies, "SEND_REPLY_TIMEOUT_SECONDS", 0.2)
    layer = FakeLayer(monkeypatch, answer=False)
    queue = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages")
    alice, bob = await sync_to_async(make_user)("Alice"), await sync_to_async(make_user)("Bob")
    socket = layer.sockets["a"] = FakeSocket("a", queue)

    first, second = socket.sends(alice.pk, bob.pk, ["m1", "m2"])
    queue.submit(socket, first)
    await asyncio.sleep(0.05)
    queue.submit(socket, second)
    await asyncio.sleep(0.05)
    assert layer.batches == [["m1"]], "m2 waits for m1's answer"

    await settle(queue)
    assert ("error", "m1") in socket.replies(), "the socket was told, so the client re-sends m1"
    assert layer.batches == [["m1"], ["m2"]], "and the queue moved on"
