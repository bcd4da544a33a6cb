"""Heartbeat, grace and the beat sweep, with shortened timings on processes of this module's own.

These servers, worker and beat run on a private Redis server, so that no other worker (with the
normal timings) takes their tasks, and so that the sweep sees only this module's sockets.
"""
from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis

from core.timestamps import iso_z
from tests.conftest import close_other_sessions
from tests.support.presence import assert_answers, befriend, read_presence, wait_for_presence
from tests.support.stack import LOG_DIR, AsgiServer, CeleryBeat, CeleryWorker, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 6.0
SWEEP_SECONDS = 2.0
GRACE_SECONDS = 5.0
# The longest a dead socket can keep its user online: stale, then the next sweep, then the worker.
OFFLINE_DEADLINE = STALE_SECONDS + SWEEP_SECONDS + 30
# Announcements go through the worker: generous on a loaded machine.
ANNOUNCE_TIMEOUT = 30


@dataclass
class FastStack:
    redis_url: str
    env: dict[str, str]
    server: AsgiServer

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, decode_responses=True)


@pytest.fixture(scope="module")
def private_redis():
    port = free_port()
    log = open(LOG_DIR / "presence-redis.log", "ab")  # noqa: SIM115 - redis-server writes to it until the test ends
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    wait_until(lambda: _pings(client), timeout=15, what="the private Redis")
    yield f"redis://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    log.close()


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="module")
def fast_stack(django_db_setup, django_db_blocker, private_redis):
    env = {
        "REDIS_URL": f"{private_redis}/0",
        "CELERY_BROKER_URL": f"{private_redis}/1",
        "CELERY_RESULT_BACKEND": f"{private_redis}/1",
        "PRESENCE_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "PRESENCE_STALE_SECONDS": str(STALE_SECONDS),
        "PRESENCE_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "PRESENCE_OFFLINE_GRACE_SECONDS": str(GRACE_SECONDS),
    }
    processes = [CeleryWorker("presence-worker", **env), CeleryBeat("presence-beat", **env)]
    try:
        server = AsgiServer("presence-asgi", **env)
        processes.append(server)
        yield FastStack(redis_url=f"{private_redis}/0", env=env, server=server)
    finally:
        for process in processes:
            process.stop()
        with django_db_blocker.unblock():
            close_other_sessions()


@pytest.fixture
def fast_redis(fast_stack):
    client = fast_stack.redis()
    client.flushdb()
    yield client
    client.close()


def about(user):
    return lambda frame: frame["user_id"] == user.id


async def test_a_reconnect_within_the_grace_period_tells_no_one(fast_stack, fast_redis, make_user, sockets):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    server = fast_stack.server
    bob_ws = await sockets(server.ws_url, bob)
    alice_ws = await sockets(server.ws_url, alice)
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True

    await alice_ws.close()
    alice_ws = await sockets(server.ws_url, alice)
    await bob_ws.expect_none("online_status_changed", within=GRACE_SECONDS + 3)
    await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(server), user=alice, online=True, sockets=1)

    closed_at = time.monotonic()
    await alice_ws.close()
    went_offline = await bob_ws.expect("online_status_changed", about(alice), timeout=GRACE_SECONDS + ANNOUNCE_TIMEOUT)
    assert went_offline["is_online"] is False
    # Never before the grace period is over (the upper bound depends on the machine's load).
    assert time.monotonic() - closed_at >= GRACE_SECONDS - 0.5
    await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(server), user=alice, online=False, sockets=0)


async def test_a_silent_socket_stays_online_past_the_staleness_window(fast_stack, fast_redis, make_user, sockets):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    server = fast_stack.server
    bob_ws = await sockets(server.ws_url, bob)
    await sockets(server.ws_url, alice)
    assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True
    opened = read_presence(fast_redis, alice.id)
    [(channel, first_beat)] = opened.connections.items()

    # Alice sends nothing for three staleness windows while the sweep runs every few seconds.
    deadline = time.monotonic() + 3 * STALE_SECONDS
    while time.monotonic() < deadline:
        state = read_presence(fast_redis, alice.id)
        assert state.online and list(state.connections) == [channel], state
        assert time.time() - state.connections[channel] < STALE_SECONDS, "the server stopped refreshing the heartbeat"
        await asyncio.sleep(0.5)

    assert read_presence(fast_redis, alice.id).connections[channel] > first_beat
    await bob_ws.expect_none("online_status_changed", about(alice), within=0)
    await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(server), user=alice, online=True, sockets=1)


async def test_kill_9_of_a_server_process_takes_its_users_offline_after_the_sweep(fast_stack, fast_redis, make_user, sockets):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    befriend(alice, bob, carol)
    survivor = fast_stack.server
    doomed = AsgiServer("presence-asgi-doomed", **fast_stack.env)
    try:
        bob_ws = await sockets(survivor.ws_url, bob)
        await sockets(doomed.ws_url, alice)
        await sockets(doomed.ws_url, carol)
        await sockets(survivor.ws_url, carol)
        announced = {frame["user_id"] for frame in [
            await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT),
            await bob_ws.expect("online_status_changed", about(carol), timeout=ANNOUNCE_TIMEOUT),
        ]}
        assert announced == {alice.id, carol.id}
        await wait_for_presence(fast_redis, carol.id, sockets=2)
        await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(survivor), user=alice, online=True, sockets=1)

        doomed.kill(signal.SIGKILL)
        killed_at = iso_z(datetime.now(UTC))
        # Until the sweep, the dead socket's entry stands and every answer still agrees with it.
        state = read_presence(fast_redis, alice.id)
        assert state.online and len(state.connections) == 1

        went_offline = await bob_ws.expect("online_status_changed", about(alice), timeout=OFFLINE_DEADLINE)
        assert went_offline["is_online"] is False
        status = await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(survivor), user=alice, online=False, sockets=0)
        # last_seen is the dead process's last heartbeat, not the time of the sweep.
        assert status["last_seen"] <= killed_at

        # Carol's socket on the surviving process keeps her online; her dead one is swept too.
        await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(survivor), user=carol, online=True, sockets=1)
        await bob_ws.expect_none("online_status_changed", about(carol), within=SWEEP_SECONDS + 1)
    finally:
        doomed.stop()


async def test_a_connection_over_the_cap_closes_the_oldest_and_keeps_the_user_online(fast_stack, fast_redis, make_user, sockets):
    alice, bob = make_user("Alice"), make_user("Bob")
    befriend(alice, bob)
    capped = AsgiServer("presence-asgi-capped", **fast_stack.env, WS_MAX_CONNECTIONS_PER_USER="2")
    try:
        bob_ws = await sockets(capped.ws_url, bob)
        oldest = await sockets(capped.ws_url, alice)
        assert (await bob_ws.expect("online_status_changed", about(alice), timeout=ANNOUNCE_TIMEOUT))["is_online"] is True
        await sockets(capped.ws_url, alice)
        await sockets(capped.ws_url, alice)

        assert await oldest.wait_closed() == 4029
        await bob_ws.expect_none("online_status_changed", about(alice), within=GRACE_SECONDS + 2)
        await assert_answers(fast_redis, viewer=bob, viewer_ws=bob_ws, rest=bob.rest(capped), user=alice, online=True, sockets=2)
    finally:
        capped.stop()
