"""The browser Origin allow-list for socket handshakes (docs/websocket-api.md).

`WS_ALLOWED_ORIGINS` holds full origins (`https://erp.example.com`, matched exactly, port
included) or bare host patterns as in `ALLOWED_HOSTS` (`erp.example.com` or `.example.com` for
subdomains, any scheme and port). A `*` is never honoured: browsers must be named.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.utils.http import is_same_domain


def _normalised(origin: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default_port


def origin_allowed(origin: str | None, allowed: list[str] | None = None) -> bool:
    if origin is None:
        return True
    candidate = _normalised(origin)
    if candidate is None:
        return False
    for entry in settings.WS_ALLOWED_ORIGINS if allowed is None else allowed:
        if "://" in entry:
            if _normalised(entry) == candidate:
                return True
        elif entry != "*" and is_same_domain(candidate[1], entry.lower()):
            return True
    return False


class OriginAllowListMiddleware:
    """Refuses (HTTP 403) a handshake whose Origin is not listed; one without Origin passes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        raw_origin = dict(scope.get("headers", [])).get(b"origin")
        origin = raw_origin.decode("latin-1") if raw_origin is not None else None
        if not origin_allowed(origin):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
