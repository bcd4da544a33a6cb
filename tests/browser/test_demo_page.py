"""The demo page end to end: two people in headless Chromium against the real server and worker.

The browser script (web/tests/demo.browser.js) drives both pages: messages, ticks, typing, the
bell, attachments, a network drop, then a reply, an edit, a reaction, a deletion, a mute and a
block, each seen on the other page. This test starts the stack, makes the users, and answers the
script's "@@notify <user id>" line by sending a notification through the Celery task API, as
another ERP module would. Screenshots: tests/artifacts/screenshots/.
"""
from __future__ import annotations

import os
import subprocess
import threading

import pytest

from config.celery_app import app as celery_app
from tests.browser.support import NODE, SCREENSHOTS, WEB, ensure_web_tooling, users_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATION_TITLE = "Timetable published"
SCRIPT_TIMEOUT_SECONDS = 300


def send_notification(user_id: int) -> None:
    celery_app.send_task("notifications.send_notification", kwargs={
        "recipient_ids": [user_id], "notification_type": "announcement", "title": NOTIFICATION_TITLE,
        "message": "The spring timetable is out 📅", "priority": "high",
    })


@pytest.mark.timeout(SCRIPT_TIMEOUT_SECONDS + 300)
def test_two_people_use_the_demo_page(stack, make_user):
    ensure_web_tooling()
    users = [make_user("Alice", last_name="Anders"), make_user("Bob", last_name="Brown"),
             make_user("Carol", last_name="Clark")]
    env = {
        **os.environ, "E2E_BASE_URL": stack.http_url, "E2E_USERS": users_json(users),
        "E2E_SCREENSHOTS": str(SCREENSHOTS), "E2E_NOTIFICATION_TITLE": NOTIFICATION_TITLE,
    }
    script = subprocess.Popen(
        [*NODE, "tests/demo.browser.js"], cwd=WEB, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    watchdog = threading.Timer(SCRIPT_TIMEOUT_SECONDS, script.kill)
    watchdog.start()
    lines = []
    try:
        for line in script.stdout:
            lines.append(line)
            if line.startswith("@@notify "):
                send_notification(int(line.split()[1]))
        script.wait()
    finally:
        watchdog.cancel()
    output = "".join(lines)
    print(output)
    assert script.returncode == 0, f"the browser script failed:\n{output[-8000:]}"
    assert "demo page: all steps passed" in output
