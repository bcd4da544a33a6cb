"""Real processes for end-to-end tests: Uvicorn servers and Celery workers on the test database."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "tests" / "artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_environment(**overrides: str) -> dict[str, str]:
    """The test environment, pointed at the test database that pytest-django created."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class ManagedProcess:
    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - the process writes to it for its whole life
        self.log_start = self.log.tell()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signals the whole process group, so prefork children die with their parent."""
        if self.alive():
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            # Children (prefork workers) may outlive their parent briefly; none may keep the test DB open.
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.log.close()

    def log_text(self) -> str:
        """What this run of the process logged (the file also holds earlier runs)."""
        return self.log_path.read_bytes()[self.log_start :].decode(errors="replace")


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class AsgiServer(ManagedProcess):
    def __init__(self, name: str = "asgi", **env_overrides: str) -> None:
        self.port = free_port()
        env = process_environment(PORT=str(self.port), HOST="127.0.0.1", **env_overrides)
        super().__init__(name, [sys.executable, "-m", "config.serve"], env)
        wait_until(self._healthy, timeout=30, what=f"{name} to answer /healthz")

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _healthy(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False


class CeleryWorker(ManagedProcess):
    def __init__(self, name: str = "worker", concurrency: int = 2, **env_overrides: str) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=prefork",
            f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", f"--hostname={name}@%h",
        ]
        super().__init__(name, command, process_environment(**env_overrides))
        wait_until(self._ready, timeout=30, what=f"{name} to be ready")

    def _ready(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.log_text()[-3000:]}")
        return "ready." in self.log_text()


class CeleryBeat(ManagedProcess):
    def __init__(self, name: str = "beat", **env_overrides: str) -> None:
        schedule = LOG_DIR / f"{name}-schedule"
        command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        super().__init__(name, command, process_environment(**env_overrides))
