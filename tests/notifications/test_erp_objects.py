"""Notifications about ERP objects (docs/notifications.md): coalesce, resolve, acknowledge, remind,
escalate, expire; producers call the task API by name, as another ERP module would, and real
workers do the work."""
from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from notifications import services
from notifications.models import InAppNotification
from notifications.tasks import ESCALATE, RESOLVE, SEND_NOTIFICATION, SEND_REMINDERS
from tests.support.ws import eventually
from workers.tasks.notifications import resolve as resolve_task
from workers.tasks.notifications import send_notification as send_notification_task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"
API = "/api/v1/communication/notifications/"
ORDER = {"related_object_type": "purchasing.order", "related_object_id": 123}


def send(name: str, **kwargs) -> None:
    current_app.send_task(name, kwargs=kwargs)


def rows(user, **filters) -> list[InAppNotification]:
    return list(InAppNotification.objects.filter(recipient_id=user.id, **filters).order_by("id"))


async def test_fifty_stock_alerts_are_one_line_with_a_counter_even_from_two_workers_at_once(stack, make_user, ws):
    keeper = make_user("Keeper")
    bell = await ws(keeper, NOTIFICATIONS)
    for level in range(50):
        send(SEND_NOTIFICATION, recipient_ids=[keeper.id], notification_type="system", title="Stock low: paper",
             message=f"{50 - level} reams left", coalesce_key="stock:paper", dedupe_key=f"stock-{level}")

    await eventually(lambda: [row.count for row in rows(keeper)] == [50], timeout=60)
    [row] = rows(keeper)
    assert row.title == "Stock low: paper" and not row.is_read
    frames = [await bell.expect("notification") for _ in range(50)]
    assert {frame["notification"]["id"] for frame in frames} == {row.pk}
    assert sorted(frame["notification"]["count"] for frame in frames) == list(range(1, 51))
    assert keeper.rest(stack).get(f"{API}unread-count/").json()["count"] == 1

    # A retry of the task applied last counts nothing twice (the row carries its dedupe key; with
    # two workers that is any of the fifty). Once read, the next alert opens a new line.
    send(SEND_NOTIFICATION, recipient_ids=[keeper.id], notification_type="system", title="Stock low: paper",
         message="again", coalesce_key="stock:paper", dedupe_key=row.dedupe_key)
    await bell.expect_none("notification", within=1.5)
    assert [row.count for row in rows(keeper)] == [50]
    InAppNotification.objects.filter(pk=row.pk).update(is_read=True)
    send(SEND_NOTIFICATION, recipient_ids=[keeper.id], notification_type="system", title="Stock low: paper",
         message="0 reams left", coalesce_key="stock:paper", dedupe_key="stock-50")
    await eventually(lambda: [row.count for row in rows(keeper)] == [50, 1])


async def test_resolving_an_object_closes_its_notification_for_every_approver(stack, make_user, ws):
    approvers = [make_user(f"Approver{index}") for index in range(3)]
    other = make_user("Other")
    bells = [await ws(approver, NOTIFICATIONS) for approver in approvers]
    services.notify([approver.user for approver in approvers], notification_type="notice",
                    title="Purchase order 123 needs your approval", message="1,200 EUR", related_object=("purchasing.order", 123))
    services.notify(other.user, notification_type="notice", title="Unrelated", message="")
    for bell in bells:
        await bell.expect("notification")

    send(RESOLVE, **ORDER, reason="Approved by Approver0")
    for bell in bells:
        update = await bell.expect("notification_update")
        assert update["event"] == "resolved" and update["reason"] == "Approved by Approver0"
        assert update["unread_count"] == 0 and update["resolved_at"].endswith("Z")
    client = approvers[1].rest(stack)
    assert client.get(f"{API}unread-count/").json()["count"] == 0
    assert client.get(API).json()["results"] == []
    [shown] = client.get(API, params={"include_resolved": "true"}).json()["results"]
    assert shown["resolved_at"] is not None and shown["title"].startswith("Purchase order 123")
    assert client.get(API, params={"include_resolved": "maybe"}).status_code == 400
    assert other.rest(stack).get(f"{API}unread-count/").json()["count"] == 1
    # Resolving again, or something nobody was told about, changes nothing.
    assert services.resolve(("purchasing.order", 123)) == 0
    assert services.resolve(("purchasing.order", 999), reason="gone") == 0


