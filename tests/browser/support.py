"""Runs the JavaScript tests (Node's test runner, Playwright scripts) from pytest, against the stack."""
from __future__ import annotations

import functools
import json
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
# Node 20 has the standard WebSocket behind this flag (on by default from Node 22).
NODE = ["node", "--experimental-websocket", "--no-warnings=ExperimentalWarning"]


@functools.cache
def ensure_web_tooling() -> None:
    """web/node_modules and /usr/bin/chromium (scripts/run-tests.sh installs them first; this is a no-op then)."""
    subprocess.run(["bash", str(WEB / "setup.sh")], check=True, timeout=900)


def users_json(users) -> str:
    return json.dumps([
        {"id": u.id, "username": u.user.username, "password": f"pw-{u.user.username}", "token": u.token} for u in users
    ])


def run_node(args: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Runs node in web/ and fails the test with its output when it fails."""
    result = subprocess.run(
        [*NODE, *args], cwd=WEB, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
    )
    output = result.stdout + result.stderr
    print(output)
    if result.returncode != 0:
        pytest.fail(f"node {' '.join(args)} exited with {result.returncode}:\n{output[-12000:]}", pytrace=False)
    return result


def run_browser_script(script: str, env: dict[str, str], *, timeout: float, answer: Callable[[str], None]) -> str:
    """Runs a Playwright script of web/tests in Node and returns its output; `answer` handles each
    line it prints that starts with "@@" (a request to the test: the script waits for its effect).
    Fails the test if the script fails or outlives `timeout`."""
    process = subprocess.Popen([*NODE, script], cwd=WEB, env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    lines = []
    try:
        for line in process.stdout or ():
            lines.append(line)
            if line.startswith("@@"):
                answer(line)
        process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:  # a request failed: the script would wait for what it asked for
            process.kill()
    output = "".join(lines)
    print(output)
    if process.returncode != 0:
        pytest.fail(f"the browser script {script} failed:\n{output[-8000:]}", pytrace=False)
    return output
