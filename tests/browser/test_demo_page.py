"""The demo page end to end: two people in headless Chromium against the real server and worker.

The browser script (web/tests/demo.browser.js) drives both pages: messages, ticks, typing, the
bell, attachments, a network drop, then a reply, an edit, a reaction, a deletion, a mute and a
block, each seen on the other page, and last the bell's ERP notifications (coalesced, reminded,
acknowledged, resolved) and the email preference. This test starts the stack, makes the users, and
answers the script's "@@<command> <arguments>" lines through the Celery task API, as another ERP
module (or beat) would:

- "@@notify <user id>": an announcement;
- "@@notify_ack <user id>": an urgent notice that asks to be acknowledged;
- "@@notify_coalesced <user id>": a stock alert (about STOCK_ITEM) that coalesces with the earlier ones;
- "@@remind <notification id>": makes that notification's reminder due, then runs beat's reminder task;
- "@@resolve <type> <id> <reason>": resolves the notifications about that ERP object.

Screenshots: tests/artifacts/screenshots/.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery_app import app as celery_app
from notifications.models import InAppNotification
from notifications.tasks import RESOLVE, SEND_NOTIFICATION, SEND_REMINDERS
from tests.browser.support import SCREENSHOTS, ensure_web_tooling, run_browser_script, users_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATION_TITLE = "Timetable published"
ACK_TITLE = "Fire drill at 10:00"
STOCK_TITLE = "Stock low: paper"
STOCK_ITEM = ("inventory.item", 42)
SCRIPT_TIMEOUT_SECONDS = 300


def send_notification(user_id: int, **fields) -> None:
    celery_app.send_task(SEND_NOTIFICATION, kwargs={
        "recipient_ids": [user_id], "notification_type": "announcement", "title": NOTIFICATION_TITLE,
        "message": "The spring timetable is out 📅", "priority": "high", **fields,
    })


def send_notice_to_acknowledge(user_id: int) -> None:
    send_notification(user_id, notification_type="notice", title=ACK_TITLE, priority="urgent", requires_ack=True,
                      message="Acknowledge that you have read the evacuation plan 🧯")


def send_stock_alert(user_id: int) -> None:
    send_notification(user_id, notification_type="system", title=STOCK_TITLE, priority="normal",
                      message="Order more before Friday 📦", coalesce_key="stock:paper",
                      related_object_type=STOCK_ITEM[0], related_object_id=STOCK_ITEM[1])


def remind(notification_id: int) -> None:
    """Its last push (none yet: its creation) was a reminder interval ago; beat's task does the rest."""
    due = timezone.now() - timedelta(seconds=settings.NOTIFY_REMIND_SECONDS + 60)
    assert InAppNotification.objects.filter(pk=notification_id).update(reminded_at=due) == 1
    celery_app.send_task(SEND_REMINDERS)


def resolve(related_object_type: str, related_object_id: str, reason: str = "") -> None:
    celery_app.send_task(RESOLVE, kwargs={"related_object_type": related_object_type,
                                          "related_object_id": int(related_object_id), "reason": reason})


COMMANDS = {
    "@@notify": lambda user_id: send_notification(int(user_id)),
    "@@notify_ack": lambda user_id: send_notice_to_acknowledge(int(user_id)),
    "@@notify_coalesced": lambda user_id: send_stock_alert(int(user_id)),
    "@@remind": lambda notification_id: remind(int(notification_id)),
    "@@resolve": resolve,
}


def answer(line: str) -> None:
    """Does what one "@@<command> <arguments>" line asks; `@@resolve`'s reason may hold spaces."""
    command, *arguments = line.split(maxsplit=3)
    COMMANDS[command](*arguments)


@pytest.mark.timeout(SCRIPT_TIMEOUT_SECONDS + 300)
def test_two_people_use_the_demo_page(stack, make_user):
    ensure_web_tooling()
    users = [make_user("Alice", last_name="Anders"), make_user("Bob", last_name="Brown"),
             make_user("Carol", last_name="Clark")]
    env = {
        "E2E_BASE_URL": stack.http_url, "E2E_USERS": users_json(users),
        "E2E_SCREENSHOTS": str(SCREENSHOTS), "E2E_NOTIFICATION_TITLE": NOTIFICATION_TITLE,
        "E2E_ACK_TITLE": ACK_TITLE, "E2E_STOCK_TITLE": STOCK_TITLE, "E2E_STOCK_ITEM": " ".join(map(str, STOCK_ITEM)),
    }
    output = run_browser_script("tests/demo.browser.js", env, timeout=SCRIPT_TIMEOUT_SECONDS, answer=answer)
    assert "demo page: all steps passed" in output
