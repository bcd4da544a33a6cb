"""The chat REST API against a real server and worker: shapes, pagination, access."""
from __future__ import annotations

import pytest
import redis
from django.conf import settings

from chat.models import ChatMessage, Conversation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"
MESSAGE_FIELDS = {
    "id", "conversation_id", "sender", "sender_id", "sender_name", "sender_avatar", "receiver", "receiver_id",
    "receiver_name", "message", "attachment", "attachment_type", "is_read", "read_at", "delivered_at", "timestamp",
    "temp_id",
}


async def test_a_rest_send_is_stored_and_reaches_the_receivers_socket(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    bob_ws = await ws(bob)

    response = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "from REST 🚀", "temp_id": "rest-1"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= MESSAGE_FIELDS
    assert body["message"] == "from REST 🚀" and body["temp_id"] == "rest-1" and body["sender_name"] == "Alice"
    frame = await bob_ws.expect("message")
    assert frame["id"] == body["id"]
    assert ChatMessage.objects.filter(pk=body["id"]).exists()


def test_a_rest_sends_text_does_not_stay_in_the_result_backend(stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    response = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "a private remark"})
    assert response.status_code == 201, response.text

    backend = redis.Redis.from_url(settings.CELERY_RESULT_BACKEND)
    stored = [backend.get(key) for key in backend.scan_iter("celery-task-meta-*")]
    assert not [value for value in stored if b"a private remark" in value]


def test_rest_send_errors(stack, make_user):
    alice = make_user()
    client = alice.rest(stack)

    missing = client.post(API, {"message": "to nobody"})
    unknown = client.post(API, {"receiver_id": 987654321, "message": "hello?"})
    wrong_type = client.post(API, {"receiver_id": "abc", "message": "x"})
    empty = client.post(API, {"receiver_id": alice.id + 1000000, "message": ""})
    not_json = client.session.post(stack.http_url + API, data="{not json", headers={"Content-Type": "application/json"})

    assert missing.status_code == 400 and "receiver_id" in missing.json()
    assert unknown.status_code == 404 and unknown.json() == {"error": "Receiver not found", "code": "not_found"}
    assert wrong_type.status_code == 400
    assert empty.status_code == 400
    assert not_json.status_code == 400


def test_every_endpoint_requires_authentication(stack, make_user):
    anonymous = make_user().rest(stack)
    anonymous.session.headers.pop("Authorization")
    for path in ["", "conversations/", "conversation/1/", "unread-count/", "online-users/"]:
        response = anonymous.get(API + path)
        assert response.status_code == 401 and "detail" in response.json(), path
    assert anonymous.post(API + "mark-read/", {"sender_id": 1}).status_code == 401


def test_bearer_tokens_are_accepted(stack, make_user):
    alice = make_user()
    client = alice.rest(stack)
    client.session.headers["Authorization"] = f"Bearer {alice.token}"
    assert client.get(API + "conversations/").status_code == 200


def test_a_message_is_changed_only_by_the_documented_calls(stack, make_user):
    """PATCH and DELETE (tests/chat/test_messaging_features.py); no PUT, and no PATCH without text."""
    alice, bob = make_user(), make_user()
    sent = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "as sent"}).json()
    assert alice.rest(stack).session.put(f"{stack.http_url}{API}{sent['id']}/", json={"message": "x"}).status_code == 405
    response = alice.rest(stack).patch(f"{API}{sent['id']}/", {})
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert ChatMessage.objects.get(pk=sent["id"]).message == "as sent"


def send_many(stack, sender, receiver, count: int) -> list[int]:
    client = sender.rest(stack)
    return [client.post(API, {"receiver_id": receiver.id, "message": f"n{n}", "temp_id": f"h{n}"}).json()["id"]
            for n in range(count)]


def test_cursor_pagination_returns_every_message_once_newest_first(stack, make_user):
    alice, bob = make_user(), make_user()
    sent = send_many(stack, alice, bob, 12)
    client = bob.rest(stack)

    seen, before_id, pages = [], None, 0
    while True:
        params = {"limit": 5} | ({"before_id": before_id} if before_id else {})
        page = client.get(f"{API}conversation/{alice.id}/", params=params).json()
        seen += [m["id"] for m in page["messages"]]
        pages += 1
        if not page["has_more"]:
            break
        before_id = page["messages"][-1]["id"]

    assert seen == sorted(sent, reverse=True) and pages == 3
    assert page["other_user"]["id"] == alice.id and page["other_user"]["is_online"] is False
    assert page["conversation_id"] == Conversation.objects.get().pk


