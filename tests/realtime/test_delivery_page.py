"""The admin's delivery page (docs/operations.md, "The delivery page"): for one message or
notification sent through the real server and worker, when it was stored, which of the
recipient's sockets it was written to, when it was delivered, read and acknowledged."""
from __future__ import annotations

import asyncio
import re

import pytest
import requests
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from chat.models import ChatMessage
from config.celery_app import app as celery_app
from notifications.models import InAppNotification
from notifications.tasks import SEND_NOTIFICATION
from realtime.models import SocketWrite
from tests import factories
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff_client() -> Client:
    client = Client()
    client.force_login(factories.make_user("Operator", is_staff=True, is_superuser=True))
    return client


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    body = table.group(1).split("</thead>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def when(at) -> str:
    """A time as the page shows it (UTC)."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def timeline(html: str) -> dict[str, str]:
    return {what: when for what, when, _ in table_rows(html, "delivery-timeline")}


async def test_a_message_shows_its_sockets_delivery_and_read(ws, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws = await ws(alice)
    bob_phone, bob_laptop = await ws(bob), await ws(bob)
    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "where is it?", "temp_id": "d-1"})
    sent = await alice_ws.expect("message_sent")
    await bob_phone.expect("message")
    await bob_laptop.expect("message")
    await alice_ws.expect("delivery_receipt")
    await eventually(lambda: SocketWrite.objects.filter(kind="message", object_id=sent["id"]).count() == 2)

    client = await sync_to_async(staff_client)()
    url = reverse("admin:chat_chatmessage_delivery", args=[sent["id"]])
    html = (await sync_to_async(client.get)(url)).content.decode()
    steps = timeline(html)
    message = await ChatMessage.objects.aget(pk=sent["id"])
    assert steps["Stored"] == when(message.timestamp)
    assert steps["Delivered"] == when(message.delivered_at)
    assert steps["Read"] == "not yet"
    sockets = table_rows(html, "delivery-sockets")
    assert len(sockets) == 2 and len({socket for _, socket, _ in sockets}) == 2, "bob's two sockets"
    assert all(client_name.startswith("Python/") for _, _, client_name in sockets), sockets
    assert re.search(r"<li>seq \d+, ", html), "the event of bob's stream that carried it"

    await bob_phone.send({"type": "read_receipt", "message_ids": [sent["id"]]})
    await alice_ws.expect("read_receipt")
    html = (await sync_to_async(client.get)(url)).content.decode()
    await message.arefresh_from_db()
    assert timeline(html)["Read"] == when(message.read_at)


async def test_a_notification_shows_its_socket_and_acknowledgement(stack, ws, make_user):
    bob = make_user("Bob")
    bell = await ws(bob, "/ws/notifications/")
    celery_app.send_task(SEND_NOTIFICATION, kwargs={
        "recipient_ids": [bob.id], "notification_type": "announcement", "title": "Fire drill",
        "message": "At noon", "priority": "urgent", "requires_ack": True,
    })
    frame = await bell.expect("notification")
    notification_id = frame["notification"]["id"]
    await eventually(lambda: SocketWrite.objects.filter(kind="notification", object_id=notification_id).exists())

    client = await sync_to_async(staff_client)()
    url = reverse("admin:notifications_inappnotification_delivery", args=[notification_id])
    html = (await sync_to_async(client.get)(url)).content.decode()
    notification = await InAppNotification.objects.aget(pk=notification_id)
    steps = timeline(html)
    assert steps["Stored"] == when(notification.created_at) and steps["Delivered"] == when(notification.delivered_at)
    assert steps["Acknowledged"] == steps["Reminded"] == steps["Escalated"] == steps["Read"] == "not yet"
    [(written_at, socket, _)] = table_rows(html, "delivery-sockets")
    assert "specific." in socket and written_at <= steps["Delivered"]

    acknowledged = await asyncio.to_thread(
        requests.post, f"{stack.http_url}/api/v1/communication/notifications/{notification_id}/acknowledge/",
        headers={"Authorization": f"Token {bob.token}"}, timeout=15)
    assert acknowledged.status_code == 200, acknowledged.text
    await notification.arefresh_from_db()
    steps = timeline((await sync_to_async(client.get)(url)).content.decode())
    assert steps["Acknowledged"] == when(notification.acknowledged_at)


def test_the_page_is_for_staff_and_says_when_no_socket_was_written_to():
    alice, bob = factories.make_user("Alice"), factories.make_user("Bob")
    message = ChatMessage.objects.create(conversation=factories.make_conversation(alice, bob), sender=alice,
                                         receiver=bob, message="unseen")
    url = reverse("admin:chat_chatmessage_delivery", args=[message.pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    not_staff = Client()
    not_staff.force_login(factories.make_user("Student"))
    assert not_staff.get(url).status_code == 302, "the admin's login page, for staff"
    staff_without_permissions = Client()
    staff_without_permissions.force_login(factories.make_user("Clerk", is_staff=True))
    assert staff_without_permissions.get(url).status_code == 403
    client = staff_client()
    html = client.get(url).content.decode()
    assert 'id="delivery-sockets-none"' in html
    assert timeline(html)["Delivered"] == "not yet"
    assert client.get(reverse("admin:chat_chatmessage_delivery", args=[message.pk + 1000])).status_code == 404
    changelist = client.get(reverse("admin:chat_chatmessage_changelist")).content.decode()
    assert f'href="{url}"' in changelist
