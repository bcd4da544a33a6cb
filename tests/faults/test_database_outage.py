"""PostgreSQL stopped for 30 s under traffic: no false `message_sent`, everything queued is stored
once when it returns, and the logs report the outage instead of flooding.

The cluster is private to this module (the machine's PostgreSQL is shared and must not be touched).
"""
from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from tests.faults.clients import ChatClient, wait_for
from tests.faults.conftest import FaultStack
from tests.faults.infra import PrivatePostgres
from tests.support.stack import ROOT, process_environment
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

OUTAGE_SECONDS = 30
NOISY_LINE = re.compile(r" (WARNING|ERROR|CRITICAL) |Traceback")
# One throttled line per process and kind every 30 s, plus the odd retry notice: far below a storm.
MAX_NOISY_LINES = 40


@dataclass
class PrivateUser:
    id: int
    token: str


@pytest.fixture(scope="module")
def postgres():
    cluster = PrivatePostgres()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, capture_output=True,
                   env=process_environment(DATABASE_URL=cluster.url), timeout=180)
    yield cluster
    cluster.destroy()


def create_user(postgres: PrivatePostgres, name: str) -> PrivateUser:
    username = f"{name.lower()}-{secrets.token_hex(4)}"
    (user_id,), = postgres.query(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,"
        " date_joined) VALUES ('!', false, %s, %s, '', '', false, true, now()) RETURNING id", (username, name))
    token = secrets.token_hex(20)
    postgres.query("INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, now(), %s) RETURNING key",
                   (token, user_id))
    return PrivateUser(user_id, token)


def noisy_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if NOISY_LINE.search(line)]


async def test_database_stopped_for_30_seconds(postgres, private_redis):
    stack = FaultStack(private_redis, DATABASE_URL=postgres.url)
    try:
        worker, server = stack.worker("pg-worker"), stack.server("pg-asgi")
        alice, bob = create_user(postgres, "Alice"), create_user(postgres, "Bob")
        sender, receiver = await ChatClient.open(alice, server), await ChatClient.open(bob, server)
        for number in range(10):
            await sender.send(receiver_id=bob.id, text=f"before {number}", temp_id=f"before-{number}")
        await sender.deliver_everything(timeout=60)

        log_marks = {process.name: len(process.log_text()) for process in (worker, server)}
        postgres.stop()
        stopped_at = time.monotonic()
        try:
            for number in range(OUTAGE_SECONDS):
                await sender.send(receiver_id=bob.id, text=f"during {number}", temp_id=f"during-{number}")
                await asyncio.sleep(1)
            # A new socket cannot have its token checked: "try again later", not "bad token" (after
            # the server's wait for a pooled connection).
            newcomer = await WsClient.connect(server.ws_url, "/ws/chat/", bob.token, open_timeout=60)
            assert await newcomer.wait_closed(timeout=60) == 1013
            assert newcomer.frames[-1]["code"] == "server_error"
            acknowledged_early = {temp_id for temp_id in sender.acknowledged() if temp_id.startswith("during-")}
            assert not acknowledged_early, "message_sent for a message PostgreSQL could not have stored"
        finally:
            postgres.start()
        restarted_at = time.monotonic()
        # Queued work drains by itself; the client does not re-send anything.
        await sender.deliver_everything(timeout=120, resend_after=600)
        drained_at = time.monotonic()

        rows = postgres.query("SELECT temp_id, id FROM chat_message WHERE sender_id = %s", (alice.id,))
        assert len(rows) == 10 + OUTAGE_SECONDS
        assert dict(rows) == sender.acknowledged()
        await wait_for(lambda: receiver.received_ids() >= set(sender.acknowledged().values()), timeout=60,
                       what="the receiver to have every message")

        noisy = {process.name: noisy_lines(process.log_text()[log_marks[process.name]:]) for process in (worker, server)}
        print(f"\ndatabase outage: {stopped_at and restarted_at - stopped_at:.0f} s down, queue drained "
              f"{drained_at - restarted_at:.1f} s after restart, {sender.failures_reported} failures reported, "
              f"warning/error lines: " + ", ".join(f"{name} {len(lines)}" for name, lines in noisy.items()))
        assert sum(len(lines) for lines in noisy.values()) <= MAX_NOISY_LINES, noisy
        await sender.close()
        await receiver.close()
    finally:
        stack.stop()


async def test_a_send_that_cannot_wait_out_the_outage_is_reported_failed_then_resent(postgres, private_redis):
    # A worker that gives up quickly: one retry, one second of waiting for the database.
    stack = FaultStack(private_redis, DATABASE_URL=postgres.url)
    try:
        stack.worker("pg-impatient-worker", WORKER_DATABASE_WAIT_SECONDS="1", CELERY_TASK_MAX_RETRIES="1",
                     CELERY_TASK_RETRY_BACKOFF_MAX="1")
        server = stack.server("pg-impatient-asgi")
        alice, bob = create_user(postgres, "Alice"), create_user(postgres, "Bob")
        sender = await ChatClient.open(alice, server)

        postgres.stop()
        try:
            for number in range(5):
                await sender.send(receiver_id=bob.id, text=f"doomed {number}", temp_id=f"doomed-{number}")
            await wait_for(lambda: sender.reported_failed() == set(sender.outbox), timeout=90,
                           what="every send to be reported failed")
            assert not sender.acknowledged()
        finally:
            postgres.start()

        await sender.deliver_everything(timeout=90, resend_after=30)
        rows = postgres.query("SELECT temp_id, id FROM chat_message WHERE sender_id = %s", (alice.id,))
        assert dict(rows) == sender.acknowledged() and len(rows) == 5
        await sender.close()
    finally:
        stack.stop()