def test_history_offset_and_limits(stack, make_user):
    alice, bob = make_user(), make_user()
    sent = send_many(stack, alice, bob, 4)
    client = alice.rest(stack)

    page = client.get(f"{API}conversation/{bob.id}/", params={"limit": 2, "offset": 1}).json()

    assert [m["id"] for m in page["messages"]] == sorted(sent, reverse=True)[1:3] and page["has_more"]
    assert client.get(f"{API}conversation/{bob.id}/", params={"limit": 101}).status_code == 400
    assert client.get(f"{API}conversation/{bob.id}/", params={"before_id": "x"}).status_code == 400


def test_history_with_an_unknown_user_is_404_and_a_get_creates_nothing(stack, make_user):
    alice, carol = make_user(), make_user()
    client = alice.rest(stack)

    assert client.get(f"{API}conversation/987654321/").json() == {"error": "User not found", "code": "not_found"}
    empty = client.get(f"{API}conversation/{carol.id}/").json()
    assert empty == {"conversation_id": None, "messages": [], "other_user": empty["other_user"], "has_more": False}
    assert not Conversation.objects.exists()


async def test_a_deactivated_colleagues_history_stays_readable_and_searchable_but_cannot_be_sent_to(
        stack, make_user, ws):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    sent = send_many(stack, alice, bob, 2)
    handover = bob.rest(stack).post(API, {"receiver_id": alice.id, "message": "handover notes"}).json()["id"]
    bob.user.is_active = False
    bob.user.save()
    client = alice.rest(stack)

    history = client.get(f"{API}conversation/{bob.id}/")

    assert history.status_code == 200, history.text
    assert [m["id"] for m in history.json()["messages"]] == [handover, *reversed(sent)]
    assert history.json()["other_user"]["id"] == bob.id and history.json()["other_user"]["is_online"] is False
    assert [c["other_user"]["id"] for c in client.get(API + "conversations/").json()] == [bob.id]
    assert [m["id"] for m in client.get(API, params={"search": "handover"}).json()["results"]] == [handover]
    assert client.post(API, {"receiver_id": bob.id, "message": "are you there?"}).status_code == 404
    alice_ws = await ws(alice)
    await alice_ws.send({"receiver_id": bob.id, "message": "are you there?", "temp_id": "gone"})
    assert (await alice_ws.expect("error", lambda f: f["temp_id"] == "gone"))["code"] == "not_found"
    assert ChatMessage.objects.count() == 3
    # Someone who never talked to them finds no such user, as before.
    assert carol.rest(stack).get(f"{API}conversation/{bob.id}/").json() == {"error": "User not found", "code": "not_found"}


def test_conversations_unread_count_and_mark_read(stack, make_user):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    send_many(stack, alice, bob, 3)
    carol.rest(stack).post(API, {"receiver_id": bob.id, "message": "hi from carol"})
    client = bob.rest(stack)

    conversations = client.get(API + "conversations/").json()
    assert [c["other_user"]["id"] for c in conversations] == [carol.id, alice.id]
    newest = conversations[0]
    assert newest["last_message"] == "hi from carol" and newest["last_message_by_me"] is False
    assert newest["unread_count"] == 1 and newest["other_user"]["full_name"] == "Carol"
    assert set(newest) == {"conversation_id", "other_user", "last_message", "last_message_at", "last_message_by_me",
                           "unread_count", "updated_at", "muted", "muted_until"}
    unread = client.get(API + "unread-count/").json()
    assert unread["total_unread"] == 4
    assert {(c["other_user_id"], c["unread_count"]) for c in unread["conversations"]} == {(alice.id, 3), (carol.id, 1)}

    marked = client.post(API + "mark-read/", {"sender_id": alice.id})

    assert marked.status_code == 200
    assert marked.json()["success"] is True and marked.json()["marked_count"] == 3 and marked.json()["read_at"]
    assert client.get(API + "unread-count/").json()["total_unread"] == 1


