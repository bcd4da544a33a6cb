"""Who gets in: the Origin allow-list at the handshake, revoked tokens, tokens kept out of logs and
out of Flower, Flower behind authentication, and `check --deploy` clean with production settings."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import websockets
from rest_framework.authtoken.models import Token

from tests.faults.infra import PrivateRedis
from tests.settings import SLOT, TEST_ENVIRONMENT
from tests.support.stack import (
    ROOT,
    AsgiServer,
    CeleryWorker,
    ManagedProcess,
    free_port,
    process_environment,
    wait_until,
)
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOREIGN_ORIGINS = [
    "http://evil.example",
    "https://evil.example",
    "null",
    "http://localhost.evil.example",
    "http://evil-localhost",
    "http://localhost-evil.example",
    "http://127.0.0.1.nip.io",
    "http://localhost@evil.example",
    "http://xn--lcalhost-x0a.example",
    "file://",
    "chrome-extension://abcdefghijklmnop",
]


# Origin ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_a_foreign_or_look_alike_origin_gets_403_at_the_handshake(stack, make_user, origin):
    user = make_user()

    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{stack.ws_url}/ws/chat/?token={user.token}", origin=origin)

    assert refused.value.response.status_code == 403


async def test_an_allowed_origin_and_no_origin_get_in(stack, make_user, ws):
    user = make_user()
    port = stack.ws_url.rsplit(":", 1)[1]

    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}", None):
        socket = await ws(user, origin=origin)
        await socket.request({"type": "ping"}, "pong")


# Revoked tokens ------------------------------------------------------------------------------------

async def expect_auth_close(socket: WsClient, timeout: float) -> None:
    assert await socket.wait_closed(timeout=timeout) == 4001
    assert socket.frames[-1] == {"type": "error", "error": "Authentication failed", "code": "auth_failed"}


async def test_logout_closes_the_sockets_of_that_token_at_once(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    chat, notifications = await ws(alice), await ws(alice, "/ws/notifications/")
    bystander = await ws(bob)

    assert alice.rest(stack).post("/api/v1/auth/logout/").status_code == 204

    await expect_auth_close(chat, timeout=10)
    await expect_auth_close(notifications, timeout=10)
    await bystander.request({"type": "ping"}, "pong")


async def test_deleting_a_token_elsewhere_closes_its_sockets(stack, make_user, ws):
    alice = make_user()
    chat = await ws(alice)

    Token.objects.filter(key=alice.token).delete()  # as the admin or a script would

    await expect_auth_close(chat, timeout=10)


@pytest.fixture(scope="module")
def rechecking_server(stack):
    server = AsgiServer(f"security{SLOT}-recheck", WS_TOKEN_RECHECK_SECONDS="1")
    yield server
    server.stop()


async def test_the_periodic_recheck_closes_sockets_of_tokens_revoked_without_a_signal(
        rechecking_server, make_user, ws):
    alice, bob, carol = make_user(), make_user(), make_user()
    deactivated = await ws(alice, base_url=rechecking_server.ws_url)
    deleted_by_sql = await ws(bob, base_url=rechecking_server.ws_url)
    untouched = await ws(carol, base_url=rechecking_server.ws_url)

    type(alice.user).objects.filter(pk=alice.id).update(is_active=False)
    Token.objects.filter(key=bob.token)._raw_delete(Token.objects.db)  # no signal is sent

    await expect_auth_close(deactivated, timeout=20)
    await expect_auth_close(deleted_by_sql, timeout=20)
    await untouched.request({"type": "ping"}, "pong")
    assert untouched.close_code is None


# Logs and Flower -----------------------------------------------------------------------------------

def procfile_command(name: str) -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))[name]


class Flower(ManagedProcess):
    """Flower started exactly as the Procfile starts it."""

    credentials = ("ops", secrets.token_urlsafe(12))

    def __init__(self, **environment: str) -> None:
        self.port = free_port()
        env = process_environment(FLOWER_PORT=str(self.port), FLOWER_BASIC_AUTH=":".join(self.credentials),
                                  **environment)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        super().__init__(f"security{SLOT}-flower", ["bash", "-c", "exec " + procfile_command("flower")], env)
        wait_until(lambda: self._status("/") is not None, timeout=60, what="flower to answer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _status(self, path: str) -> int | None:
        if not self.alive():
            raise RuntimeError(f"flower exited:\n{self.log_text()[-3000:]}")
        try:
            return requests.get(self.url + path, timeout=5).status_code
        except requests.ConnectionError:
            return None

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=15, **kwargs)


@pytest.fixture
def observed_stack(make_user):
    """A server, a worker and Flower of their own (own log files) on a private Redis."""
    redis = PrivateRedis()
    # Events from the first task on (Flower would otherwise switch them on a few seconds after it starts).
    environment = {**redis.environment(), "CELERY_TASK_EVENTS": "true"}
    processes = [CeleryWorker(f"security{SLOT}-worker", **environment),
                 AsgiServer(f"security{SLOT}-logs", **environment)]
    processes.append(Flower(**environment))
    yield processes
    for process in processes:
        process.stop()
    redis.destroy()


async def test_no_token_in_any_log_or_in_flower_and_flower_requires_authentication(observed_stack, make_user):
    worker, server, flower = observed_stack
    alice, bob = make_user("Alice"), make_user("Bob")
    assert flower.get("/").status_code == 401
    assert flower.get("/api/tasks").status_code == 401
    assert flower.get("/api/tasks", auth=("ops", "wrong")).status_code == 401
    assert flower.get("/api/workers", auth=flower.credentials).status_code == 200

    socket = await WsClient.connect(server.ws_url, "/ws/chat/", alice.token)
    await socket.expect("connection")
    await socket.send({"receiver_id": bob.id, "message": "over the socket", "temp_id": "s1"})
    await socket.expect("message_sent")
    rest = requests.Session()
    rest.headers["Authorization"] = f"Token {bob.token}"
    assert rest.post(f"{server.http_url}/api/v1/communication/chats/", timeout=30,
                     json={"receiver_id": alice.id, "message": "over REST"}).status_code in (201, 202)
    assert requests.get(f"{server.http_url}/healthz?token={alice.token}", timeout=10).status_code == 200
    assert rest.post(f"{server.http_url}/api/v1/auth/logout/", timeout=30).status_code == 204
    await socket.close()

    def flower_saw_the_sends() -> bool:
        tasks = flower.get("/api/tasks", auth=flower.credentials).json()
        return [task["name"] for task in tasks.values()].count("chat.send_messages") >= 2

    wait_until(flower_saw_the_sends, timeout=60, interval=0.25, what="flower to see both sends")
    tasks_text = flower.get("/api/tasks", auth=flower.credentials).text
    assert f"'sender_id': {alice.id}" in tasks_text  # Flower does show task arguments...
    for token in (alice.token, bob.token):  # ...and no task carries a token
        assert token not in tasks_text
        assert token not in server.log_text() and token not in worker.log_text() and token not in flower.log_text()
    access_log = server.log_text()
    assert "/ws/chat/?token=[redacted]" in access_log and "/healthz?token=[redacted]" in access_log


# Deployment check ----------------------------------------------------------------------------------

def test_check_deploy_is_clean_with_production_settings():
    # Production's environment: none of the test overrides, only what docs/deployment.md asks for.
    environment = {name: value for name, value in os.environ.items() if name not in TEST_ENVIRONMENT}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64),
                       ALLOWED_HOSTS="erp.example.com", WS_ALLOWED_ORIGINS="https://erp.example.com")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
