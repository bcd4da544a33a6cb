"""kombu's Redis transport with one crash on a lost broker connection fixed.

When the worker loses Redis, Celery 5.7 detaches the broken connection from its transport and
then closes it. Closing the channel restores the unacknowledged messages through a new pool built
from the transport's (now detached) connection: an AttributeError that ends the worker with
"Unrecoverable error" instead of letting it reconnect. Here that step fails with a connection
error, which kombu ignores while closing; the messages stay in Redis's unacked set and come back
after the visibility timeout, and the worker reconnects and consumes again.
"""
from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]  # kombu's private API


class Transport(kombu_redis.Transport):
    Channel = Channel
