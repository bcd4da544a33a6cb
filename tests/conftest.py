"""Fixtures: real PostgreSQL (pytest-django's test database), real Redis, real processes."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
import redis
import requests
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core.management.base import CommandError
from django.db.utils import OperationalError
from django.test import Client as DjangoTestClient
from django.test import TransactionTestCase
from django.urls import Resolver404, resolve

from core.redis import sync_client
from tests import factories
from tests.support import ws as ws_support
from tests.support.stack import AsgiServer, CeleryWorker
from tests.support.timestamps import timestamp_violations
from tests.support.ws import WsClient

# `published` and `committed`: what a service would push to sockets, in-process.
pytest_plugins = ["tests.support.capture"]


@dataclass
class Stack:
    server: AsgiServer
    worker: CeleryWorker

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url


@pytest.fixture(scope="session")
def stack(django_db_setup, django_db_blocker):
    """One ASGI server and one Celery worker for the whole run, on the test database."""
    worker = CeleryWorker()
    server = AsgiServer()
    yield Stack(server=server, worker=worker)
    server.stop()
    worker.stop()
    with django_db_blocker.unblock():
        close_other_sessions()


def close_other_sessions() -> None:
    """Lets pytest-django drop the test database: killed processes' backends linger briefly, and
    async tests hold connections of their own (Django keeps one per async context).

    The thread that runs async tests' `sync_to_async` calls keeps its connection from test to
    test; it is closed too, so that the next test there opens a live one instead of failing on
    the terminated one ("the connection is closed")."""
    from django.db import connection, connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


FLUSH_ATTEMPTS = 3


@pytest.fixture(scope="session", autouse=True)
def flush_survives_a_deadlock():
    """A transactional test's flush TRUNCATEs every table; a task of the test that a worker still
    runs (a closed socket's last receipts, its presence announcement) can take row locks in the
    opposite order, and PostgreSQL then aborts one of the two. When it aborts the flush, the flush
    (one transaction, rolled back) is tried again once the task has finished."""
    flush = TransactionTestCase._fixture_teardown

    def flush_again_after_a_deadlock(test_case):
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                return flush(test_case)
            except CommandError as error:
                if attempt == FLUSH_ATTEMPTS or not isinstance(error.__cause__, OperationalError):
                    raise
                time.sleep(0.5 * attempt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", flush_again_after_a_deadlock)
        yield


@pytest.fixture(autouse=True)
def what_the_test_received_follows_the_contract():
    """Every frame a test client receives must be one that docs/asyncapi.yaml describes, and every
    timestamp in a frame or a REST body must be in the contract's one format."""
    already = len(ws_support.CONTRACT_VIOLATIONS)
    yield
    violations = ws_support.CONTRACT_VIOLATIONS[already:]
    assert not violations, "received frames or bodies that break the contract:\n" + "\n".join(violations)


@pytest.fixture(scope="session", autouse=True)
def http_bodies_are_checked():
    """JSON bodies that tests receive from the project over HTTP join the frames in that check,
    whichever client got them: RestClient and plain `requests` calls (both end in `Session.send`)
    and Django's test clients (`APIClient` too ends in `Client.request`). Other servers' bodies
    (Flower's API) are theirs to format."""
    send, request = requests.Session.send, DjangoTestClient.request

    def checked_send(session, prepared, **kwargs):
        response = send(session, prepared, **kwargs)
        path = unquote(urlsplit(prepared.url).path)
        if not kwargs.get("stream") and is_json(response.headers.get("Content-Type")) and is_project_url(path):
            check_body(f"{prepared.method} {path}", response.content)
        return response

    def checked_request(client, **environ):
        response = request(client, **environ)
        if not response.streaming and is_json(response.get("Content-Type")):
            check_body(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}", response.content)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "send", checked_send)
        patch.setattr(DjangoTestClient, "request", checked_request)
        yield


def is_project_url(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip() == "application/json"


def check_body(where: str, content: bytes) -> None:
    try:
        body = json.loads(content)
    except ValueError:
        return  # not JSON after all; the test itself judges the body
    ws_support.CONTRACT_VIOLATIONS.extend(timestamp_violations(where, body))


@pytest.fixture(autouse=True)
def clean_redis():
    """Each test starts with no presence, typing or rate-limit state (the broker lives elsewhere)."""
    sync_client().flushdb()


@dataclass
class TestUser:
    user: object
    token: str

    @property
    def id(self) -> int:
        return self.user.pk

    def rest(self, stack: Stack) -> RestClient:
        return RestClient(stack.http_url, self.token)


class RestClient:
    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=15, **kwargs)

    def post(self, path: str, json=None, **kwargs) -> requests.Response:
        return self.session.post(self.base_url + path, json=json, timeout=15, **kwargs)

    def patch(self, path: str, json=None, **kwargs) -> requests.Response:
        return self.session.patch(self.base_url + path, json=json, timeout=15, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.session.delete(self.base_url + path, timeout=15, **kwargs)


@pytest.fixture
def make_user(transactional_db):
    def make(first_name: str = "Test", **fields) -> TestUser:
        username = factories.unique_username()
        user = factories.make_user(first_name, username=username, password="pw-" + username, **fields)
        return TestUser(user=user, token=user.auth_token.key)

    return make


class SocketOpener:
    """Opens sockets against any server and remembers them, so that the test's end closes them."""

    def __init__(self) -> None:
        self.clients: list[WsClient] = []

    async def __call__(self, base_url: str, user: TestUser | None, path: str = "/ws/chat/", *,
                       token: str | None = None, expect_connected: bool = True, **kwargs) -> WsClient:
        key = token if token is not None else (user.token if user else None)
        client = await WsClient.connect(base_url, path, key, **kwargs)
        self.clients.append(client)
        if expect_connected:
            await client.expect("connection")
        return client

    async def close_all(self) -> None:
        for client in self.clients:
            if client.close_code is None:
                await client.close()


@pytest.fixture
async def sockets():
    """`await sockets(server.ws_url, user)`: a socket to any server, closed after the test."""
    opener = SocketOpener()
    yield opener
    await opener.close_all()


@pytest.fixture
async def ws(stack, sockets):
    """Opens sockets against the stack's server (or another, by `base_url`) and closes them after."""

    async def connect(user: TestUser | None, path: str = "/ws/chat/", *, base_url: str | None = None,
                      **kwargs) -> WsClient:
        return await sockets(base_url or stack.ws_url, user, path, **kwargs)

    yield connect
    await sockets.close_all()
    # A task the test left running can deadlock with the TRUNCATE that flushes the test database.
    deadline = time.monotonic() + 10
    while tasks_in_flight() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


# A task due this soon (a closed socket's presence announcement, after its grace period) counts as
# in flight: it would start while the next flush truncates the tables and deadlock with it.
DUE_SOON_SECONDS = 3.0


def tasks_in_flight() -> bool:
    """Tasks queued, running or due within DUE_SOON_SECONDS on the stack's broker."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    if any(broker.llen(queue.name) for queue in settings.CELERY_TASK_QUEUES):
        return True
    soon = datetime.now(UTC) + timedelta(seconds=DUE_SOON_SECONDS)
    return any(_due_before(json.loads(raw)[0]["headers"].get("eta"), soon) for raw in broker.hvals("unacked"))


def _due_before(eta: str | None, moment: datetime) -> bool:
    if not eta:
        return True
    due = datetime.fromisoformat(eta)
    return (due if due.tzinfo else due.replace(tzinfo=UTC)) <= moment
