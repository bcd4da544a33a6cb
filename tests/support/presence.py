"""Reads of the presence keys, to check that they agree with each other and with the answers."""
from __future__ import annotations

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
        """Online by every key at once; raises if the keys disagree (CONTRACT §6)."""
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
