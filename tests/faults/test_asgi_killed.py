"""`kill -9` of an ASGI server process: its clients reconnect to another one and lose nothing."""
from __future__ import annotations

import asyncio

import pytest

from chat.models import ChatMessage
from tests.faults.clients import ChatClient, wait_for
from tests.faults.conftest import stored_sends

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

MESSAGES = 100
KILL_AFTER = 40


async def test_asgi_process_killed(fault_stack, make_user):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    fault_stack.worker()
    doomed, survivor = fault_stack.server("asgi-doomed"), fault_stack.server("asgi-survivor")
    alice_client, bob_client = await ChatClient.open(alice, doomed), await ChatClient.open(bob, doomed)
    carol_client = await ChatClient.open(carol, survivor)

    for number in range(MESSAGES):
        if number == KILL_AFTER:
            doomed.kill()
        await alice_client.send(receiver_id=bob.id, text=f"from alice {number}", temp_id=f"a{number}")
        await carol_client.send(receiver_id=bob.id, text=f"from carol {number}", temp_id=f"c{number}")
        await asyncio.sleep(0.02)
    assert alice_client.socket.close_code is not None and bob_client.socket.close_code is not None

    await bob_client.reconnect(survivor)
    await asyncio.gather(alice_client.deliver_everything(timeout=120, servers=[doomed, survivor]),
                         carol_client.deliver_everything(timeout=120))

    for user, client in ((alice, alice_client), (carol, carol_client)):
        stored = stored_sends(user.id)
        assert len(stored) == MESSAGES
        assert {message.temp_id: message.id for message in stored} == client.acknowledged()
    everything = set(alice_client.acknowledged().values()) | set(carol_client.acknowledged().values())
    await wait_for(lambda: bob_client.received_ids() >= everything, timeout=60,
                   what="Bob to have every message on the surviving server")
    await wait_for(lambda: not ChatMessage.objects.filter(receiver_id=bob.id, delivered_at__isnull=True).exists(),
                   timeout=60, what="every message to be marked delivered")
    print(f"\nasgi kill: alice re-sent {alice_client.resends}, carol re-sent {carol_client.resends}; "
          f"Bob has all {len(everything)} messages; lost 0, stored twice 0")
    for client in (alice_client, bob_client, carol_client):
        await client.close()
