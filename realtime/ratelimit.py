"""Per-user rate limits shared by every server process (a fixed window counter in Redis), and a
per-socket one in process for frames answered without Redis."""
from __future__ import annotations

import time

from core.redis import async_client

# One round trip per frame; the window's first frame gives the key its lifetime.
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/min' -> (60, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit.strip().lower()]


async def allow(*, family: str, user_id: int, rate: str) -> bool:
    limit, window = parse_rate(rate)
    bucket = int(time.time() // window)
    key = f"ws:rate:{family}:{user_id}:{bucket}"
    count: int = await async_client().eval(_COUNT_IN_WINDOW, 1, key, str(window + 1))  # type: ignore[misc]
    return count <= limit


class LocalWindow:
    """A fixed window counter for one socket, in this process."""

    def __init__(self, rate: str) -> None:
        self.limit, self.window = parse_rate(rate)
        self.bucket, self.count = -1, 0

    def allow(self) -> bool:
        bucket = int(time.monotonic() // self.window)
        if bucket != self.bucket:
            self.bucket, self.count = bucket, 0
        self.count += 1
        return self.count <= self.limit
