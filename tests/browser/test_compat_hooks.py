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

import re

import pytest

from config.celery_app import app as celery_app
from notifications.tasks import SEND_NOTIFICATION
from tests.browser.support import SCREENSHOTS, ensure_web_tooling, run_browser_script, run_node, users_json

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
        "E2E_BASE_URL": stack.http_url, "E2E_USERS": users_json(users),
        "E2E_SCREENSHOTS": str(SCREENSHOTS), "E2E_NOTIFICATION_TITLE": NOTIFICATION_TITLE,
    }

    def answer(line: str) -> None:
        if line.startswith("@@notify "):
            send_notification(int(line.split()[1]))

    output = run_browser_script("tests/compat.browser.js", env, timeout=SCRIPT_TIMEOUT_SECONDS, answer=answer)
    assert "compat hooks: all steps passed" in output


def test_use_web_socket_on_another_url_queues_what_is_sent_before_it_opens():
    """web/tests/compat.test.js, in Node with jsdom and a stand-in WebSocket: no server needed."""
    ensure_web_tooling()
    result = run_node(["--test", "--test-reporter=spec", "tests/compat.test.js"],
                      env={"E2E_BASE_URL": "http://erp.example.test", "E2E_USERS": "[]"}, timeout=120)
    counts = {name: int(count) for name, count in re.findall(r"^ℹ (\w+) (\d+)$", result.stdout, re.M)}
    assert counts["fail"] == 0 and counts["pass"] >= 1, counts
