"""Presence across tabs, socket kinds and server processes, with real processes over real sockets.

At every step the Redis keys, get_online_status, online-users and the conversations list agree.
"""
from __future__ import annotations

import pytest
from django.conf import settings

from core.redis import sync_client
from tests.support.presence import assert_answers, befriend, read_presence, wait_for_presence
from tests.support.stack import AsgiServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Long enough for an offline announcement that should not happen to have happened.
QUIET_SECONDS = settings.PRESENCE_OFFLINE_GRACE_SECONDS + 2


# Announcements go through the worker: generous on a loaded machine.
ANNOUNCE_TIMEOUT = 30


def about(user):
    return lambda frame: frame["user_id"] == user.id


async def test_closing_one_of_two_tabs_keeps_the_user_online_and_tells_no_one(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    bob_ws = await ws(bob)
    redis = sync_client()

    first_tab = await ws(alice)
    came_online = await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT)
    assert came_online["is_online"] is True and came_online["timestamp"].endswith("Z")
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=1)
    assert read_presence(redis, alice.id).announced_online

    second_tab = await ws(alice)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=2)

    await first_tab.close()
    await wait_for_presence(redis, alice.id, sockets=1)
    await bob_ws.expect_none("online_status_changed", within=QUIET_SECONDS)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=1)
    assert (await second_tab.request({"type": "ping"}, "pong"))["timestamp"].endswith("Z")

    await second_tab.close()
    went_offline = await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT)
    assert went_offline["is_online"] is False and went_offline["last_seen"].endswith("Z")
    status = await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=False, sockets=0)
    assert status["last_seen"] <= went_offline["timestamp"]
    assert not read_presence(redis, alice.id).announced_online
    await bob_ws.expect_none("online_status_changed", within=1)


async def test_a_notifications_socket_keeps_its_user_online_like_a_chat_socket(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    bob_ws = await ws(bob)
    redis = sync_client()

    inbox = await ws(alice, "/ws/notifications/")
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True
    chat = await ws(alice)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=2)

    await chat.close()
    await wait_for_presence(redis, alice.id, sockets=1)
    await bob_ws.expect_none("online_status_changed", within=QUIET_SECONDS)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=1)

    await inbox.close()
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is False
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=False, sockets=0)


@pytest.fixture
def second_server(stack):
    server = AsgiServer("asgi-presence-second")
    yield server
    server.stop()


async def test_the_same_user_on_two_server_processes_stays_online_until_both_close(stack, second_server, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    bob_ws = await ws(bob)
    redis = sync_client()

    on_first = await ws(alice)
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True
    on_second = await ws(alice, base_url=second_server.ws_url)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=2)

    await on_first.close()
    await wait_for_presence(redis, alice.id, sockets=1)
    await bob_ws.expect_none("online_status_changed", within=QUIET_SECONDS)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(second_server), user=alice, online=True, sockets=1)

    on_first = await ws(alice)
    await wait_for_presence(redis, alice.id, sockets=2)
    await on_second.close()
    await wait_for_presence(redis, alice.id, sockets=1)
    await bob_ws.expect_none("online_status_changed", within=QUIET_SECONDS)
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(stack), user=alice, online=True, sockets=1)

    await on_first.close()
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is False
    await assert_answers(redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(second_server), user=alice, online=False, sockets=0)


async def test_only_contacts_see_presence(stack, make_user, ws):
    alice, bob, stranger = make_user("Alice"), make_user("Bob"), make_user("Stranger")
    befriend(alice, bob)
    stranger_ws, bob_ws = await ws(stranger), await ws(bob)

    await ws(alice)
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True
    await stranger_ws.expect_none("online_status_changed", within=1)

    status = await stranger_ws.request({"type": "get_online_status", "user_id": alice.id}, "online_status")
    assert status["is_online"] is False and status["last_seen"] is None
    assert stranger.rest(stack).get("/api/v1/communication/chats/online-users/").json() == {"online_users": []}
    history = stranger.rest(stack).get(f"/api/v1/communication/chats/conversation/{alice.id}/").json()
    assert history["other_user"]["is_online"] is False
    assert bob.rest(stack).get("/api/v1/communication/chats/online-users/").json() == {"online_users": [alice.id]}
    history = bob.rest(stack).get(f"/api/v1/communication/chats/conversation/{alice.id}/").json()
    assert history["other_user"]["is_online"] is True


async def test_asking_for_ones_own_status_answers_online(stack, make_user, ws):
    alice = make_user("Alice")
    alice_ws = await ws(alice)
    status = await alice_ws.request({"type": "get_online_status", "user_id": str(alice.id)}, "online_status")
    assert status["user_id"] == alice.id and status["is_online"] is True


@pytest.mark.parametrize(("user_id", "code"), [
    ("abc", "validation_error"), (-1, "validation_error"), (True, "validation_error"), ([1], "validation_error"),
    (987654321, "not_found"),
])
async def test_bad_get_online_status_frames_get_an_error_and_the_socket_keeps_working(stack, make_user, ws, user_id, code):
    alice = make_user("Alice")
    alice_ws = await ws(alice)
    error = await alice_ws.request({"type": "get_online_status", "user_id": user_id}, "error")
    assert error["code"] == code
    assert (await alice_ws.request({"type": "ping"}, "pong"))["timestamp"].endswith("Z")


async def test_a_first_message_tells_both_new_contacts_that_the_other_is_online(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    await alice_ws.send({"receiver_id": bob.id, "message": "hello, stranger"})

    assert (await bob_ws.expect("online_status_changed", lambda f: f["user_id"] == alice.id))["is_online"] is True
    assert (await alice_ws.expect("online_status_changed", lambda f: f["user_id"] == bob.id))["is_online"] is True
    await alice_ws.send({"receiver_id": bob.id, "message": "again"})
    await bob_ws.expect("message", lambda f: f["message"] == "again")
    await bob_ws.expect_none("online_status_changed", within=0.5)
