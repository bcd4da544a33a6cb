"""`notify()` hands its notifications over through an outbox row written in the caller's
transaction: a broker that is down when the caller commits loses nothing and breaks nothing in the
caller, and the outbox sweep delivers what the commit could not enqueue, once."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from notifications.models import InAppNotification, NotificationOutbox
from tests.support.stack import ROOT, free_port, process_environment
from tests.support.ws import eventually
from workers.tasks.notifications import sweep_outbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"

# An ERP module's code in its own process, whose broker is unreachable: nothing listens on the port.
CALLER = """
import json, sys
import django
django.setup()
from django.db import transaction
from notifications.services import notify

later_hooks = []
with transaction.atomic():
    accepted = notify([int(sys.argv[1])], notification_type="notice", title="Broker down", message="Still delivered")
    transaction.on_commit(lambda: later_hooks.append("ran"))
print(json.dumps({"accepted": accepted, "later_hooks": later_hooks}))
"""


def notify_with_the_broker_down(user_id: int) -> dict:
    env = process_environment(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
                              NOTIFICATION_OUTBOX_RETRY_SECONDS="0")
    caller = subprocess.run([sys.executable, "-c", CALLER, str(user_id)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert caller.returncode == 0, caller.stderr[-3000:]
    return json.loads(caller.stdout.splitlines()[-1])


async def test_a_notification_accepted_while_the_broker_is_down_is_delivered_once_by_the_sweep(stack, make_user, ws):
    alice = make_user()
    bell = await ws(alice, NOTIFICATIONS)

    assert notify_with_the_broker_down(alice.id) == {"accepted": 1, "later_hooks": ["ran"]}
    assert NotificationOutbox.objects.count() == 1 and not InAppNotification.objects.exists()

    sweep_outbox.delay()

    pushed = (await bell.expect("notification"))["notification"]
    assert (pushed["title"], pushed["message"]) == ("Broker down", "Still delivered")
    await eventually(lambda: not NotificationOutbox.objects.exists())
    sweep_outbox.delay()
    await bell.expect_none("notification")
    assert list(InAppNotification.objects.values_list("id", flat=True)) == [pushed["id"]]
