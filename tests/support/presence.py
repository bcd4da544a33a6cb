"""Reads of the presence keys, to check that they agree with each other and with the answers."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import redis

from presence import keys


@dataclass(frozen=True)
class PresenceKeys:
    connections: dict[str, float]
    in_online_set: bool
    online_key_ttl: int
    opened: list[str]
    announced_online: bool

    @property
    def online(self) -> bool:
        """Online by every key at once; raises if the keys disagree (docs/presence.md)."""
        online_key = self.online_key_ttl > 0
        assert bool(self.connections) == self.in_online_set == online_key, f"presence keys disagree: {self}"
        assert sorted(self.opened) == sorted(self.connections), f"opening order disagrees with entries: {self}"
        if online_key:
            assert self.online_key_ttl <= 300, self
        return self.in_online_set


def read_presence(client: redis.Redis, user_id: int) -> PresenceKeys:
    pipeline = client.pipeline(transaction=True)
    pipeline.hgetall(keys.connections(user_id))
    pipeline.sismember(keys.ONLINE_USERS, user_id)
    pipeline.ttl(keys.online(user_id))
    pipeline.zrange(keys.opened_order(user_id), 0, -1)
    pipeline.sismember(keys.ANNOUNCED_ONLINE, user_id)
    entries, in_set, ttl, opened, announced = pipeline.execute()
    return PresenceKeys(
        connections={channel: float(beat) for channel, beat in entries.items()},
        in_online_set=bool(in_set),
        online_key_ttl=ttl,
        opened=opened,
        announced_online=bool(announced),
    )


def befriend(*users) -> None:
    """Makes the users contacts of each other: each pair shares a conversation."""
    from chat.models import Conversation

    for index, one in enumerate(users):
        for other in users[index + 1 :]:
            low, high = sorted((one.id, other.id))
            Conversation.objects.get_or_create(participant1_id=low, participant2_id=high)


async def wait_for_presence(client: redis.Redis, user_id: int, *, sockets: int, timeout: float = 20.0) -> PresenceKeys:
    """Waits until the user has exactly `sockets` entries, then returns the (agreeing) keys."""
    deadline = time.monotonic() + timeout
    while True:
        state = read_presence(client, user_id)
        if len(state.connections) == sockets:
            assert state.online == (sockets > 0)
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"user {user_id} has {len(state.connections)} connections, not {sockets}: {state}")
        await asyncio.sleep(0.1)


async def assert_answers(client: redis.Redis, *, viewer, viewer_ws, rest, user, online: bool, sockets: int) -> dict:
    """The keys, get_online_status, online-users and the conversations list all say the same.

    Returns the online_status frame.
    """
    state = await wait_for_presence(client, user.id, sockets=sockets)
    assert state.online is online
    status = await viewer_ws.request({"type": "get_online_status", "user_id": user.id}, "online_status")
    assert status["user_id"] == user.id and status["is_online"] is online, status
    assert status["last_seen"].endswith("Z") and status["timestamp"].endswith("Z")
    online_users = rest.get("/api/v1/communication/chats/online-users/").json()["online_users"]
    assert (user.id in online_users) is online, online_users
    conversations = rest.get("/api/v1/communication/chats/conversations/").json()
    [other_user] = [c["other_user"] for c in conversations if c["other_user"]["id"] == user.id]
    assert other_user["is_online"] is online, conversations
    # Read again: the answers above agree with keys that did not move meanwhile.
    again = read_presence(client, user.id)
    assert (again.online, sorted(again.connections)) == (state.online, sorted(state.connections))
    return status
