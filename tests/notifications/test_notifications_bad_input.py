"""Every kind of bad input to notifications gets a clear error and changes nothing: through
`notify()`, the task by name, the socket and REST."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from config.celery_app import app
from core.errors import ValidationFailed
from notifications import services
from notifications.models import InAppNotification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"
API = "/api/v1/communication/notifications/"
VALID = {"notification_type": "notice", "title": "Title", "message": "Text"}

BAD_NOTIFY_CALLS = [
    ({"priority": "critical"}, "priority must be one of low, normal, high, urgent"),
    ({"notification_type": "gossip"}, "Unknown notification_type: gossip"),
    ({"title": "  "}, "title is required"),
    ({"message": None}, "message is required"),
    ({"link": "javascript:alert(1)"}, "link must be a path"),
    ({"link": "//evil.example/x"}, "link must be a path"),
    ({"data": ["not", "an", "object"]}, "data must be a JSON object"),
    ({"data": {"big": "x" * 20_000}}, "data is larger than"),
    ({"related_object": ("erp.invoice", "abc")}, "related_object_id must be a positive integer"),
    ({"dedupe_key": "k" * 201}, "dedupe_key is longer than 200"),
    ({"title": "nul \x00 inside"}, "title must not contain NUL characters"),
    ({"data": {"ratio": float("nan")}}, "data must be a JSON object"),
    ({"data": {"note": "nul \x00 inside"}}, "data must not contain NUL characters"),
]


@pytest.mark.parametrize(("change", "error"), BAD_NOTIFY_CALLS)
def test_notify_rejects_bad_content(make_user, change, error):
    alice = make_user()
    with pytest.raises(ValidationFailed, match=error.replace("(", r"\(")):
        services.notify([alice.id], **{**VALID, **change})


@pytest.mark.parametrize(("recipients", "error"), [
    ([], "recipients must not be empty"),
    (["abc"], "recipient_ids must be a positive integer"),
    ([-4], "recipient_ids must be a positive integer"),
    ("no such group", "Unknown group: no such group"),
    (Group.objects.none(), "recipients queryset must be of users"),
    (3.5, "recipients must be a user"),
])
def test_notify_rejects_bad_recipients(transactional_db, recipients, error):
    with pytest.raises(ValidationFailed, match=error):
        services.notify(recipients, **VALID)


def test_an_empty_group_enqueues_nothing(transactional_db):
    Group.objects.create(name="nobody yet")
    assert services.notify("nobody yet", **VALID) == 0


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"priority": "critical"}, "priority must be one of"),
    ({"priority": ["high"]}, "priority must be one of"),
    ({"notification_type": "gossip"}, "Unknown notification_type"),
    ({"message": "nul \x00 inside"}, "message must not contain NUL characters"),
    ({"recipient_ids": []}, "recipients must not be empty"),
    ({"recipient_ids": ["12a"]}, "recipient_ids must be a positive integer"),
    ({"recipient_ids": "7"}, "recipient_ids must be a list of user ids"),
    ({"recipients": [7]}, "Unexpected arguments: recipients"),
])
def test_the_task_by_name_rejects_bad_input_without_retrying(stack, make_user, kwargs, error):
    alice = make_user()
    result = app.send_task("notifications.send_notification", kwargs={"recipient_ids": [alice.id], **VALID, **kwargs})

    outcome = result.get(timeout=30)

    assert outcome["code"] == "validation_error" and error in outcome["error"]
    assert result.state == "SUCCESS"  # answered, not failed and retried
    assert not InAppNotification.objects.exists()


# A bell's link is followed on a click: none of these may lead off the site or run script.
# Browsers read `\` as `/` and drop tabs and newlines, so `/\host` and `/<tab>/host` are `//host`.
HOSTILE_LINKS = [
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "/x\\y", "//evil.example", "///evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/x\x7f", "/x\u0085",
    "/\u202e/evil.example", "/\u2028/evil.example", " //evil.example", "evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "http://evil.example/",
    "https://evil.example/x", "https:evil.example", "ftp://evil.example/", "https://[::1",
]
SAFE_LINKS = ["/", "/courses/12/assignments/3?tab=files#top", "/a b/ünïcode/😀", "/x:y"]


def hostile_link_id(link: str) -> str:
    return link.encode("unicode_escape").decode()


@pytest.mark.parametrize("link", HOSTILE_LINKS, ids=hostile_link_id)
def test_notify_rejects_a_link_off_the_site(transactional_db, link):
    with pytest.raises(ValidationFailed, match="link must"):
        services.notify([1], **VALID, link=link)


@pytest.mark.parametrize("link", HOSTILE_LINKS, ids=hostile_link_id)
def test_the_task_by_name_rejects_a_link_off_the_site(stack, make_user, link):
    alice = make_user()
    result = app.send_task("notifications.send_notification", kwargs={"recipient_ids": [alice.id], **VALID, "link": link})

    outcome = result.get(timeout=30)

    assert outcome["code"] == "validation_error" and outcome["error"].startswith("link must"), outcome
    assert not InAppNotification.objects.exists()


@pytest.mark.parametrize("link", SAFE_LINKS)
def test_links_on_the_site_are_kept(transactional_db, link):
    assert services.validated_content(**VALID, link=link).link == link


def test_urls_on_an_allowed_host_are_kept_and_no_other(transactional_db, settings):
    settings.NOTIFICATION_LINK_HOSTS = ["erp.example"]
    for link in ("https://erp.example/invoices/42", "http://ERP.example:8443/x"):
        assert services.validated_content(**VALID, link=link).link == link
    for link in ("https://erp.example@evil.example/", "https://user@erp.example/", "https://erp.example.evil.example/",
                 "https://evil.example/?next=https://erp.example/", "javascript://erp.example/%0Aalert(1)"):
        with pytest.raises(ValidationFailed, match="link must"):
            services.validated_content(**VALID, link=link)


@pytest.mark.parametrize(("frame", "code", "error"), [
    ({"type": "mark_read"}, "validation_error", "notification_id is required"),
    ({"type": "mark_read", "notification_id": "abc"}, "validation_error", "notification_id must be a positive integer"),
    ({"type": "dismiss", "notification_id": True}, "validation_error", "notification_id must be a number"),
    ({"type": "dismiss", "notification_id": -1}, "validation_error", "notification_id must be a positive integer"),
    ({"type": "subscribe"}, "unknown_type", "Unknown message type: subscribe"),
    ({"notification_id": 1}, "unknown_type", "Unknown message type: None"),
    ("not json", "invalid_json", "Invalid JSON"),
    ("[1, 2]", "invalid_frame", "A frame must be a JSON object"),
])
async def test_bad_frames_get_an_error_and_the_socket_keeps_working(stack, make_user, ws, frame, code, error):
    alice = make_user()
    socket = await ws(alice, NOTIFICATIONS)

    reply = await socket.request(frame, "error")

    assert reply["code"] == code and reply["error"] == error
    assert await socket.request({"type": "get_unread_count"}, "unread_count") == {"type": "unread_count", "count": 0}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "abc/mark-read/", None),
    ("delete", "0/dismiss/", None),
    ("post", "mark-read-by-object/", {}),
    ("post", "mark-read-by-object/", {"related_object_type": "erp.invoice", "related_object_id": "x"}),
    ("post", "mark-read-by-object/", {"related_object_type": "", "related_object_id": 4}),
    ("get", "?priority=critical", None),
    ("get", "?notification_type=gossip", None),
    ("get", "?ordering=title", None),
    ("get", "?is_read=perhaps", None),
])
def test_bad_rest_input_gets_a_400(stack, make_user, method, path, body):
    alice = make_user()
    InAppNotification.objects.create(recipient_id=alice.id, title="untouched", **{k: VALID[k] for k in ("notification_type", "message")})

    response = alice.rest(stack).session.request(method, f"{stack.http_url}{API}{path}", json=body, timeout=15)

    assert response.status_code == 400, response.text
    assert response.json()
    assert InAppNotification.objects.filter(is_read=False, is_dismissed=False).count() == 1
