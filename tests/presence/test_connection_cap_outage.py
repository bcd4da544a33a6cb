"""A socket that connects while Redis is away is not killed by the connection cap's check."""
from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError

from presence import services
from presence.consumers import PresenceMixin


async def test_the_cap_is_left_for_the_next_connect_while_redis_is_away(monkeypatch, caplog):
    async def unreachable(**kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(services, "evict_connections_over_cap", unreachable)
    socket = PresenceMixin()
    socket.user_id = 7

    await socket.close_connections_over_cap()

    assert "the connection cap was not checked" in caplog.text
