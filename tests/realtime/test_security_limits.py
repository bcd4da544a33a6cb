"""Limits that hold per user across SEVERAL server processes (Redis-backed): the socket rate limits
(docs/websocket-api.md), REST throttling of every action (docs/rest-api.md), and the per-user
connection cap."""
from __future__ import annotations

import itertools
import time

import pytest
import requests

from chat.models import ChatMessage
from tests.faults.clients import wait_for
from tests.settings import SLOT
from tests.support.stack import AsgiServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MESSAGES_PER_HOUR = 10
TYPING_PER_HOUR = 3
REST_SENDS_PER_HOUR = 5
LOGINS_PER_HOUR = 5
REST_ACTIONS_PER_HOUR = 3
REST_REQUESTS_PER_HOUR = 40
CONNECTION_CAP = 3
LIMITS = {
    "WS_RATE_MESSAGE": f"{MESSAGES_PER_HOUR}/hour",
    "WS_RATE_TYPING": f"{TYPING_PER_HOUR}/hour",
    "THROTTLE_CHAT_SEND": f"{REST_SENDS_PER_HOUR}/hour",
    "THROTTLE_LOGIN": f"{LOGINS_PER_HOUR}/hour",
    "THROTTLE_CHAT_TYPING": f"{REST_ACTIONS_PER_HOUR}/hour",
    "THROTTLE_CHAT_RECEIPTS": f"{REST_ACTIONS_PER_HOUR}/hour",
    "THROTTLE_NOTIFICATION_ACTIONS": f"{REST_ACTIONS_PER_HOUR}/hour",
    "THROTTLE_USER": f"{REST_REQUESTS_PER_HOUR}/hour",
    "WS_MAX_CONNECTIONS_PER_USER": str(CONNECTION_CAP),
}


@pytest.fixture(scope="module")
def two_servers(stack):
    """Two server processes with tight limits, beside the stack's worker and on the same Redis."""
    servers = [AsgiServer(f"security{SLOT}-{name}", **LIMITS) for name in ("a", "b")]
    yield servers
    for server in servers:
        server.stop()


