"""The inbox over both transports: reads and dismissals broadcast `notification_update` to every
notification socket of the user, foreign ids change nothing, and the REST shapes of docs/rest-api.md."""
from __future__ import annotations

import pytest

from notifications.models import InAppNotification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"
API = "/api/v1/communication/notifications/"


def stored(user, title: str = "Hello", **fields) -> InAppNotification:
    fields = {"notification_type": "notice", "message": "", **fields}
    return InAppNotification.objects.create(recipient_id=user.id, title=title, **fields)


def refreshed(notification: InAppNotification) -> InAppNotification:
    notification.refresh_from_db()
    return notification


async def test_connection_frame_carries_the_unread_count(stack, make_user, ws):
    alice = make_user()
    stored(alice), stored(alice), stored(alice, is_read=True), stored(alice, is_dismissed=True)

    socket = await ws(alice, NOTIFICATIONS, expect_connected=False)
    connection = await socket.expect("connection")

    assert connection["status"] == "connected" and connection["user_id"] == alice.id
    assert connection["unread_count"] == 2 and connection["timestamp"].endswith("Z")
    assert await socket.request({"type": "get_unread_count"}, "unread_count") == {"type": "unread_count", "count": 2}
    assert (await socket.request({"type": "ping"}, "pong"))["timestamp"].endswith("Z")


async def test_ws_mark_read_in_one_tab_updates_the_other_tab(stack, make_user, ws):
    alice = make_user()
    first, second = stored(alice, "first"), stored(alice, "second")
    tab1, tab2 = await ws(alice, NOTIFICATIONS), await ws(alice, NOTIFICATIONS)

    reply = await tab1.request({"type": "mark_read", "notification_id": first.pk}, "notification_read")

    assert reply == {"type": "notification_read", "notification_id": first.pk, "unread_count": 1}
    for tab in (tab1, tab2):
        update = await tab.expect("notification_update")
        assert update["event"] == "notification_read" and update["notification_id"] == first.pk
        assert update["unread_count"] == 1 and update["is_read"] is True and update["read_at"].endswith("Z")
    assert refreshed(first).is_read and refreshed(first).read_at is not None and not refreshed(second).is_read

    # A second read is answered the same way and keeps the first read_at.
    read_at = refreshed(first).read_at
    await tab1.request({"type": "mark_read", "notification_id": str(first.pk)}, "notification_read")
    assert refreshed(first).read_at == read_at

    reply = await tab2.request({"type": "mark_all_read"}, "all_notifications_read")
    assert reply == {"type": "all_notifications_read", "count": 1, "unread_count": 0}
    update = await tab1.expect("notification_update", lambda f: f["event"] == "all_read")
    assert update["count"] == 1 and update["unread_count"] == 0


async def test_ws_dismiss_broadcasts_and_hides_the_notification(stack, make_user, ws):
    alice = make_user()
    unread, other = stored(alice, "dismiss me"), stored(alice, "keep me")
    tab1, tab2 = await ws(alice, NOTIFICATIONS), await ws(alice, NOTIFICATIONS)

    await tab1.send({"type": "dismiss", "notification_id": unread.pk})

    for tab in (tab1, tab2):
        update = await tab.expect("notification_update")
        # Alice's first notification event (her notifications were made without one).
        assert update == {"type": "notification_update", "event": "dismissed", "notification_id": unread.pk,
                          "unread_count": 1, "seq": 1}
    assert refreshed(unread).is_dismissed and refreshed(unread).dismissed_at is not None
    listed = alice.rest(stack).get(API).json()
    assert [n["id"] for n in listed["results"]] == [other.pk]


async def test_rest_mark_read_and_dismiss_broadcast_to_every_socket(stack, make_user, ws):
    alice = make_user()
    first, second, third = stored(alice, "1"), stored(alice, "2"), stored(alice, "3")
    tab1, tab2 = await ws(alice, NOTIFICATIONS), await ws(alice, NOTIFICATIONS)
    rest = alice.rest(stack)

    response = rest.post(f"{API}{first.pk}/mark-read/")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["notification_id"] == first.pk and body["read_at"]
    for tab in (tab1, tab2):
        update = await tab.expect("notification_update", lambda f: f["event"] == "notification_read")
        assert update["notification_id"] == first.pk and update["unread_count"] == 2

    response = rest.delete(f"{API}{second.pk}/dismiss/")
    assert response.status_code == 200 and response.json() == {"success": True, "notification_id": second.pk}
    for tab in (tab1, tab2):
        update = await tab.expect("notification_update", lambda f: f["event"] == "dismissed")
        assert update["notification_id"] == second.pk and update["unread_count"] == 1

    assert rest.get(f"{API}unread-count/").json() == {"count": 1}
    unread = rest.get(f"{API}unread/").json()
    assert unread["count"] == 1 and [n["id"] for n in unread["notifications"]] == [third.pk]

    response = rest.post(f"{API}mark-all-read/")
    assert response.status_code == 200 and response.json() == {"success": True, "count": 1}
    for tab in (tab1, tab2):
        update = await tab.expect("notification_update", lambda f: f["event"] == "all_read")
        assert update["count"] == 1 and update["unread_count"] == 0

    response = rest.delete(f"{API}dismiss-all/")
    assert response.status_code == 200 and response.json() == {"success": True, "count": 2}
    for tab in (tab1, tab2):
        update = await tab.expect("notification_update", lambda f: f["event"] == "all_dismissed")
        assert update["count"] == 2 and update["unread_count"] == 0
    assert rest.get(API).json()["count"] == 0


