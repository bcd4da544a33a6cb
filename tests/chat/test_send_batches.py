"""`chat.services.send_messages`: a batch is the same as its sends one by one, in order."""
from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import ChatMessage, Conversation
from core.errors import ClientError
from realtime.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return [django_user_model.objects.create_user(username=name).pk for name in ("alice", "bob", "carol")]


def new(sender: int, receiver: int, text: str, key: str | None = None) -> services.NewMessage:
    return services.NewMessage(sender_id=sender, receiver_id=receiver, text=text, idempotency_key=key or uuid.uuid4().hex)


def unread(receiver: int, other: int) -> int:
    conversation = Conversation.objects.get(participant1_id=min(receiver, other), participant2_id=max(receiver, other))
    return getattr(conversation, conversation.unread_field_for(receiver))


def test_each_send_gets_its_own_outcome_in_order_and_refusals_store_nothing(people):
    alice, bob, carol = people
    outcomes = services.send_messages(sends=[
        new(alice, bob, "one"),
        new(alice, alice, "to myself"),
        new(alice, 10**9, "to nobody"),
        new(carol, bob, "from carol"),
        new(alice, bob, ""),
        new(bob, alice, "two"),
        new(alice, bob, "three"),
    ])

    assert [type(outcome).__name__ for outcome in outcomes] == [
        "ChatMessage", "ValidationFailed", "NotFound", "ChatMessage", "ValidationFailed", "ChatMessage", "ChatMessage"]
    stored = [outcome for outcome in outcomes if isinstance(outcome, ChatMessage)]
    assert [message.pk for message in stored] == sorted(message.pk for message in stored)
    assert list(ChatMessage.objects.order_by("pk").values_list("message", flat=True)) == [
        "one", "from carol", "two", "three"]
    assert (unread(bob, alice), unread(alice, bob), unread(bob, carol)) == (2, 1, 1)
    conversation = Conversation.objects.get(participant1_id=min(alice, bob), participant2_id=max(alice, bob))
    assert conversation.last_message.message == "three"


def test_a_batch_with_stored_or_repeated_keys_stores_each_key_once(people):
    alice, bob, _ = people
    first, = services.send_messages(sends=[new(alice, bob, "first", key="t:1")])

    outcomes = services.send_messages(sends=[
        new(alice, bob, "first", key="t:1"),
        new(alice, bob, "second", key="t:2"),
        new(alice, bob, "second", key="t:2"),
    ])

    assert not any(isinstance(outcome, ClientError) for outcome in outcomes)
    assert outcomes[0].pk == first.pk and outcomes[1].pk == outcomes[2].pk != first.pk
    assert list(ChatMessage.objects.order_by("pk").values_list("message", flat=True)) == ["first", "second"]
    assert unread(bob, alice) == 2


def test_a_key_repeated_with_another_receiver_or_text_is_a_conflict_and_stores_nothing(people):
    alice, bob, carol = people
    services.send_messages(sends=[new(alice, bob, "first", key="t:1")])

    outcomes = services.send_messages(sends=[
        new(alice, bob, "first, edited", key="t:1"),
        new(alice, carol, "first", key="t:1"),
        new(alice, bob, "second", key="t:2"),
        new(alice, bob, "second, edited", key="t:2"),
    ])

    assert [type(outcome).__name__ for outcome in outcomes] == ["Conflict", "Conflict", "ChatMessage", "Conflict"]
    assert {outcome.code for outcome in outcomes if isinstance(outcome, ClientError)} == {"conflict"}
    assert list(ChatMessage.objects.order_by("pk").values_list("receiver_id", "message")) == [
        (bob, "first"), (bob, "second")]
    assert unread(bob, alice) == 2 and not Conversation.objects.filter(participant2_id=carol).exists()


def test_a_batch_counts_unread_messages_exactly_across_conversations(people):
    alice, bob, carol = people
    services.send_messages(sends=[new(alice, bob, f"a{n}") for n in range(5)] + [new(carol, bob, f"c{n}") for n in range(3)]
                                 + [new(bob, alice, "reply")])

    assert (unread(bob, alice), unread(bob, carol), unread(alice, bob)) == (5, 3, 1)


def test_the_unread_count_frames_carry_each_receivers_total_after_the_batch(people, monkeypatch):
    alice, bob, carol = people
    services.send_messages(sends=[new(carol, bob, "earlier")])
    pushed = []
    monkeypatch.setattr(services, "push_on_commit", lambda pushes: pushed.extend(pushes))

    services.send_messages(sends=[new(alice, bob, "a1"), new(alice, bob, "a2"), new(bob, alice, "b1")])

    counts = [(push.user_id, push.frame["unread_count"], push.frame["total_unread"])
              for push in pushed if push.frame["type"] == "unread_count"]
    assert counts == [(bob, 2, 3), (alice, 1, 1)]


def test_a_batch_records_its_events_in_one_statement(people):
    """The chat stream costs a batch one statement, whatever its size: each message is an event
    for its receiver and its sender, and each receiver's unread count one more. (The receivers
    have no socket here, so each also gets a chat notification, an event of the notification
    stream, recorded with it.)"""
    alice, bob, carol = people
    with CaptureQueriesContext(connection) as queries:
        services.send_messages(sends=[new(alice, bob, "one"), new(carol, bob, "two"), new(alice, carol, "three")])
    assert len([query for query in queries if "event_stream" in query["sql"] and "{chat" in query["sql"]]) == 1
    assert list(Event.objects.filter(user_id=bob, family="chat").order_by("seq").values_list("seq", "frame__type")) == [
        (1, "message"), (2, "message"), (3, "unread_count"), (4, "unread_count")]
    assert list(Event.objects.filter(user_id=alice, family="chat").order_by("seq").values_list("seq", "frame__type")) == [
        (1, "message"), (2, "message")]
