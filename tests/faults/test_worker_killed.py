"""`kill -9` of the Celery worker with 500 messages in flight, then a restart: nothing lost, nothing twice."""
from __future__ import annotations

import asyncio

import pytest

from chat.models import ChatMessage
from tests.faults.clients import ChatClient, wait_for
from tests.faults.conftest import stored_sends

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

MESSAGES = 500


async def test_worker_killed_with_500_messages_in_flight(fault_stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    worker = fault_stack.worker()
    # Small batches, so that the burst is still many tasks (some of them with the dead worker) at the kill.
    server = fault_stack.server(CHAT_SEND_BATCH_SIZE="5")
    sender, receiver = await ChatClient.open(alice, server), await ChatClient.open(bob, server)

    for number in range(MESSAGES):
        await sender.send(receiver_id=bob.id, text=f"message {number} 📦", temp_id=f"m{number}")
    await wait_for(lambda: len(sender.acknowledged()) >= 20, timeout=60, what="the first acknowledgements")
    worker.kill()
    acknowledged_before_kill = sender.acknowledged()
    in_flight = MESSAGES - len(acknowledged_before_kill)
    assert in_flight >= 100, f"only {in_flight} messages were in flight at the kill"

    await asyncio.sleep(1)  # whatever the dead worker had taken stays unacknowledged in the broker
    fault_stack.worker("worker-restarted")
    await sender.deliver_everything(timeout=180, resend_after=20)

    # Acknowledged means stored, under the id the acknowledgement carried, exactly once.
    stored = stored_sends(alice.id)
    acknowledged = sender.acknowledged()
    assert len(stored) == MESSAGES, f"{len(stored)} rows for {MESSAGES} sends"
    assert {message.temp_id for message in stored} == {f"m{number}" for number in range(MESSAGES)}
    assert {message.temp_id: message.id for message in stored} == acknowledged
    assert all(acknowledged[temp_id] == message_id for temp_id, message_id in acknowledged_before_kill.items())
    assert len({frame["id"] for frame in sender.acknowledgements()}) == MESSAGES

    # Delivered: live, or replayed from PostgreSQL when the receiver reconnects.
    await receiver.reconnect()
    await wait_for(lambda: receiver.received_ids() >= set(acknowledged.values()), timeout=60,
                   what="the receiver to have every message")
    await wait_for(lambda: not ChatMessage.objects.filter(sender_id=alice.id, delivered_at__isnull=True).exists(),
                   timeout=60, what="every message to be marked delivered")
    print(f"\nworker kill: {in_flight} in flight at the kill, {sender.resends} re-sends, "
          f"{sender.failures_reported} failures reported, {receiver.received_count() - MESSAGES} duplicate frames "
          f"(de-duplicated by id); lost 0, stored twice 0")
    await sender.close()
    await receiver.close()
