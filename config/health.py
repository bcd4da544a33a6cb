"""Liveness and readiness for load balancers (docs/deployment.md).

Both answer anonymous callers, so both must stay cheap under a loop of probes: `/readyz` holds a
database connection only for its `SELECT 1`, and asks the workers (a broadcast that waits a full
second for answers) at most once per WORKER_CHECK_CACHE_SECONDS, whatever the number of callers.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import JsonResponse

from config.celery_app import app as celery_app
from core.db import release_connection
from core.redis import sync_client
from realtime.fanout import run_async

WORKER_PING_TIMEOUT_SECONDS = 1.0
WORKER_CHECK_CACHE_SECONDS = 10.0


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # Back to the pool now, not when the response has been written.
        release_connection()


def _redis() -> None:
    sync_client().ping()


def _channel_layer() -> None:
    from channels.layers import get_channel_layer

    run_async(get_channel_layer().send(f"readyz.{uuid.uuid4().hex}", {"type": "noop"}))


def _workers() -> None:
    if not celery_app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS):
        raise RuntimeError("no worker answered")


class CachedCheck:
    """A slow check run by one caller at a time, its outcome reused for `seconds`: meanwhile the
    other callers answer with the last outcome instead of waiting."""

    def __init__(self, check: Callable[[], None], *, seconds: float) -> None:
        self.check, self.seconds = check, seconds
        self.lock = threading.Lock()
        self.outcome: Exception | None = None
        self.checked_at: float | None = None

    def __call__(self) -> None:
        if self._stale() and self.lock.acquire(blocking=self.checked_at is None):
            try:
                if self._stale():
                    self._run()
            finally:
                self.lock.release()
        if self.outcome is not None:
            raise self.outcome

    def _stale(self) -> bool:
        return self.checked_at is None or time.monotonic() - self.checked_at >= self.seconds

    def _run(self) -> None:
        try:
            self.check()
            self.outcome = None
        except Exception as error:
            self.outcome = error
        self.checked_at = time.monotonic()


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "redis": _redis,
    "channel_layer": _channel_layer,
    "workers": CachedCheck(_workers, seconds=WORKER_CHECK_CACHE_SECONDS),
}


def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:
            results[name] = f"failing: {type(error).__name__}"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": results}, status=200 if ready else 503)
