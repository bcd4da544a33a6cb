"""Refuses an HTTP request body over `HTTP_MAX_BODY_BYTES` with 413, before Django reads it.

Django reads a whole body before authentication does anything, so without this anyone could make
a server process take in any amount of data. A declared `Content-Length` over the cap is refused
before a byte of the body is read; a chunked body is counted as it arrives and refused as soon as
it passes the cap (Django then sees the client as gone and answers nothing itself).
"""
from __future__ import annotations

import orjson
from django.conf import settings


class BodySizeLimitMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.HTTP_MAX_BODY_BYTES
        if _declared_length(scope) > limit:
            return await _refuse(send, limit)
        received = 0
        over_limit = False

        async def counted_receive():
            nonlocal received, over_limit
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over_limit = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted_receive, send)
        if over_limit:
            await _refuse(send, limit)


def _declared_length(scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length itself
    return 0


async def _refuse(send, limit: int) -> None:
    body = orjson.dumps({"error": f"The request body is larger than {limit} bytes", "code": "too_large"})
    await send({
        "type": "http.response.start",
        "status": 413,
        # The rest of the body is never read: the connection cannot carry another request.
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
