"""The presence transitions in Lua, against real Redis: every key agrees with the entries after each."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from core.redis import async_client, sync_client
from presence import keys, scripts, selectors, services
from tests.support.presence import read_presence

USER = 41
OTHER = 42


def backdate(user_id: int, channel: str, seconds: float) -> None:
    """Makes one entry look as if its process stopped beating `seconds` ago."""
    sync_client().hset(keys.connections(user_id), channel, f"{time.time() - seconds:.6f}")


def announce(user_id: int, grace: float) -> list[int]:
    return scripts.ANNOUNCE.run(sync_client(), keys.announcement_keys(user_id), [user_id, grace])


async def test_first_socket_brings_the_user_online_and_the_second_does_not():
    assert await services.touch_connection(user_id=USER, connection="tab-1") is True
    state = read_presence(sync_client(), USER)
    assert state.online and list(state.connections) == ["tab-1"]
    assert 290 < state.online_key_ttl <= 300
    assert abs(state.connections["tab-1"] - time.time()) < 5

    assert await services.touch_connection(user_id=USER, connection="tab-2") is False
    assert await services.touch_connection(user_id=USER, connection="tab-1") is False
    state = read_presence(sync_client(), USER)
    assert state.online and sorted(state.connections) == ["tab-1", "tab-2"]
    assert not read_presence(sync_client(), OTHER).online


async def test_closing_one_of_two_sockets_keeps_the_user_online_and_the_last_takes_them_offline():
    await services.touch_connection(user_id=USER, connection="tab-1")
    await services.touch_connection(user_id=USER, connection="tab-2")

    assert await services.close_connection(user_id=USER, connection="tab-1") is False
    state = read_presence(sync_client(), USER)
    assert state.online and list(state.connections) == ["tab-2"]

    before_close = time.time()
    assert await services.close_connection(user_id=USER, connection="tab-2") is True
    assert not read_presence(sync_client(), USER).online
    assert float(sync_client().get(keys.last_seen(USER))) >= before_close - 1
    assert sync_client().exists(keys.connections(USER), keys.online(USER), keys.opened_order(USER)) == 0


async def test_closing_an_unknown_or_already_closed_socket_changes_nothing():
    assert await services.close_connection(user_id=USER, connection="never-opened") is False
    await services.touch_connection(user_id=USER, connection="tab-1")
    assert await services.close_connection(user_id=USER, connection="never-opened") is False
    assert read_presence(sync_client(), USER).online
    assert await services.close_connection(user_id=USER, connection="tab-1") is True
    assert await services.close_connection(user_id=USER, connection="tab-1") is False
    assert not read_presence(sync_client(), USER).online


async def test_sweep_takes_out_stale_entries_only_and_reports_who_went_offline():
    await services.touch_connection(user_id=USER, connection="dead")
    await services.touch_connection(user_id=USER, connection="alive")
    await services.touch_connection(user_id=OTHER, connection="dead-too")
    backdate(USER, "dead", 60)
    backdate(OTHER, "dead-too", 60)

    assert services.sweep_stale_connections(batch_size=1, stale_after=30) == [OTHER]

    user, other = read_presence(sync_client(), USER), read_presence(sync_client(), OTHER)
    assert user.online and list(user.connections) == ["alive"]
    assert not other.online
    assert services.sweep_stale_connections(batch_size=1, stale_after=30) == []


async def test_sweep_repairs_a_user_left_in_the_online_set_without_entries():
    sync_client().sadd(keys.ONLINE_USERS, USER)
    assert services.sweep_stale_connections(batch_size=10, stale_after=30) == [USER]
    assert not read_presence(sync_client(), USER).online


async def test_last_seen_of_a_swept_user_is_their_last_heartbeat():
    await services.touch_connection(user_id=USER, connection="dead")
    sync_client().set(keys.last_seen(USER), f"{time.time() - 60:.6f}")
    backdate(USER, "dead", 60)
    services.sweep_stale_connections(batch_size=10, stale_after=30)
    assert float(sync_client().get(keys.last_seen(USER))) < time.time() - 59


async def test_a_heartbeat_after_a_sweep_brings_a_stalled_socket_back():
    await services.touch_connection(user_id=USER, connection="stalled")
    backdate(USER, "stalled", 60)
    services.sweep_stale_connections(batch_size=10, stale_after=30)
    assert await services.touch_connection(user_id=USER, connection="stalled") is True
    assert read_presence(sync_client(), USER).online


async def test_two_overlapping_sweeps_report_every_user_exactly_once():
    user_ids = list(range(1000, 1300))
    for user_id in user_ids:
        await services.touch_connection(user_id=user_id, connection=f"dead-{user_id}")
        backdate(user_id, f"dead-{user_id}", 60)
    results: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def sweep(slot: int) -> None:
        start.wait()
        results[slot] = services.sweep_stale_connections(batch_size=25, stale_after=30)

    threads = [threading.Thread(target=sweep, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results[0] + results[1]) == user_ids
    assert not any(read_presence(sync_client(), user_id).online for user_id in user_ids)


async def test_eviction_keeps_exactly_the_newest_connections_up_to_the_cap():
    for channel in ("oldest", "middle", "newest"):
        await services.touch_connection(user_id=USER, connection=channel)
        time.sleep(0.002)

    assert await services.evict_connections_over_cap(user_id=USER, cap=2) == ["oldest"]
    state = read_presence(sync_client(), USER)
    assert state.online and sorted(state.connections) == ["middle", "newest"]
    assert await services.evict_connections_over_cap(user_id=USER, cap=2) == []


def marks(user_id: int) -> set[str]:
    return sync_client().smembers(keys.notification_sockets(user_id))


async def test_a_user_has_a_chat_socket_while_any_entry_is_not_a_marked_notification_socket():
    assert selectors.with_chat_socket_among([USER, OTHER]) == set()
    await services.touch_connection(user_id=USER, connection="bell")
    await services.mark_notification_socket(user_id=USER, connection="bell")
    await services.touch_connection(user_id=OTHER, connection="chat")
    assert selectors.with_chat_socket_among([USER, OTHER]) == {OTHER}
    assert selectors.online_among([USER, OTHER]) == {USER, OTHER}

    await services.touch_connection(user_id=USER, connection="chat")
    assert selectors.with_chat_socket_among([USER, OTHER]) == {USER, OTHER}
    await services.close_connection(user_id=USER, connection="chat")
    assert selectors.with_chat_socket_among([USER]) == set()


async def test_a_mark_is_written_only_for_a_live_entry_and_goes_with_it():
    await services.mark_notification_socket(user_id=USER, connection="never-opened")
    assert marks(USER) == set()

    for channel in ("bell-1", "bell-2", "bell-3"):
        await services.touch_connection(user_id=USER, connection=channel)
        await services.mark_notification_socket(user_id=USER, connection=channel)
        time.sleep(0.002)
    assert await services.evict_connections_over_cap(user_id=USER, cap=2) == ["bell-1"]
    assert marks(USER) == {"bell-2", "bell-3"}
    await services.close_connection(user_id=USER, connection="bell-2")
    assert marks(USER) == {"bell-3"}
    await services.close_connection(user_id=USER, connection="bell-3")
    assert not sync_client().exists(keys.notification_sockets(USER))


async def test_a_stalled_notification_socket_keeps_its_mark_and_marks_go_when_the_user_goes_offline():
    for channel in ("stalled-bell", "dead-bell"):
        await services.touch_connection(user_id=USER, connection=channel)
        await services.mark_notification_socket(user_id=USER, connection=channel)
    await services.touch_connection(user_id=USER, connection="live-bell")
    await services.mark_notification_socket(user_id=USER, connection="live-bell")
    backdate(USER, "stalled-bell", 60)
    backdate(USER, "dead-bell", 60)
    services.sweep_stale_connections(batch_size=10, stale_after=30)

    await services.touch_connection(user_id=USER, connection="stalled-bell")
    assert selectors.with_chat_socket_among([USER]) == set()

    for channel in ("stalled-bell", "live-bell"):
        backdate(USER, channel, 60)
    assert services.sweep_stale_connections(batch_size=10, stale_after=30) == [USER]
    assert not sync_client().exists(keys.notification_sockets(USER))


async def test_announce_reports_real_transitions_once_and_waits_out_the_grace():
    assert announce(USER, grace=0) == [0, 0]
    await services.touch_connection(user_id=USER, connection="tab-1")
    assert announce(USER, grace=0) == [1, 0]
    assert announce(USER, grace=0) == [0, 0]
    assert read_presence(sync_client(), USER).announced_online

    await services.close_connection(user_id=USER, connection="tab-1")
    change, wait_ms = announce(USER, grace=30)
    assert change == 0 and 25_000 < wait_ms <= 30_000
    assert announce(USER, grace=0) == [-1, 0]
    assert announce(USER, grace=0) == [0, 0]
    assert not read_presence(sync_client(), USER).announced_online


async def test_a_reconnect_within_the_grace_needs_no_announcement():
    await services.touch_connection(user_id=USER, connection="tab-1")
    announce(USER, grace=0)
    await services.close_connection(user_id=USER, connection="tab-1")
    await services.touch_connection(user_id=USER, connection="tab-2")
    assert announce(USER, grace=30) == [0, 0]


def test_overlapping_announcers_send_once():
    sync_client().sadd(keys.ONLINE_USERS, USER)
    changes: list[int] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        changes.append(announce(USER, grace=0)[0])

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(changes) == [0] * 7 + [1]


async def test_unannounced_users_lists_both_directions_of_a_missed_announcement():
    await services.touch_connection(user_id=USER, connection="tab-1")
    await services.touch_connection(user_id=OTHER, connection="tab-1")
    announce(OTHER, grace=0)
    assert services.unannounced_users(batch_size=1) == [USER]

    announce(USER, grace=0)
    await services.close_connection(user_id=OTHER, connection="tab-1")
    assert services.unannounced_users(batch_size=1) == [OTHER]


async def test_a_script_unknown_to_redis_is_loaded_on_first_use():
    # The script cache is server-wide and shared, so it is never flushed here: a fresh script is
    # as unknown to Redis as every script is after a restart.
    script = scripts.LuaScript(f"return ARGV[1] .. '{uuid.uuid4().hex}'")
    assert sync_client().script_exists(script.sha) == [False]
    assert script.run(sync_client(), [], ["x"]).startswith("x")
    fresh = scripts.LuaScript(f"return ARGV[1] .. '{uuid.uuid4().hex}'")
    assert (await fresh.arun(async_client(), [], ["y"])).startswith("y")


@pytest.mark.parametrize("cap", [1, 3])
async def test_eviction_never_takes_the_user_offline(cap):
    for index in range(cap + 2):
        await services.touch_connection(user_id=USER, connection=f"socket-{index}")
        time.sleep(0.002)
    evicted = await services.evict_connections_over_cap(user_id=USER, cap=cap)
    assert evicted == ["socket-0", "socket-1"]
    state = read_presence(sync_client(), USER)
    assert state.online and len(state.connections) == cap
