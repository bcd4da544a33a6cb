"""A server process's send queue: batches only under load, a socket's sends in order, nothing dropped."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from core.errors import ClientError
from realtime import replies


@dataclass(eq=False)
class FakeSocket:
    name: str
    errors: list[tuple[str, dict]] = field(default_factory=list)

    async def send_error(self, error: ClientError, send: dict) -> None:
        self.errors.append((error.code, send))


@pytest.fixture
def enqueued(monkeypatch, settings):
    """The batches handed to the workers, as lists of temp_ids; `enqueued.refuse = True` fails the next ones."""
    settings.CHAT_SEND_BATCHES_IN_FLIGHT = 1
    settings.CHAT_SEND_BATCH_SIZE = 3

    class Enqueued(list):
        refuse = False

    batches = Enqueued()

    async def enqueue(task, **kwargs):
        if batches.refuse:
            raise ClientError("Service temporarily unavailable", code="server_error")
        batches.append([send["temp_id"] for send in kwargs["sends"]])

    monkeypatch.setattr(replies, "enqueue", enqueue)
    return batches


def send(socket: FakeSocket, number: int) -> dict:
    temp_id = f"{socket.name}{number}"
    return {"temp_id": temp_id, "idempotency_key": f"t:{temp_id}", "reply_channel": socket.name}


async def turn() -> None:
    """Lets the queue's scheduled flush, and the publish it starts, run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_an_idle_queue_hands_over_a_send_at_once_and_a_busy_one_batches(enqueued):
    queue, alice, bob = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a"), FakeSocket("b")

    queue.submit(alice, send(alice, 1))
    await turn()
    assert enqueued == [["a1"]]

    queue.submit(bob, send(bob, 1))
    queue.submit(bob, send(bob, 2))
    await turn()
    assert enqueued == [["a1"]], "one batch in flight: the next waits for its answers"

    queue.answered(alice, "t:a1")
    await turn()
    assert enqueued == [["a1"], ["b1", "b2"]]


async def test_a_sockets_sends_are_never_in_two_batches_at_once(enqueued, settings):
    settings.CHAT_SEND_BATCHES_IN_FLIGHT = 2
    queue, alice, bob = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a"), FakeSocket("b")

    queue.submit(alice, send(alice, 1))
    await turn()
    queue.submit(alice, send(alice, 2))
    queue.submit(bob, send(bob, 1))
    await turn()
    assert enqueued == [["a1"], ["b1"]], "a2 waits for a1 although a batch slot is free"

    queue.answered(bob, "t:b1")
    await turn()
    assert enqueued == [["a1"], ["b1"]]
    queue.answered(alice, "t:a1")
    await turn()
    assert enqueued == [["a1"], ["b1"], ["a2"]]


async def test_a_batch_holds_at_most_the_batch_size_and_the_rest_follows_in_order(enqueued):
    queue, alice = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a")
    for number in range(1, 6):
        queue.submit(alice, send(alice, number))
    await turn()
    assert enqueued == [["a1", "a2", "a3"]]

    for number in range(1, 4):
        queue.answered(alice, f"t:a{number}")
    await turn()
    assert enqueued == [["a1", "a2", "a3"], ["a4", "a5"]]


async def test_a_repeated_answer_or_an_unknown_key_changes_nothing(enqueued):
    queue, alice = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a")
    queue.submit(alice, send(alice, 1))
    queue.submit(alice, send(alice, 1))  # the client re-sent the same temp_id
    await turn()
    assert enqueued == [["a1", "a1"]]

    queue.answered(alice, "t:unknown")
    queue.answered(alice, "t:a1")
    queue.answered(alice, "t:a1")
    queue.submit(alice, send(alice, 2))
    await turn()
    assert enqueued == [["a1", "a1"], ["a2"]]
    assert queue.batches_in_flight == 1


async def test_a_closed_sockets_waiting_sends_are_still_handed_over_and_free_its_batch(enqueued):
    queue, alice, bob = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a"), FakeSocket("b")
    queue.submit(alice, send(alice, 1))
    await turn()
    queue.submit(alice, send(alice, 2))
    queue.submit(bob, send(bob, 1))

    queue.socket_closed(alice)
    await turn()
    assert enqueued == [["a1"], ["a2"], ["b1"]], "a2 leaves at once, untracked; a1's slot is free for b1"


async def test_an_unanswered_batch_is_reported_to_its_sockets_and_frees_its_slot_after_the_timeout(enqueued,
                                                                                                      monkeypatch):
    monkeypatch.setattr(replies, "SEND_REPLY_TIMEOUT_SECONDS", 0.05)
    queue, alice = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a")
    queue.submit(alice, send(alice, 1))
    queue.submit(alice, send(alice, 2))
    await turn()
    queue.submit(alice, send(alice, 4))
    await turn()
    assert enqueued == [["a1", "a2"]]

    await asyncio.sleep(0.1)
    assert enqueued == [["a1", "a2"], ["a4"]]
    assert [(code, sent["temp_id"]) for code, sent in alice.errors] == [("server_error", "a1"), ("server_error", "a2")]


async def test_when_the_broker_refuses_each_send_gets_an_error_and_nothing_stays_in_flight(enqueued):
    queue, alice = replies.SendQueue(asyncio.get_running_loop(), task="chat.send_messages"), FakeSocket("a")
    enqueued.refuse = True
    queue.submit(alice, send(alice, 1))
    queue.submit(alice, send(alice, 2))
    await turn()
    await turn()
    assert [(code, sent["temp_id"]) for code, sent in alice.errors] == [("server_error", "a1"), ("server_error", "a2")]

    enqueued.refuse = False
    queue.submit(alice, send(alice, 3))
    await turn()
    assert enqueued == [["a3"]]
