"""`GET /metrics` (docs/operations.md): the Prometheus text exposition of the servers' and the
workers' figures, behind a bearer token when METRICS_TOKEN is set."""
from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from core import metrics
from presence.selectors import online_count


def metrics_view(request: HttpRequest) -> HttpResponse:
    if settings.METRICS_TOKEN and not hmac.compare_digest(request.headers.get("Authorization", "").encode(),
                                                          f"Bearer {settings.METRICS_TOKEN}".encode()):
        return HttpResponse("A bearer token is required\n", status=401, content_type="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(metrics.exposition(gauges=_measured_now()), content_type=CONTENT_TYPE_LATEST)


def _measured_now() -> dict[str, tuple[str, float]]:
    """Figures read at scrape time; one whose source is away (Redis) is left out, not an error."""
    try:
        return {"erp_comm_online_users": ("Users with at least one open socket now (presence).", online_count())}
    except RedisError:
        return {}
