"""Liveness and readiness for load balancers (CONTRACT §8)."""
from __future__ import annotations

import uuid

from django.db import connection
from django.http import JsonResponse

from config.celery_app import app as celery_app
from core.fanout import run_async
from core.redis import sync_client

WORKER_PING_TIMEOUT_SECONDS = 1.0


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    sync_client().ping()


def _channel_layer() -> None:
    from channels.layers import get_channel_layer

    run_async(get_channel_layer().send(f"readyz.{uuid.uuid4().hex}", {"type": "noop"}))


def _workers() -> None:
    if not celery_app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS):
        raise RuntimeError("no worker answered")


CHECKS = {"database": _database, "redis": _redis, "channel_layer": _channel_layer, "workers": _workers}


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