@pytest.mark.parametrize("selector", ["conversation_id", "sender_id"])
async def test_mark_read_up_to_an_id_leaves_a_message_that_arrived_after_it_unread(stack, make_user, ws, selector):
    alice, bob = make_user(), make_user()
    bob_ws = await ws(bob)
    shown = send_many(stack, alice, bob, 2)
    late = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "not seen yet"}).json()["id"]
    conversation_id = ChatMessage.objects.get(pk=late).conversation_id
    client = bob.rest(stack)
    value = {"conversation_id": conversation_id, "sender_id": alice.id}[selector]

    marked = client.post(API + "mark-read/", {selector: value, "up_to_id": shown[-1]})

    assert marked.status_code == 200, marked.text
    assert marked.json()["marked_count"] == 2
    assert client.get(API + "unread-count/").json()["total_unread"] == 1
    assert [c["unread_count"] for c in client.get(API + "conversations/").json()] == [1]
    assert list(ChatMessage.objects.filter(receiver_id=bob.id, is_read=False).values_list("id", flat=True)) == [late]
    await bob_ws.expect("unread_count", lambda f: f["unread_count"] == 1 and f["total_unread"] == 1)


def test_mark_read_needs_exactly_one_selector(stack, make_user):
    client = make_user().rest(stack)
    for body in ({}, {"sender_id": 1, "conversation_id": 2}, {"message_ids": "1"}, {"message_ids": [0]},
                 {"up_to_id": 5}, {"message_ids": [1], "up_to_id": 5}, {"sender_id": 1, "up_to_id": "x"},
                 {"sender_id": 1, "up_to_id": 0}):
        response = client.post(API + "mark-read/", body)
        assert response.status_code == 400, body


def test_a_third_user_can_neither_read_nor_mark_someone_elses_conversation(stack, make_user):
    alice, bob, mallory = make_user(), make_user(), make_user()
    sent = send_many(stack, alice, bob, 2)
    conversation_id = ChatMessage.objects.get(pk=sent[0]).conversation_id
    client = mallory.rest(stack)

    assert client.post(API + "mark-read/", {"conversation_id": conversation_id}).status_code == 404
    assert client.post(API + "mark-read/", {"message_ids": sent}).json()["marked_count"] == 0
    assert client.post(API + "mark-read/", {"sender_id": alice.id}).json()["marked_count"] == 0
    assert client.get(API + "conversations/").json() == []
    assert client.get(API, params={"conversation": conversation_id}).json()["results"] == []
    assert client.get(f"{API}conversation/{alice.id}/").json()["messages"] == []
    assert ChatMessage.objects.filter(is_read=True).count() == 0


def test_message_list_filters(stack, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    send_many(stack, alice, bob, 2)
    carol.rest(stack).post(API, {"receiver_id": alice.id, "message": "for alice"})
    client = alice.rest(stack)

    everything = client.get(API).json()["results"]
    from_carol = client.get(API, params={"sender": carol.id}).json()["results"]
    unread_to_me = client.get(API, params={"receiver": alice.id, "is_read": "false"}).json()["results"]

    assert len(everything) == 3 and [m["message"] for m in from_carol] == ["for alice"]
    assert [m["message"] for m in unread_to_me] == ["for alice"]
    assert client.get(API, params={"since": "not-a-date"}).status_code == 400


def test_login_and_logout(stack, make_user):
    alice = make_user()
    anonymous = make_user().rest(stack)
    anonymous.session.headers.pop("Authorization")

    bad = anonymous.post("/api/v1/auth/login/", {"username": alice.user.username, "password": "wrong"})
    good = anonymous.post("/api/v1/auth/login/", {"username": alice.user.username, "password": f"pw-{alice.user.username}"})

    assert bad.status_code == 400 and bad.json()["error"] == "Invalid credentials"
    assert good.status_code == 200
    assert good.json()["token"] == good.json()["key"] == alice.token
    assert good.json()["user"] == {"id": alice.id, "username": alice.user.username, "full_name": "Test", "avatar": None}
    assert alice.rest(stack).post("/api/v1/auth/logout/").status_code == 204
    assert alice.rest(stack).get(API + "conversations/").status_code == 401