def hour() -> int:
    return int(time.time() // 3600)


def replies_on(socket) -> list[dict]:
    return [frame for frame in socket.frames if frame["type"] in {"message_sent", "error"}]


async def test_socket_message_rate_is_limited_per_user_across_two_processes(two_servers, make_user, ws):
    alice, bob = make_user(), make_user()
    first_hour = hour()
    on_a = await ws(alice, base_url=two_servers[0].ws_url)
    on_b = await ws(alice, base_url=two_servers[1].ws_url)

    for number in range(15):
        for label, socket in (("a", on_a), ("b", on_b)):
            await socket.send({"receiver_id": bob.id, "message": f"{label}{number}", "temp_id": f"{label}{number}"})
    await wait_for(lambda: len(replies_on(on_a)) == 15 and len(replies_on(on_b)) == 15, timeout=30,
                   what="a reply to every message")
    replies = replies_on(on_a) + replies_on(on_b)

    accepted = [reply for reply in replies if reply["type"] == "message_sent"]
    limited = [reply for reply in replies if reply["type"] == "error"]
    assert {reply["code"] for reply in limited} == {"rate_limited"}
    assert all(reply["temp_id"] for reply in limited)
    if hour() == first_hour:  # a fixed window: across an hour boundary two windows count
        assert len(accepted) == MESSAGES_PER_HOUR and len(limited) == 30 - MESSAGES_PER_HOUR
    assert ChatMessage.objects.filter(sender_id=alice.id).count() == len(accepted)
    await on_a.request({"type": "ping"}, "pong")


async def test_excess_typing_frames_are_dropped_silently_across_two_processes(two_servers, make_user, ws):
    alice, bob = make_user(), make_user()
    first_hour = hour()
    bob_ws = await ws(bob, base_url=two_servers[0].ws_url)
    sockets = [await ws(alice, base_url=server.ws_url) for server in two_servers]

    for socket in itertools.islice(itertools.cycle(sockets), 8):
        await socket.send({"type": "typing", "receiver_id": bob.id, "is_typing": True})
    for _ in range(TYPING_PER_HOUR):
        await bob_ws.expect("typing_indicator", lambda f: f["is_typing"])
    for socket in sockets:  # every typing frame was handled before the ping that follows it
        await socket.request({"type": "ping"}, "pong")

    if hour() == first_hour:
        await bob_ws.expect_none("typing_indicator", lambda f: f["is_typing"], within=1.0)
    assert not [frame for socket in sockets for frame in socket.frames if frame["type"] == "error"]


def test_rest_send_is_throttled_per_user_across_two_processes(two_servers, make_user):
    alice, bob = make_user(), make_user()
    first_hour = hour()
    statuses = []
    for number in range(REST_SENDS_PER_HOUR + 2):
        server = two_servers[number % 2]
        response = requests.post(f"{server.http_url}/api/v1/communication/chats/", timeout=30,
                                 headers={"Authorization": f"Token {alice.token}"},
                                 json={"receiver_id": bob.id, "message": f"rest {number}", "temp_id": f"r{number}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["code"] == "rate_limited" and "Retry-After" in response.headers

    if hour() == first_hour:
        assert statuses == [201] * REST_SENDS_PER_HOUR + [429, 429]
    assert ChatMessage.objects.filter(sender_id=alice.id).count() == statuses.count(201)


@pytest.mark.parametrize("method, path, body", [
    ("post", "chats/typing/", lambda other: {"receiver_id": other.id, "is_typing": False}),
    ("post", "chats/mark-read/", lambda other: {"sender_id": other.id}),
    ("post", "notifications/mark-all-read/", lambda other: {}),
    ("delete", "notifications/dismiss-all/", lambda other: None),
])
def test_rest_actions_are_throttled_per_user_across_two_processes(two_servers, make_user, method, path, body):
    alice, bob = make_user(), make_user()
    first_hour = hour()
    statuses = []
    for number in range(REST_ACTIONS_PER_HOUR + 2):
        server = two_servers[number % 2]
        response = requests.request(method, f"{server.http_url}/api/v1/communication/{path}", timeout=30,
                                    headers={"Authorization": f"Token {alice.token}"}, json=body(bob))
        statuses.append(response.status_code)

    if hour() == first_hour:
        assert all(200 <= status < 300 for status in statuses[:REST_ACTIONS_PER_HOUR]), statuses
        assert statuses[REST_ACTIONS_PER_HOUR:] == [429, 429]
    # Another user's budget is their own.
    response = requests.request(method, f"{two_servers[0].http_url}/api/v1/communication/{path}", timeout=30,
                                headers={"Authorization": f"Token {bob.token}"}, json=body(alice))
    assert response.status_code < 300


def test_every_rest_request_counts_against_the_users_budget(two_servers, make_user):
    alice = make_user()
    first_hour = hour()
    statuses = [
        requests.get(f"{two_servers[number % 2].http_url}/api/v1/communication/chats/unread-count/", timeout=30,
                     headers={"Authorization": f"Token {alice.token}"}).status_code
        for number in range(REST_REQUESTS_PER_HOUR + 1)
    ]
    if hour() == first_hour:
        assert statuses == [200] * REST_REQUESTS_PER_HOUR + [429]


def test_login_is_throttled_across_two_processes_and_forwarded_for_cannot_dodge_it(two_servers, make_user):
    user = make_user()
    statuses = []
    for number in range(LOGINS_PER_HOUR + 2):
        server = two_servers[number % 2]
        # As behind a trusted proxy (this test's address) that appends the real client's address to
        # what the client claimed: a made-up X-Forwarded-For must not look like a new address each time.
        response = requests.post(f"{server.http_url}/api/v1/auth/login/", timeout=30,
                                 headers={"X-Forwarded-For": f"203.0.113.{number}, 198.51.100.7"},
                                 json={"username": user.user.username, "password": "wrong"})
        statuses.append(response.status_code)

    assert statuses == [400] * LOGINS_PER_HOUR + [429, 429]


async def test_connection_cap_closes_the_oldest_with_4029_across_two_processes(two_servers, make_user, ws):
    alice = make_user()
    sockets = []
    for number in range(CONNECTION_CAP + 1):
        sockets.append(await ws(alice, base_url=two_servers[number % 2].ws_url))

    assert await sockets[0].wait_closed() == 4029
    for socket in sockets[1:]:
        await socket.request({"type": "ping"}, "pong")
