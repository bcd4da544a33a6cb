"""The drop-in replacements of the source's React hooks (web/react/compat.js) end to end.

Two people in headless Chromium use the source's example ChatComponent and NotificationBell
(web/tests/compat/) against the real server and worker: ticks ✓ then ✓✓, typing shown past the
server's 5 s expiry, a network drop (every message once, the bell once, one socket per family per
page), a reload (presence and the bell's list loaded), and a page on a refused origin that does not
retry its handshake. The browser script is web/tests/compat.browser.js; this test starts the stack,
makes the users, and answers the script's "@@notify <user id>" lines through the Celery task API.

Screenshots: tests/artifacts/screenshots/compat-*.png.
"""
from __future__ import annotations

import os
import subprocess
import threading

import pytest

from config.celery_app import app as celery_app
from notifications.tasks import SEND_NOTIFICATION
from tests.browser.support import NODE, SCREENSHOTS, WEB, ensure_web_tooling, users_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATION_TITLE = "Timetable published"
SCRIPT_TIMEOUT_SECONDS = 240


def send_notification(user_id: int) -> None:
    celery_app.send_task(SEND_NOTIFICATION, kwargs={
        "recipient_ids": [user_id], "notification_type": "announcement", "title": NOTIFICATION_TITLE,
        "message": "The spring timetable is out 📅", "priority": "high",
    })


@pytest.mark.timeout(SCRIPT_TIMEOUT_SECONDS + 300)
def test_two_people_use_the_source_components_on_the_compat_hooks(stack, make_user):
    ensure_web_tooling()
    users = [make_user("Alice", last_name="Anders"), make_user("Bob", last_name="Brown")]
    env = {
        **os.environ, "E2E_BASE_URL": stack.http_url, "E2E_USERS": users_json(users),
        "E2E_SCREENSHOTS": str(SCREENSHOTS), "E2E_NOTIFICATION_TITLE": NOTIFICATION_TITLE,
    }
    script = subprocess.Popen(
        [*NODE, "tests/compat.browser.js"], cwd=WEB, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
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
        if script.poll() is None:
            script.kill()
    output = "".join(lines)
    print(output)
    assert script.returncode == 0, f"the browser script failed:\n{output[-8000:]}"
    assert "compat hooks: all steps passed" in output
