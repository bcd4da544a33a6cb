"""The missed-message email (docs/notifications.md): beat's task, run by a real worker, sends one
plain-text digest through a real SMTP server process (aiosmtpd) that the test starts."""
from __future__ import annotations

import asyncio
import mailbox
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from chat.models import ChatMessage, ConversationMute, UserBlock
from chat.tasks import QUEUE_EMAIL_DIGESTS
from notifications.models import InAppNotification, NotificationPreference
from tests import factories
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE_TEXT = "<script>alert('x')</script> the <b>quarterly</b> report\r\nBcc: everyone@example.com"


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server on the port the test stack's workers send to; its mail lands in a Maildir."""
    maildir = tmp_path / "mail"
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
         "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection((settings.EMAIL_HOST, settings.EMAIL_PORT), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "the SMTP server did not start"
            time.sleep(0.1)
    yield mailbox.Maildir(maildir)
    server.terminate()
    server.wait(timeout=10)


def long_ago(*rows) -> None:
    """Moves messages and notifications back past NOTIFY_EMAIL_AFTER_SECONDS."""
    then = timezone.now() - timedelta(seconds=settings.NOTIFY_EMAIL_AFTER_SECONDS + 60)
    for row in rows:
        if isinstance(row, ChatMessage):
            ChatMessage.objects.filter(pk=row.pk).update(timestamp=then)
        else:
            InAppNotification.objects.filter(pk=row.pk).update(created_at=then)


async def test_one_plain_digest_of_what_stayed_unread_per_interval(stack, make_user, smtp_server):
    alice = make_user("Alice", email="alice@example.com")
    bob, carol, dave = (factories.make_user(name) for name in ("Bob", "Carol", "Dave"))
    erin = make_user("Erin", email="erin@example.com")
    missed = factories.make_message(bob, alice.user, HOSTILE_TEXT)
    muted = factories.make_message(carol, alice.user, "muted chatter")
    ConversationMute.objects.create(conversation=muted.conversation, user=alice.user, until=None)
    blocked = factories.make_message(dave, alice.user, "from someone blocked")
    UserBlock.objects.create(blocker=alice.user, blocked=dave)
    read = factories.make_message(bob, alice.user, "read already", read=True)
    urgent = factories.make_notification(alice.user, "Server room flooded", priority="urgent", message="Evacuate")
    low = factories.make_notification(alice.user, "Cake in the kitchen", priority="low")
    long_ago(missed, muted, blocked, read, urgent, low, factories.make_message(bob, erin.user, "for Erin"))
    factories.make_message(bob, alice.user, "too recent to mail")
    assert erin.rest(stack).patch("/api/v1/communication/notifications/preferences/",
                                  {"email_digest": False}).json() == {"email_digest": False, "last_digest_at": None}

    current_app.send_task(QUEUE_EMAIL_DIGESTS)
    await eventually(lambda: len(smtp_server) == 1, timeout=30)

    [email] = smtp_server.values()
    assert email["To"] == "alice@example.com" and email["From"] == settings.DEFAULT_FROM_EMAIL
    assert email.get_content_type() == "text/plain" and not email.is_multipart()
    assert email["Bcc"] is None and email["Subject"] == "You have 1 unread message(s) and 1 notification(s)"
    body = email.get_payload(decode=True).decode()
    assert "Bob (" in body and "<script>alert('x')</script> the <b>quarterly</b> report Bcc: everyone@example.com" in body
    assert "[urgent] Server room flooded: Evacuate" in body
    for left_out in ("muted chatter", "from someone blocked", "read already", "too recent", "Cake", "for Erin"):
        assert left_out not in body
    assert NotificationPreference.objects.get(user_id=alice.id).last_digest_at is not None

    # Within the interval nothing more is sent, even with something new to tell.
    long_ago(factories.make_message(bob, alice.user, "another one"))
    current_app.send_task(QUEUE_EMAIL_DIGESTS)
    await asyncio.sleep(3)
    assert len(smtp_server) == 1


async def test_the_digest_preference_refuses_bad_input(stack, make_user):
    alice = make_user("Alice", email="alice@example.com")
    url = "/api/v1/communication/notifications/preferences/"
    assert alice.rest(stack).get(url).json() == {"email_digest": True, "last_digest_at": None}
    for body in ({"email_digest": "nope"}, {"email_digest": 1}, {}):
        response = alice.rest(stack).patch(url, body)
        assert response.status_code == 400 and response.json()["code"] == "validation_error", body
