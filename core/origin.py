"""The browser Origin allow-list for socket handshakes (CONTRACT §1, PITFALLS 11)."""
from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.conf import settings


def origin_allowed(origin: str | None) -> bool:
    if origin is None:
        return True
    return origin.rstrip("/").lower() in {allowed.rstrip("/").lower() for allowed in settings.WS_ALLOWED_ORIGINS}


class OriginAllowListMiddleware:
    """Refuses (HTTP 403) a handshake whose Origin is not listed; one without Origin passes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        raw_origin = headers.get(b"origin")
        origin = raw_origin.decode("latin-1") if raw_origin is not None else None
        if not origin_allowed(origin):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
