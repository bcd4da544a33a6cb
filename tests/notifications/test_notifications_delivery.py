"""Producers reach the live sockets: a foreign Celery client by task name, `notify()`, the task
API of docs/notifications.md; a retried task creates nothing twice."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from notifications import services
from notifications.models import InAppNotification
from notifications.tasks import send_notification
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"
PAYLOAD_FIELDS = {
    "id", "notification_type", "title", "message", "link", "icon", "color", "priority", "is_read", "created_at",
    "time_ago", "related_object_type", "related_object_id", "data", "count", "resolved_at", "expires_at",
    "requires_ack", "acknowledged_at",
}

# A client that knows nothing of this project: only the broker URL and the task's name.
FOREIGN_CLIENT = """
import json, sys
from celery import Celery
app = Celery(broker=sys.argv[1])
app.send_task("notifications.send_notification", kwargs=json.loads(sys.argv[2]))
"""


def send_from_foreign_client(**kwargs) -> None:
    subprocess.run(
        [sys.executable, "-c", FOREIGN_CLIENT, settings.CELERY_BROKER_URL, json.dumps(kwargs)],
        check=True, timeout=60, env={"PATH": os.environ["PATH"]},
    )


async def test_a_separate_celery_client_sends_by_name_and_both_tabs_get_the_frame(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    tab1, tab2 = await ws(alice, NOTIFICATIONS), await ws(alice, NOTIFICATIONS)
    bob_tab = await ws(bob, NOTIFICATIONS)

    send_from_foreign_client(
        recipient_ids=[alice.id], notification_type="assignment", title="Homework 3 📚", message="Due Friday 🎉",
        priority="high", link="/assignments/3", icon="book", color="#ff8800",
        related_object_type="lms.assignment", related_object_id=3, data={"course": "Math"},
    )

    first, second = await tab1.expect("notification"), await tab2.expect("notification")
    assert first == second
    payload = first["notification"]
    assert set(payload) == PAYLOAD_FIELDS
    stored = InAppNotification.objects.get(recipient_id=alice.id)
    assert payload["id"] == stored.pk and isinstance(payload["id"], int)
    assert payload["title"] == "Homework 3 📚" and payload["message"] == "Due Friday 🎉"
    assert (payload["notification_type"], payload["priority"], payload["link"]) == ("assignment", "high", "/assignments/3")
    assert (payload["icon"], payload["color"], payload["data"]) == ("book", "#ff8800", {"course": "Math"})
    assert (payload["related_object_type"], payload["related_object_id"]) == ("lms.assignment", 3)
    assert payload["is_read"] is False and payload["created_at"].endswith("Z") and payload["time_ago"] == "just now"
    await bob_tab.expect_none("notification")


async def test_notify_by_group_name_enqueues_on_commit_and_reaches_every_member(stack, make_user, ws):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = Group.objects.create(name="teachers")
    group.user_set.add(alice.user, bob.user)
    alice_ws, bob_ws, carol_ws = [await ws(user, NOTIFICATIONS) for user in (alice, bob, carol)]

    with transaction.atomic():
        queued = services.notify("teachers", notification_type="announcement", title="Staff meeting", message="At 3pm")
        assert InAppNotification.objects.count() == 0

    assert queued == 2
    for socket in (alice_ws, bob_ws):
        assert (await socket.expect("notification"))["notification"]["title"] == "Staff meeting"
    await carol_ws.expect_none("notification")
    assert sorted(InAppNotification.objects.values_list("recipient_id", flat=True)) == sorted([alice.id, bob.id])


async def test_notify_rolled_back_sends_nothing(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice, NOTIFICATIONS)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify([alice.id], notification_type="notice", title="Never", message="rolled back")
        raise RuntimeError("the caller's transaction fails")

    await alice_ws.expect_none("notification", within=2.0)
    assert not InAppNotification.objects.exists()


async def test_notify_takes_a_user_or_a_queryset_and_a_related_object(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice, NOTIFICATIONS), await ws(bob, NOTIFICATIONS)

    services.notify(alice.user, notification_type="grade", title="Graded", message="A+", related_object=bob.user)
    services.notify(get_user_model().objects.filter(pk=bob.id), notification_type="event", title="Event", message="")

    graded = (await alice_ws.expect("notification"))["notification"]
    assert (graded["related_object_type"], graded["related_object_id"]) == ("auth.user", bob.id)
    assert (await bob_ws.expect("notification"))["notification"]["title"] == "Event"


async def test_the_task_api_of_the_contract_works_with_delay(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice, NOTIFICATIONS)

    result = send_notification.delay(recipient_ids=[str(alice.id)], notification_type="system", title="Hi", message="")

    assert result.get(timeout=30) == {"created": 1}
    assert (await alice_ws.expect("notification"))["notification"]["notification_type"] == "system"


async def test_a_retried_task_creates_nothing_twice(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice, NOTIFICATIONS)
    keyed = {"recipient_ids": [alice.id, bob.id], "notification_type": "notice", "title": "Keyed", "message": "x",
             "dedupe_key": "invoice-42-overdue"}
    unkeyed = {"recipient_ids": [alice.id], "notification_type": "notice", "title": "Unkeyed", "message": "y"}

    runs = [send_notification.apply_async(kwargs=keyed).get(timeout=30) for _ in range(2)]
    # Without a dedupe_key the task id is the key, and a redelivery keeps its id. (Run here, not on the
    # worker: the result backend would answer the second run with the first one's result.)
    redeliveries = [send_notification.apply(kwargs=unkeyed, task_id="redelivered-1").get() for _ in range(2)]

    assert runs == [{"created": 2}, {"created": 0}]
    assert redeliveries == [{"created": 1}, {"created": 0}]
    assert InAppNotification.objects.filter(recipient_id=alice.id, title="Keyed").count() == 1
    assert InAppNotification.objects.filter(recipient_id=bob.id, title="Keyed").count() == 1
    assert InAppNotification.objects.filter(title="Unkeyed").count() == 1
    titles = [(await alice_ws.expect("notification"))["notification"]["title"] for _ in range(2)]
    assert sorted(titles) == ["Keyed", "Unkeyed"]
    await alice_ws.expect_none("notification", within=1.5)


async def test_inactive_and_unknown_recipients_are_skipped(stack, make_user):
    alice, gone = make_user(), make_user(is_active=False)

    result = send_notification.delay(recipient_ids=[alice.id, gone.id, 99_999_999], notification_type="notice",
                                     title="Only the living", message="")

    assert result.get(timeout=30) == {"created": 1}
    await eventually(lambda: InAppNotification.objects.filter(recipient_id=alice.id).count() == 1)
    assert not InAppNotification.objects.filter(recipient_id=gone.id).exists()
