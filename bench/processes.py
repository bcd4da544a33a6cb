"""The processes a bench run starts (ASGI servers, Celery workers, the load generator) and what
it reads off them: CPU seconds and resident memory, from /proc."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import orjson

from tests.support.stack import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def session_cpu_seconds(session_id: int) -> float:
    """User + system CPU of every live process in a session (prefork children included)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Process:
    """A child in a session of its own, so that stopping it stops its children too."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - the process writes to it for its whole life
        self.log_start = self.log.tell()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        """What this run of the process logged (the file keeps earlier runs too)."""
        return self.log_path.read_bytes()[self.log_start:].decode(errors="replace")

    def wait_ready(self, predicate) -> None:
        try:
            wait_until(predicate, timeout=60, what=f"{self.name} to be ready")
        except BaseException:
            self.stop()
            raise

    def cpu_seconds(self) -> float:
        return session_cpu_seconds(self.pid)

    def stop(self) -> None:
        """Kills at once: a bench stack is thrown away, and the next one starts on flushed Redis."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.log.close()


class Server(Process):
    """An ASGI server: the chat app or the relay, under Uvicorn (config.serve) or Daphne."""

    def __init__(self, name: str, app: str, kind: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        env = dict(env, PORT=str(self.port), HOST="127.0.0.1")
        module = {"chat": "config.serve", "relay": "bench.relay_app"}[app]
        if kind == "daphne":
            target = {"chat": "config.asgi:application", "relay": "bench.relay_app:application"}[app]
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), target]
        else:
            command = [sys.executable, "-m", module]
        super().__init__(name, command, env, log_dir)
        self.wait_ready(self.healthy)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        self.check_alive()
        try:
            with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


class Worker(Process):
    def __init__(self, name: str, pool: str, concurrency: int, prefetch: int, env: dict[str, str],
                 log_dir: Path) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", f"--pool={pool}",
            f"--concurrency={concurrency}", f"--prefetch-multiplier={prefetch}", "--without-gossip",
            "--without-mingle", f"--hostname={name}@%h",
        ]
        super().__init__(name, command, env, log_dir)
        self.wait_ready(self.ready)

    def ready(self) -> bool:
        self.check_alive()
        return "ready." in self.log_text()


def run_loadgen(job: dict, env: dict[str, str], timeout: float, on_progress=None) -> dict:
    """Runs one load-generator job in its own process; `on_progress` gets each `{"progress": ...}`
    line as it comes (the sockets are open, the sending starts), the return value is the result."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([sys.executable, "-m", "bench.loadgen"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, cwd=ROOT, env=env)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            process.stdin.write(orjson.dumps(job) + b"\n")
            process.stdin.close()
            lines = []
            for line in process.stdout:
                lines.append(line)
                message = orjson.loads(line)
                if on_progress is not None and "progress" in message:
                    on_progress(message["progress"])
            process.wait()
        finally:
            timer.cancel()
        if process.returncode != 0 or not lines:
            errors.seek(0)
            raise RuntimeError(f"load generator failed ({process.returncode}):\n{errors.read().decode()[-3000:]}")
    return orjson.loads(lines[-1])


class HeldSockets:
    """An `idle` load-generator job: open, report, hold until `release()`."""

    def __init__(self, job: dict, env: dict[str, str], timeout: float) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.loadgen"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        self.timeout = timeout
        self.process.stdin.write(orjson.dumps(job) + b"\n")
        self.process.stdin.flush()

    def wait_held(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator failed:\n{self.process.stderr.read().decode()[-3000:]}")
        return orjson.loads(line)

    def release(self) -> dict:
        out, err = self.process.communicate(b"close\n", timeout=self.timeout)
        if self.process.returncode != 0:
            raise RuntimeError(f"load generator failed:\n{err.decode()[-3000:]}")
        return orjson.loads(out.splitlines()[-1])