async def test_mark_read_by_object_marks_every_notification_about_it(stack, make_user, ws):
    alice = make_user()
    about = {"related_object_type": "erp.invoice", "related_object_id": 42}
    reminder, overdue, unrelated = stored(alice, "due", **about), stored(alice, "overdue", **about), stored(alice, "x")
    tab = await ws(alice, NOTIFICATIONS)

    response = alice.rest(stack).post(f"{API}mark-read-by-object/", about)

    assert response.status_code == 200 and response.json() == {"success": True, "count": 2}
    updates = [await tab.expect("notification_update") for _ in range(2)]
    assert sorted(u["notification_id"] for u in updates) == sorted([reminder.pk, overdue.pk])
    assert all(u["event"] == "notification_read" and u["unread_count"] == 1 for u in updates)
    assert refreshed(reminder).is_read and refreshed(overdue).is_read and not refreshed(unrelated).is_read


async def test_foreign_and_missing_ids_are_not_found_and_change_nothing(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    bobs = stored(bob, "private")
    alice_ws, bob_ws = await ws(alice, NOTIFICATIONS), await ws(bob, NOTIFICATIONS)
    rest = alice.rest(stack)

    for notification_id in (bobs.pk, 99_999_999):
        response = rest.post(f"{API}{notification_id}/mark-read/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert rest.delete(f"{API}{notification_id}/dismiss/").status_code == 404
        for frame_type in ("mark_read", "dismiss"):
            error = await alice_ws.request({"type": frame_type, "notification_id": notification_id}, "error")
            assert error["code"] == "not_found"
    assert rest.post(f"{API}mark-read-by-object/", {"related_object_type": "notifications.x",
                                                     "related_object_id": bobs.pk}).json()["count"] == 0
    assert rest.post(f"{API}mark-all-read/").json()["count"] == 0
    assert rest.delete(f"{API}dismiss-all/").json()["count"] == 0

    bobs = refreshed(bobs)
    assert not bobs.is_read and not bobs.is_dismissed
    assert rest.get(API).json()["count"] == 0
    await bob_ws.expect_none("notification_update")


async def test_the_list_paginates_filters_and_orders_priority_by_meaning(stack, make_user):
    alice, bob = make_user(), make_user()
    by_priority = {p: stored(alice, p, priority=p) for p in ("normal", "urgent", "low", "high")}
    by_priority["high"].is_read = True
    by_priority["high"].save(update_fields=["is_read"])
    stored(alice, "grade", notification_type="grade")
    stored(bob, "not alice's")
    rest = alice.rest(stack)

    page = rest.get(API, params={"page_size": 2}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"] and page["previous"] is None
    assert [n["title"] for n in page["results"]] == ["grade", "high"]  # newest first by default
    second = rest.session.get(page["next"], timeout=15).json()
    assert second["previous"] and [n["title"] for n in second["results"]] == ["low", "urgent"]

    urgent_first = rest.get(API, params={"ordering": "-priority", "notification_type": "notice"}).json()["results"]
    assert [n["title"] for n in urgent_first] == ["urgent", "high", "normal", "low"]
    low_first = rest.get(API, params={"ordering": "priority", "notification_type": "notice"}).json()["results"]
    assert [n["title"] for n in low_first] == ["low", "normal", "high", "urgent"]
    oldest_first = rest.get(API, params={"ordering": "created_at"}).json()["results"]
    assert [n["title"] for n in oldest_first] == ["normal", "urgent", "low", "high", "grade"]

    assert [n["title"] for n in rest.get(API, params={"priority": "urgent"}).json()["results"]] == ["urgent"]
    assert [n["title"] for n in rest.get(API, params={"is_read": "true"}).json()["results"]] == ["high"]
    assert rest.get(API, params={"is_read": "false"}).json()["count"] == 4
    assert [n["title"] for n in rest.get(API, params={"notification_type": "grade"}).json()["results"]] == ["grade"]


async def test_no_endpoint_rewrites_or_deletes_a_notification(stack, make_user):
    alice = make_user()
    notification = stored(alice, "original")
    rest = alice.rest(stack)
    url = f"{stack.http_url}{API}{notification.pk}/"

    for method in ("put", "patch", "delete"):
        response = rest.session.request(method, url, json={"title": "rewritten", "is_read": True}, timeout=15)
        assert response.status_code in (404, 405)
    for method in ("put", "patch"):
        response = rest.session.request(method, f"{url}mark-read/", json={"title": "rewritten"}, timeout=15)
        assert response.status_code == 405

    notification = refreshed(notification)
    assert notification.title == "original" and not notification.is_read and not notification.is_dismissed


async def test_the_api_requires_authentication(stack):
    from tests.conftest import RestClient

    anonymous = RestClient(stack.http_url, None)
    for path in ("", "unread/", "unread-count/"):
        response = anonymous.get(API + path)
        assert response.status_code == 401 and "detail" in response.json()
    assert anonymous.post(f"{API}mark-all-read/").status_code == 401
