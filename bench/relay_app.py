"""The baseline: a plain Channels relay that forwards the chat frames and persists nothing.

It speaks the same frames as `/ws/chat/` (`connection`, `message_sent` to the sender, `message`
to the receiver's group), through the same channel layer, under the same server options
(`python -m bench.relay_app` runs `config.serve` with this app). What it leaves out is exactly
what the product adds: token lookup, rate limits, presence, Celery, PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import orjson  # noqa: E402
from channels.consumer import AsyncConsumer, get_handler_name  # noqa: E402
from channels.exceptions import StopConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

_message_ids = itertools.count(1)


def relay_group(user_id: int) -> str:
    return f"relay_user_{user_id}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class RelayConsumer(AsyncConsumer):
    async def dispatch(self, message: dict) -> None:
        # The same shortcut as realtime.consumers.RealtimeConsumer, so the baseline is not handicapped.
        await getattr(self, get_handler_name(message))(message)

    async def websocket_connect(self, message: dict) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.user_id = int(query["user"][0])
        await self.channel_layer.group_add(relay_group(self.user_id), self.channel_name)
        await self.send({"type": "websocket.accept"})
        await self.send_frame({"type": "connection", "status": "connected", "user_id": self.user_id,
                               "timestamp": now_iso()})

    async def websocket_receive(self, message: dict) -> None:
        frame = orjson.loads(message["text"])
        receiver_id = int(frame["receiver_id"])
        stored = {
            "id": next(_message_ids), "conversation_id": 0, "sender_id": self.user_id, "sender_name": "",
            "sender_avatar": None, "receiver_id": receiver_id, "message": frame.get("message", ""),
            "attachment": None, "attachment_type": None, "timestamp": now_iso(), "is_read": False,
            "delivered_at": None, "temp_id": frame.get("temp_id"),
        }
        await self.send_frame({**stored, "type": "message_sent"})
        await self.channel_layer.group_send(relay_group(receiver_id), {"type": "relay.frame",
                                                                         "frame": {**stored, "type": "message"}})

    async def relay_frame(self, event: dict) -> None:
        await self.send_frame(event["frame"])

    async def send_frame(self, frame: dict) -> None:
        await self.send({"type": "websocket.send", "text": orjson.dumps(frame).decode()})

    async def websocket_disconnect(self, message: dict) -> None:
        if hasattr(self, "user_id"):
            await self.channel_layer.group_discard(relay_group(self.user_id), self.channel_name)
        raise StopConsumer()


async def health(scope, receive, send) -> None:
    """Any HTTP request: 200, so the harness can tell the server is up."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


application = ProtocolTypeRouter(
    {
        "http": health,
        "websocket": URLRouter([path("ws/chat/", RelayConsumer.as_asgi())]),
    }
)

if __name__ == "__main__":
    from config import serve

    serve.main("bench.relay_app:application")
