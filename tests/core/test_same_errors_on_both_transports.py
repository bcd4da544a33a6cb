"""The same bad input gets the same `code` and the same `error` on the socket and over REST.

One table of bad values per rule (ids, texts, temp_ids, flags, id lists, read selectors); every row
is sent as a socket frame and as the matching REST request to the real server, and both answers
must be the row's: an `error` frame on the socket, a 400 over REST with `error` and `code` in the
body. A REST-only field (the history's query parameters, `mark-read-by-object`) is held to the
same vocabulary, and `mark-read-by-object` to the notification task API's answers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from chat.models import ChatMessage
from config.celery_app import app
from notifications.models import InAppNotification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHAT_SOCKET, NOTIFICATION_SOCKET = "/ws/chat/", "/ws/notifications/"
CHATS = "/api/v1/communication/chats/"
NOTIFICATIONS = "/api/v1/communication/notifications/"
MISSING = object()  # the field is left out of the frame and the body
INVALID, TOO_LARGE = "validation_error", "too_large"
MAX_LENGTH = settings.CHAT_MAX_MESSAGE_LENGTH


@dataclass(frozen=True)
class Bad:
    label: str
    value: Any
    code: str
    error: str  # `{field}` stands for the field's name

    def expected(self, field: str) -> tuple[str, str]:
        return self.code, self.error.format(field=field)


@dataclass(frozen=True)
class Ids:
    alice: int
    bob: int


def body(ids: Ids, bad: Any, field: str, **fields: Any) -> dict:
    """A frame's or a body's fields with the bad value in `field` (or without `field`)."""
    return {**fields, **({} if bad is MISSING else {field: bad})}


# The tables -----------------------------------------------------------------------------------

BAD_IDS = [
    Bad("missing", MISSING, INVALID, "{field} is required"),
    Bad("null", None, INVALID, "{field} is required"),
    Bad("zero", 0, INVALID, "{field} must be a positive integer"),
    Bad("negative", -3, INVALID, "{field} must be a positive integer"),
    Bad("letters", "abc", INVALID, "{field} must be a positive integer"),
    Bad("superscript two", "²", INVALID, "{field} must be a positive integer"),
    Bad("full-width three", "３", INVALID, "{field} must be a positive integer"),
    Bad("past bigint", 2**63, INVALID, "{field} must be a positive integer"),
    Bad("past bigint as text", str(2**63), INVALID, "{field} must be a positive integer"),
    Bad("true", True, INVALID, "{field} must be a number"),
    Bad("fraction", 1.5, INVALID, "{field} must be a positive integer"),
    Bad("whole number as a fraction", 1.0, INVALID, "{field} must be a positive integer"),
    Bad("empty text", "", INVALID, "{field} must be a positive integer"),
    Bad("a list", [1], INVALID, "{field} must be a positive integer"),
    Bad("an object", {"id": 1}, INVALID, "{field} must be a positive integer"),
]
ABSENT = ("missing", "null")
# What a path segment or a query parameter can carry: text.
BAD_TEXT_IDS = [bad for bad in BAD_IDS if isinstance(bad.value, str) and bad.value] + [
    Bad("zero as text", "0", INVALID, "{field} must be a positive integer"),
    Bad("negative as text", "-3", INVALID, "{field} must be a positive integer"),
    Bad("fraction as text", "1.5", INVALID, "{field} must be a positive integer"),
]

BAD_MESSAGES = [
    Bad("a number", 5, INVALID, "message must be a string"),
    Bad("true", True, INVALID, "message must be a string"),
    Bad("a list", ["hi"], INVALID, "message must be a string"),
    Bad("an object", {"text": "hi"}, INVALID, "message must be a string"),
    Bad("NUL", "a\x00b", INVALID, "message must not contain NUL characters"),
    Bad("too long", "x" * (MAX_LENGTH + 1), TOO_LARGE, f"message is longer than {MAX_LENGTH} characters"),
    Bad("empty", "", INVALID, "message or attachment is required"),
    Bad("null", None, INVALID, "message or attachment is required"),
    Bad("missing", MISSING, INVALID, "message or attachment is required"),
]

BAD_TEMP_IDS = [
    Bad("too long", "t" * 65, INVALID, "temp_id must be a string of 1 to 64 characters"),
    Bad("empty", "", INVALID, "temp_id must be a string of 1 to 64 characters"),
    Bad("NUL", "t\x00", INVALID, "temp_id must not contain NUL characters"),
    Bad("true", True, INVALID, "temp_id must be a string of 1 to 64 characters"),
    Bad("a list", ["t"], INVALID, "temp_id must be a string of 1 to 64 characters"),
    Bad("an object", {"t": 1}, INVALID, "temp_id must be a string of 1 to 64 characters"),
]

BAD_FLAGS = [
    Bad(f"{value!r}", value, INVALID, "{field} must be true or false")
    for value in ("yes", "true", "false", "1", "on", 1, 0, [], {})
]

BAD_ID_LISTS = [
    Bad("text", "1,2", INVALID, "{field} must be a list of ids"),
    Bad("a number", 7, INVALID, "{field} must be a list of ids"),
    Bad("true", True, INVALID, "{field} must be a list of ids"),
    Bad("an object", {"1": 1}, INVALID, "{field} must be a list of ids"),
    # Every bad id of BAD_IDS inside a list is a row of its own (the "an id in message_ids" target).
    Bad("a bad id after a good one", [1, "abc"], INVALID, "{field} must be a positive integer"),
    Bad("too many", list(range(1, 502)), INVALID, "{field} may hold at most 500 ids"),
]

NO_SELECTOR = "Provide message_ids, conversation_id, or sender_id"
BAD_SELECTORS = [
    Bad("none", {}, INVALID, NO_SELECTOR),
    Bad("all null", {"message_ids": None, "conversation_id": None, "sender_id": None}, INVALID, NO_SELECTOR),
    Bad("two selectors", {"conversation_id": 1, "sender_id": 2}, INVALID, NO_SELECTOR),
    Bad("three selectors", {"message_ids": [1], "conversation_id": 1, "sender_id": 2}, INVALID, NO_SELECTOR),
    Bad("only up_to_id", {"up_to_id": 5}, INVALID, NO_SELECTOR),
    Bad("up_to_id beside message_ids", {"message_ids": [1], "up_to_id": 5}, INVALID,
        "up_to_id goes with conversation_id or sender_id"),
    # Each field is read before the selector is judged, on both transports.
    Bad("a bad up_to_id beside message_ids", {"message_ids": [1], "up_to_id": "x"}, INVALID,
        "up_to_id must be a positive integer"),
    Bad("a bad id beside a second selector", {"conversation_id": "abc", "sender_id": 1}, INVALID,
        "conversation_id must be a positive integer"),
]


# What each row is sent to -------------------------------------------------------------------

Frame = Callable[[Any, Ids], dict]
Request = Callable[[Any, Ids], tuple[str, str, dict]]


@dataclass(frozen=True)
class Target:
    """One field of one request: as a socket frame, and as the matching REST request."""

    name: str
    field: str
    frame: Frame
    request: Request
    table: list[Bad]
    socket: str = CHAT_SOCKET
    skip: tuple[str, ...] = ()

    def rows(self) -> list[Bad]:
        return [bad for bad in self.table if bad.label not in self.skip]


TARGETS = [
    Target("send receiver_id", "receiver_id", lambda bad, ids: {"type": "message", **body(ids, bad, "receiver_id", message="hi")},
           lambda bad, ids: ("post", CHATS, {"json": body(ids, bad, "receiver_id", message="hi")}), BAD_IDS),
    Target("send attachment_id", "attachment_id",
           lambda bad, ids: {"type": "message", **body(ids, bad, "attachment_id", receiver_id=ids.bob)},
           lambda bad, ids: ("post", CHATS, {"json": body(ids, bad, "attachment_id", receiver_id=ids.bob)}),
           BAD_IDS, skip=ABSENT),
    Target("typing receiver_id", "receiver_id", lambda bad, ids: {"type": "typing", **body(ids, bad, "receiver_id")},
           lambda bad, ids: ("post", CHATS + "typing/", {"json": body(ids, bad, "receiver_id")}), BAD_IDS),
    *[Target(f"mark-read {field}", field, lambda bad, ids, field=field: {"type": "read_receipt", **body(ids, bad, field)},
             lambda bad, ids, field=field: ("post", CHATS + "mark-read/", {"json": body(ids, bad, field)}),
             BAD_IDS, skip=ABSENT)
      for field in ("conversation_id", "sender_id")],
    Target("mark-read up_to_id", "up_to_id",
           lambda bad, ids: {"type": "read_receipt", **body(ids, bad, "up_to_id", sender_id=ids.bob)},
           lambda bad, ids: ("post", CHATS + "mark-read/", {"json": body(ids, bad, "up_to_id", sender_id=ids.bob)}),
           BAD_IDS, skip=ABSENT),
    Target("mark-read an id in message_ids", "message_ids",
           lambda bad, ids: {"type": "read_receipt", "message_ids": [bad]},
           lambda bad, ids: ("post", CHATS + "mark-read/", {"json": {"message_ids": [bad]}}),
           BAD_IDS, skip=("missing",)),
    Target("mark-read message_ids", "message_ids", lambda bad, ids: {"type": "read_receipt", "message_ids": bad},
           lambda bad, ids: ("post", CHATS + "mark-read/", {"json": {"message_ids": bad}}), BAD_ID_LISTS),
    Target("mark-read selector", "", lambda bad, ids: {"type": "read_receipt", **bad},
           lambda bad, ids: ("post", CHATS + "mark-read/", {"json": bad}), BAD_SELECTORS),
    Target("send message", "message", lambda bad, ids: {"type": "message", **body(ids, bad, "message", receiver_id=ids.bob)},
           lambda bad, ids: ("post", CHATS, {"json": body(ids, bad, "message", receiver_id=ids.bob)}), BAD_MESSAGES),
    Target("send message with an attachment", "message",
           lambda bad, ids: {"type": "message", "receiver_id": ids.bob, "attachment_id": 987654321, "message": bad},
           lambda bad, ids: ("post", CHATS, {"json": {"receiver_id": ids.bob, "attachment_id": 987654321, "message": bad}}),
           BAD_MESSAGES, skip=("empty", "null", "missing")),
    Target("send temp_id", "temp_id",
           lambda bad, ids: {"type": "message", "receiver_id": ids.bob, "message": "hi", "temp_id": bad},
           lambda bad, ids: ("post", CHATS, {"json": {"receiver_id": ids.bob, "message": "hi", "temp_id": bad}}),
           BAD_TEMP_IDS),
    Target("typing is_typing", "is_typing", lambda bad, ids: {"type": "typing", "receiver_id": ids.bob, "is_typing": bad},
           lambda bad, ids: ("post", CHATS + "typing/", {"json": {"receiver_id": ids.bob, "is_typing": bad}}), BAD_FLAGS),
    # An id in a path: the same rule as the same id in a frame.
    Target("history user_id / get_online_status user_id", "user_id",
           lambda bad, ids: {"type": "get_online_status", "user_id": bad},
           lambda bad, ids: ("get", f"{CHATS}conversation/{quote(bad)}/", {}), BAD_TEXT_IDS),
    Target("notification mark_read", "notification_id", lambda bad, ids: {"type": "mark_read", "notification_id": bad},
           lambda bad, ids: ("post", f"{NOTIFICATIONS}{quote(bad)}/mark-read/", {}), BAD_TEXT_IDS,
           socket=NOTIFICATION_SOCKET),
    Target("notification dismiss", "notification_id", lambda bad, ids: {"type": "dismiss", "notification_id": bad},
           lambda bad, ids: ("delete", f"{NOTIFICATIONS}{quote(bad)}/dismiss/", {}), BAD_TEXT_IDS,
           socket=NOTIFICATION_SOCKET),
]


@pytest.fixture
def people(make_user) -> tuple[Ids, Any]:
    alice, bob = make_user("Alice"), make_user("Bob")
    return Ids(alice=alice.id, bob=bob.id), alice


def rest_answer(stack, user, request: tuple[str, str, dict]) -> tuple:
    """(status, code, error) of a REST request."""
    method, path, arguments = request
    response = user.rest(stack).session.request(method, stack.http_url + path, timeout=15, **arguments)
    answer = response.json()
    return (response.status_code, answer.get("code"), answer.get("error")) if isinstance(answer, dict) else answer


def stored() -> tuple[int, int]:
    """What a wrongly accepted input would have written."""
    return ChatMessage.objects.count(), InAppNotification.objects.filter(is_read=False, is_dismissed=False).count()


@pytest.mark.parametrize("target", TARGETS, ids=[target.name for target in TARGETS])
async def test_a_bad_input_gets_the_same_code_and_error_on_the_socket_and_over_rest(stack, people, ws, target):
    """Each row of the target's table, as a frame and as a request, one after the other (a fresh
    user per target keeps every row within the rate limits)."""
    ids, alice = people
    InAppNotification.objects.create(recipient_id=ids.alice, notification_type="notice", title="t", message="m")
    socket = await ws(alice, target.socket)
    before = stored()
    answers, expected = {}, {}

    for bad in target.rows():
        reply = await socket.request(target.frame(bad.value, ids), "error")
        answers[bad.label] = {"socket": (reply["code"], reply["error"]),
                              "rest": rest_answer(stack, alice, target.request(bad.value, ids))}
        expected[bad.label] = {"socket": bad.expected(target.field), "rest": (400, *bad.expected(target.field))}

    assert answers == expected
    assert stored() == before


# REST-only fields: the same vocabulary ------------------------------------------------------

HISTORY_QUERIES = [
    *[("before_id", bad.value, bad.expected("before_id")) for bad in BAD_TEXT_IDS],
    *[("limit", value, (INVALID, "limit must be an integer from 1 to 100")) for value in ("0", "101", "abc", "²", "1.5", "-1")],
    *[("offset", value, (INVALID, "offset must be an integer from 0 to 100000")) for value in ("-1", "100001", "x", "３")],
]


def test_the_history_query_speaks_the_same_vocabulary(stack, people):
    ids, alice = people

    answers = {(parameter, value): rest_answer(stack, alice, ("get", f"{CHATS}conversation/{ids.bob}/",
                                                              {"params": {parameter: value}}))
               for parameter, value, _ in HISTORY_QUERIES}

    assert answers == {(parameter, value): (400, *expected) for parameter, value, expected in HISTORY_QUERIES}


# The notification task API and REST ---------------------------------------------------------

BAD_OBJECTS = [
    *[(f"related_object_id: {bad.label}", {"related_object_id": bad.value}, bad.expected("related_object_id"))
      for bad in BAD_IDS if bad.label not in ABSENT],
    ("type: a number", {"related_object_type": 5}, (INVALID, "related_object_type must be a string")),
    ("type: a list", {"related_object_type": ["erp.invoice"]}, (INVALID, "related_object_type must be a string")),
    ("type: NUL", {"related_object_type": "erp\x00invoice"}, (INVALID, "related_object_type must not contain NUL characters")),
    ("type: too long", {"related_object_type": "t" * 101}, (TOO_LARGE, "related_object_type is longer than 100 characters")),
]


def test_the_task_api_and_rest_refuse_a_bad_related_object_alike(stack, people):
    ids, alice = people
    InAppNotification.objects.create(recipient_id=ids.alice, notification_type="notice", title="t", message="m",
                                     related_object_type="erp.invoice", related_object_id=42)
    before = stored()
    answers, expected = {}, {}

    for label, change, refusal in BAD_OBJECTS:
        fields = {"related_object_type": "erp.invoice", "related_object_id": 42, **change}
        outcome = app.send_task("notifications.send_notification", kwargs={
            "recipient_ids": [ids.alice], "notification_type": "notice", "title": "t", "message": "m", **fields,
        }).get(timeout=30)
        answers[label] = {"task": (outcome.get("code"), outcome.get("error")),
                          "rest": rest_answer(stack, alice, ("post", f"{NOTIFICATIONS}mark-read-by-object/", {"json": fields}))}
        expected[label] = {"task": refusal, "rest": (400, *refusal)}

    assert answers == expected
    assert stored() == before


def test_a_form_body_follows_the_same_rules_with_flags_in_words(stack, people):
    """A form carries only text: `is_typing=false` is a flag, an empty field is a missing one, and a
    repeated field is a list; everything else is read as the JSON body would be."""
    ids, alice = people
    client = alice.rest(stack)

    stopped = client.post(CHATS + "typing/", data={"receiver_id": str(ids.bob), "is_typing": "false"})
    answers = [client.post(CHATS + path, data=form) for path, form in (
        ("typing/", {"receiver_id": str(ids.bob), "is_typing": "maybe"}),
        ("typing/", {"receiver_id": "", "is_typing": "true"}),
        ("mark-read/", [("message_ids", "1"), ("message_ids", "abc")]),
        ("", {"receiver_id": str(ids.bob), "message": "x" * (MAX_LENGTH + 1)}),
    )]

    assert stopped.status_code == 200, stopped.text
    assert [(answer.status_code, answer.json()["code"], answer.json()["error"]) for answer in answers] == [
        (400, INVALID, "is_typing must be true or false"),
        (400, INVALID, "receiver_id is required"),
        (400, INVALID, "message_ids must be a positive integer"),
        (400, TOO_LARGE, f"message is longer than {MAX_LENGTH} characters"),
    ]
    assert stored() == (0, 0)
