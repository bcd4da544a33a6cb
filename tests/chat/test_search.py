"""`GET chats/`: full-text search in any script, the filters and pagination, only the caller's messages."""
from __future__ import annotations

import pytest
from django.db import connection, transaction

from chat import selectors
from chat.models import ChatMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"

TEXTS = [
    "Hello world",
    "hello again, World!",
    "Привет, мир",
    "你好世界",
    "こんにちは 東京",
    "🎉🎉 party tonight",
    "👍🏽",
    "C++ & Rust | !(x) :* 'quoted' \"double\"",
    "it's O'Reilly's book",
]


def send(stack, sender, receiver, text: str) -> int:
    response = sender.rest(stack).post(API, {"receiver_id": receiver.id, "message": text})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def conversation(stack, make_user):
    """Alice's messages to Bob, and messages between two other people that Alice must never see."""
    alice, bob, carol, dave = make_user("Alice"), make_user("Bob"), make_user("Carol"), make_user("Dave")
    ids = {text: send(stack, alice, bob, text) for text in TEXTS}
    send(stack, carol, dave, "Hello world from elsewhere 🎉 Привет 你好世界")
    return alice, bob, ids


def search(stack, user, query: str, **params) -> list[str]:
    response = user.rest(stack).get(API, params={"search": query, **params})
    assert response.status_code == 200, response.text
    return [message["message"] for message in response.json()["results"]]


SEARCHES = {
    "hello": ["hello again, World!", "Hello world"],
    "HEL": ["hello again, World!", "Hello world"],
    "hello world": ["hello again, World!", "Hello world"],
    "world hello!": ["hello again, World!", "Hello world"],
    "again": ["hello again, World!"],
    "привет": ["Привет, мир"],
    "МИР": ["Привет, мир"],
    "你好世界": ["你好世界"],
    "你好": ["你好世界"],
    "東京": ["こんにちは 東京"],
    "🎉": ["🎉🎉 party tonight"],
    "👍🏽": ["👍🏽"],
    "party 🎉": ["🎉🎉 party tonight"],
    "rust": ["C++ & Rust | !(x) :* 'quoted' \"double\""],
    "o'reilly's": ["it's O'Reilly's book"],
    "nothing-like-this": [],
}

# tsquery operators, quoting, SQL and LIKE wildcards: each must be plain text to the search.
SYNTAX_QUERIES = ["&|!():*'\"", "&", "|", "!", "(", ")", ":*", "'", '"', "\\", "a & b | !c", "x:*", "<->", "%", "_",
                  "'; DROP TABLE chat_message; --", "(hello", "hello)", "hello:*", "hello & | world"]


def test_full_text_search_in_any_script(stack, conversation):
    alice, bob, _ = conversation

    for user in (alice, bob):
        wrong = {query: found for query, expected in SEARCHES.items() if (found := search(stack, user, query)) != expected}
        assert not wrong, wrong


def test_query_syntax_characters_are_just_text(stack, conversation):
    alice, _, _ = conversation
    client = alice.rest(stack)

    failed = {query: response.text for query in SYNTAX_QUERIES
              if (response := client.get(API, params={"search": query})).status_code != 200}

    assert not failed, failed
    assert ChatMessage.objects.count() == len(TEXTS) + 1


def test_the_special_characters_are_found_as_a_substring(stack, conversation):
    alice, _, _ = conversation

    assert search(stack, alice, "& Rust |") == ["C++ & Rust | !(x) :* 'quoted' \"double\""]
    assert search(stack, alice, ":*") == ["C++ & Rust | !(x) :* 'quoted' \"double\""]
    assert search(stack, alice, "%") == [] and search(stack, alice, "_") == []


def test_search_sees_only_the_callers_messages(stack, conversation, make_user):
    alice, _, _ = conversation
    stranger = make_user()

    assert search(stack, alice, "elsewhere") == []
    assert search(stack, stranger, "hello") == []
    assert stranger.rest(stack).get(API).json()["results"] == []


def test_search_combines_with_filters(stack, conversation):
    alice, bob, ids = conversation
    conversation_id = ChatMessage.objects.get(pk=ids["Hello world"]).conversation_id
    assert bob.rest(stack).post(API + "mark-read/", {"message_ids": [ids["Hello world"]]}).status_code == 200

    assert search(stack, bob, "hello", is_read="true") == ["Hello world"]
    assert search(stack, bob, "hello", is_read="false") == ["hello again, World!"]
    assert search(stack, bob, "hello", conversation=conversation_id, sender=alice.id, receiver=bob.id) == [
        "hello again, World!", "Hello world"]
    assert search(stack, bob, "hello", sender=bob.id) == []
    assert search(stack, bob, "hello", has_attachment="true") == []
    assert search(stack, bob, "hello", since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z") == [
        "hello again, World!", "Hello world"]
    assert search(stack, bob, "hello", until="2000-01-01T00:00:00Z") == []


def test_pagination_returns_every_match_once(stack, conversation):
    alice, _, ids = conversation
    client = alice.rest(stack)
    seen: list[int] = []
    page = client.get(API, params={"page_size": 2}).json()
    while True:
        assert len(page["results"]) <= 2
        seen += [message["id"] for message in page["results"]]
        if not page["next"]:
            break
        page = client.session.get(page["next"], timeout=15).json()

    assert seen == sorted(ids.values(), reverse=True)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"search": "x" * 201}, 400),
        ({"search": "nul\x00byte"}, 400),
        ({"conversation": "abc"}, 400),
        ({"conversation": "1.5"}, 400),
        ({"sender": "0"}, 400),
        ({"receiver": str(2**63)}, 400),
        ({"is_read": "maybe"}, 400),
        ({"since": "yesterday"}, 400),
        ({"until": "2024-13-45T99:00:00Z"}, 400),
        ({"page_size": "abc"}, 200),
        ({"cursor": "not-a-cursor"}, 404),
    ],
)
def test_bad_parameters_get_a_clear_error(stack, make_user, params, status):
    response = make_user().rest(stack).get(API, params=params)

    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["error"] and response.json()["code"]


def test_the_search_uses_the_gin_index(conversation):
    """The query's expression must be the index's expression, or PostgreSQL scans every message."""
    messages = selectors.search_messages(ChatMessage.objects.order_by(), "hello")
    sql, params = messages.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A handful of rows would be scanned anyway; the question is whether the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "chat_message_search" in plan, plan