async def test_a_safety_notice_is_acknowledged_reported_reminded_and_escalated_once(stack, make_user, ws):
    teacher, manager, auditor = make_user("Teacher"), make_user("Manager"), make_user("Auditor", is_staff=True)
    bell, manager_bell = await ws(teacher, NOTIFICATIONS), await ws(manager, NOTIFICATIONS)
    send(SEND_NOTIFICATION, recipient_ids=[teacher.id], notification_type="notice", title="Fire drill at 10:00",
         message="Acknowledge that you have read the evacuation plan", priority="urgent", requires_ack=True,
         escalate_to=[manager.id], escalate_after=600, related_object_type="safety.notice", related_object_id=7)
    notice = (await bell.expect("notification"))["notification"]
    assert notice["requires_ack"] is True and notice["acknowledged_at"] is None

    # Beat's runs: nothing is due yet; then the reminder interval and the escalation delay pass.
    send(SEND_REMINDERS)
    send(ESCALATE)
    await bell.expect_none("notification", within=1.5)
    InAppNotification.objects.filter(pk=notice["id"]).update(created_at=timezone.now() - timedelta(hours=2))
    for _ in range(3):  # three runs at once claim each reminder and escalation once
        send(SEND_REMINDERS)
        send(ESCALATE)
    reminder = await bell.expect("notification")
    assert reminder["reminder"] is True and reminder["notification"]["id"] == notice["id"]
    escalation = (await manager_bell.expect("notification"))["notification"]
    assert escalation["notification_type"] == "escalation" and escalation["title"] == "Not acknowledged: Fire drill at 10:00"
    assert escalation["data"] == {"escalated_notification_id": notice["id"], "recipient_id": teacher.id}
    await bell.expect_none("notification", within=1.5)
    await manager_bell.expect_none("notification", within=0.1)
    assert len(rows(manager)) == 1

    # Reading is not acknowledging; acknowledging stops the reminders.
    teacher.rest(stack).post(f"{API}{notice['id']}/mark-read/")
    acknowledged = teacher.rest(stack).post(f"{API}{notice['id']}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"].endswith("Z")
    assert (await bell.expect("notification_update", lambda f: f["event"] == "acknowledged"))["notification_id"] == notice["id"]
    InAppNotification.objects.filter(pk=notice["id"]).update(reminded_at=timezone.now() - timedelta(hours=2))
    send(SEND_REMINDERS)
    await bell.expect_none("notification", within=1.5)

    report = auditor.rest(stack).get(f"{API}acks/", params={"related_object_type": "safety.notice", "related_object_id": 7})
    assert report.status_code == 200, report.text
    [line] = report.json()
    assert line["recipient_id"] == teacher.id and line["requires_ack"] is True
    assert all(line[field] for field in ("delivered_at", "read_at", "acknowledged_at", "reminded_at", "escalated_at"))
    assert teacher.rest(stack).get(f"{API}acks/", params={"related_object_type": "safety.notice",
                                                          "related_object_id": 7}).status_code == 403


async def test_acknowledging_refuses_what_cannot_be_acknowledged(stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    services.notify(alice.user, notification_type="notice", title="Just so you know", message="")
    await eventually(lambda: len(rows(alice)) == 1)
    [plain] = rows(alice)
    assert alice.rest(stack).post(f"{API}{plain.pk}/acknowledge/").status_code == 400
    assert bob.rest(stack).post(f"{API}{plain.pk}/acknowledge/").status_code == 404
    assert alice.rest(stack).post(f"{API}abc/acknowledge/").status_code == 400
    staff_only = alice.rest(stack).get(f"{API}acks/", params={"related_object_type": "x", "related_object_id": "y"})
    assert staff_only.status_code == 403


async def test_an_expired_notification_leaves_lists_and_counts_without_a_sweep(stack, make_user, ws):
    alice = make_user("Alice")
    bell = await ws(alice, NOTIFICATIONS)
    services.notify(alice.user, notification_type="event", title="Canteen closes early today", message="",
                    expires_at=timezone.now() + timedelta(minutes=5))
    shown = (await bell.expect("notification"))["notification"]
    assert shown["expires_at"].endswith("Z")
    assert alice.rest(stack).get(f"{API}unread-count/").json()["count"] == 1

    InAppNotification.objects.filter(pk=shown["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert alice.rest(stack).get(f"{API}unread-count/").json()["count"] == 0
    assert alice.rest(stack).get(API).json()["results"] == []
    assert (await bell.request({"type": "get_unread_count"}, "unread_count"))["count"] == 0


@pytest.mark.parametrize(("fields", "error"), [
    ({"coalesce_key": "x" * 201}, "coalesce_key is longer than 200 characters"),
    ({"expires_at": "tomorrow"}, "expires_at must be an ISO-8601 date and time, or null"),
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at must be in the future"),
    ({"requires_ack": "yes"}, "requires_ack must be true or false"),
    ({"escalate_to": [1]}, "escalate_to and escalate_after go together"),
    ({"escalate_to": [1], "escalate_after": 60}, "escalate_to needs requires_ack"),
    ({"requires_ack": True, "escalate_to": ["a"], "escalate_after": 60}, "escalate_to must be a positive integer"),
    ({"requires_ack": True, "escalate_to": [1], "escalate_after": 0}, "escalate_after must be an integer from 1 to 2592000"),
])
def test_bad_erp_fields_are_refused_by_notify_and_by_the_task(make_user, fields, error):
    alice = make_user("Alice")
    with pytest.raises(services.ValidationFailed) as refused:
        services.notify(alice.user, notification_type="notice", title="t", message="", **fields)
    assert refused.value.error == error
    result = send_notification_task.apply(kwargs={"recipient_ids": [alice.id], "notification_type": "notice",
                                                  "title": "t", "message": "", **fields}).get()
    assert result == {"error": error, "code": refused.value.code}
    assert refused.value.code == ("too_large" if "longer" in error else "validation_error")
    assert not InAppNotification.objects.exists()


def test_resolve_refuses_a_missing_object(db):
    for bad in (None, ("x", None), (None, 5)):
        with pytest.raises(services.ValidationFailed):
            services.resolve(bad)
    result = resolve_task.apply(kwargs={"related_object_type": "x", "related_object_id": "abc"}).get()
    assert result["code"] == "validation_error"
