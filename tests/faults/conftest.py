"""Fixtures for fault injection: private Redis/PostgreSQL and the processes pointed at them."""
from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings

from chat.models import ChatMessage
from tests.faults.infra import PrivateRedis
from tests.settings import SLOT
from tests.support.stack import AsgiServer, CeleryWorker, ManagedProcess

# Bursts of hundreds of messages are the point here, not the per-user limits.
UNLIMITED = {"WS_RATE_MESSAGE": "100000/min", "WS_RATE_OTHER": "100000/min", "WS_RATE_TYPING": "100000/min"}


class FaultStack:
    """Servers and workers on a private Redis (and the test database unless told otherwise)."""

    def __init__(self, redis: PrivateRedis, **environment: str) -> None:
        self.redis = redis
        self.environment = {**redis.environment(), **UNLIMITED, **environment}
        self.processes: list[ManagedProcess] = []

    def server(self, label: str = "asgi", **environment: str) -> AsgiServer:
        return self._started(AsgiServer(f"faults{SLOT}-{label}", **self.environment, **environment))

    def worker(self, label: str = "worker", **environment: str) -> CeleryWorker:
        return self._started(CeleryWorker(f"faults{SLOT}-{label}", **self.environment, **environment))

    def _started(self, process):
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture(scope="session", autouse=True)
def release_test_database(django_db_setup):
    """Killed processes and async tests leave sessions that would block dropping the database."""
    yield
    database = settings.DATABASES["default"]
    with psycopg.connect(host=database["HOST"], port=database["PORT"], user=database["USER"],
                         dbname="postgres", autocommit=True) as connection:
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                           (database["TEST"]["NAME"],))


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    yield redis
    redis.destroy()


@pytest.fixture
def fault_stack(private_redis) -> Iterator[FaultStack]:
    stack = FaultStack(private_redis)
    yield stack
    stack.stop()


def stored_sends(sender_id: int) -> list[ChatMessage]:
    return list(ChatMessage.objects.filter(sender_id=sender_id).order_by("id"))
