"""The socket transport both endpoints share: auth, the life cycle, frame parsing, errors, rate limits.

Subclasses declare their frame handlers and stay thin: they validate and enqueue. What else a
socket does over its life (presence, `presence.consumers.PresenceMixin`) plugs in through the
hooks `on_connected`, `on_disconnected`, `on_ended` and `on_ping`.
"""
from __future__ import annotations

import logging
from typing import Any, ClassVar
from urllib.parse import parse_qs

import orjson
from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer
from django.conf import settings
from django.db import DatabaseError
from opentelemetry.trace import Span, SpanKind
from redis.exceptions import RedisError

from core import metrics, tracing
from core.errors import SERVICE_UNAVAILABLE, ClientError
from core.logging import Throttled
from core.users import display_name
from core.validation import parse_seq
from realtime import delivery_log, frames, ratelimit
from realtime.auth import token_fingerprint
from realtime.fanout import SocketFamily, user_group
from realtime.handover import enqueue
from realtime.stream import SocketStream
from realtime.watch import CLOSE_SERVICE_RESTART, watch

logger = logging.getLogger(__name__)
# Redis or PostgreSQL away: one line per half minute, not one per frame.
outage_log = Throttled(logger, seconds=30)

CLOSE_AUTH_FAILED = 4001
CLOSE_TRY_AGAIN_LATER = 1013


class RealtimeConsumer(AsyncConsumer):
    family: ClassVar[SocketFamily]
    default_frame_type: ClassVar[str | None] = None
    # frame type -> handler method name
    frame_handlers: ClassVar[dict[str, str]]
    # frame type -> rate-limit family; anything unlisted counts as "other"
    rate_families: ClassVar[dict[str, str]] = {}
    silently_limited: ClassVar[frozenset[str]] = frozenset()

    authenticated = False

    async def dispatch(self, message: dict) -> None:
        # Channels 4.2+ awaits a thread hop (aclose_old_connections) before every handler; these
        # handlers reach the ORM only through database_sync_to_async, which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # Socket lifecycle ----------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ends (a close, an error in a handler, a shutdown).
            watch.unregister(self)
            if (stream := getattr(self, "stream", None)) is not None:
                # Opened once authenticated (`websocket_connect`), so counted open until now.
                metrics.socket_closed(self.family)
                stream.close()
            await self.on_ended()

    async def websocket_connect(self, message: dict) -> None:
        await self.send({"type": "websocket.accept"})
        user = self.scope.get("user")
        if self.scope.get("auth_unavailable"):
            outage_log.warning("auth", "a socket was refused (1013): the database could not check its token")
            await self.close_with_error(SERVICE_UNAVAILABLE, code="server_error", close_code=CLOSE_TRY_AGAIN_LATER)
            return
        if user is None or not user.is_authenticated:
            await self.close_for_auth()
            return
        self.user_id, self.user_name = user.pk, display_name(user)
        self.client = dict(self.scope.get("headers", [])).get(b"user-agent", b"").decode("latin-1")
        try:
            await self.channel_layer.group_add(user_group(self.user_id, self.family), self.channel_name)
        except RedisError as error:
            outage_log.warning("join", "a socket was refused (1013): the channel layer is unavailable (%s)", error)
            await self.close_with_error(SERVICE_UNAVAILABLE, code="server_error", close_code=CLOSE_TRY_AGAIN_LATER)
            return
        self.authenticated = True
        metrics.socket_opened(self.family)
        self.ping_limit = ratelimit.LocalWindow(settings.WS_RATE_LIMITS["other"])
        self.stream = SocketStream(user_id=self.user_id, family=self.family, write=self.write_pushed,
                                   written_already=self.after_push_of_repeat)
        await self.send_frame(await self.connection_frame(last_seq=await self.stream.open()))
        self.resumed_on_connect = await self.resume_on_connect()
        await self.on_connected()
        watch.register(self)

    async def websocket_disconnect(self, message: dict) -> None:
        if self.authenticated:
            self.authenticated = False
            await self.channel_layer.group_discard(user_group(self.user_id, self.family), self.channel_name)
            try:
                await self.on_disconnected()
            except (ClientError, RedisError) as error:
                outage_log.warning("teardown", "a closed socket's cleanup was incomplete: %s", error)
        raise StopConsumer()

    async def connection_frame(self, *, last_seq: int) -> frames.Frame:
        return frames.connection(user_id=self.user_id, last_seq=last_seq)

    async def resume_on_connect(self) -> bool:
        """`?since=N` on the socket's URL: the stream is replayed after the connection frame. True
        if it was (False without `since`, with a bad one, or if it had to be `resync_required`)."""
        since = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("since")
        if since is None:
            return False
        try:
            return await self.stream.resume(parse_seq(since[-1]))
        except ClientError as error:
            await self.send_error(error, None)
            return False

    async def on_connected(self) -> None:
        """Hook: runs after the connection frame."""

    async def on_disconnected(self) -> None:
        """Hook: runs when an authenticated socket closes."""

    async def on_ended(self) -> None:
        """Hook: runs however the consumer ends (a close, an error in a handler, a shutdown)."""

    async def on_ping(self) -> None:
        """Hook: runs after a `pong` was sent."""

    async def close_for_refused_setup(self) -> None:
        """The broker refused the socket's setup (its pending replay): the client reconnects later
        rather than sit on a socket that missed its messages."""
        if self.authenticated:
            outage_log.warning("setup", "a socket was closed (1013): its setup could not be handed to the workers")
            await self.close_with_error(SERVICE_UNAVAILABLE, code="server_error", close_code=CLOSE_TRY_AGAIN_LATER)

    # Frames in -----------------------------------------------------------------------------

    async def websocket_receive(self, message: dict) -> None:
        if not self.authenticated:
            return
        with tracing.span(f"{self.family} receive", kind=SpanKind.SERVER) as span:
            if span is not None:
                span.set_attributes(self.trace_attributes())
            await self.receive_frame(message, span)

    async def receive_frame(self, message: dict, span: Span | None) -> None:
        frame: Any = None
        try:
            frame = self.parse_frame(message)
            frame_type = frame.get("type", self.default_frame_type)
            if span is not None:
                span.update_name(f"{self.family} receive {str(frame_type)[:64]}")
            handler = self.frame_handlers.get(frame_type) if isinstance(frame_type, str) else None
            if handler is None:
                raise ClientError(f"Unknown message type: {str(frame_type)[:64]}", code="unknown_type")
            if not await self.within_rate_limit(frame_type):
                if frame_type in self.silently_limited:
                    return
                raise ClientError("Rate limit exceeded; slow down", code="rate_limited")
            await getattr(self, handler)(frame)
        except ClientError as error:
            await self.send_error(error, frame)
        except (RedisError, DatabaseError) as error:
            outage_log.warning("frame", "a %s frame failed: %s unavailable (%s)", self.family,
                               "Redis" if isinstance(error, RedisError) else "the database", error)
            await self.send_error(ClientError(SERVICE_UNAVAILABLE, code="server_error"), frame)
        except Exception:
            logger.exception("unexpected error handling a %s frame", self.family)
            await self.send_error(ClientError("Internal server error", code="server_error"), frame)

    def parse_frame(self, message: dict) -> dict:
        text = message.get("text")
        if text is None:
            raise ClientError("Binary frames are not supported; send JSON text", code="invalid_frame")
        if len(text) > settings.CHAT_MAX_FRAME_BYTES:
            raise ClientError("Frame too large", code="too_large")
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ClientError("Invalid JSON", code="invalid_json") from None
        if not isinstance(frame, dict):
            raise ClientError("A frame must be a JSON object", code="invalid_frame")
        return frame

    async def within_rate_limit(self, frame_type: str) -> bool:
        if frame_type == "ping":
            # A ping is answered without Redis, so it is counted without it: per socket, here.
            return self.ping_limit.allow()
        family = self.rate_families.get(frame_type, "other")
        return await ratelimit.allow(family=family, user_id=self.user_id, rate=settings.WS_RATE_LIMITS[family])

    async def handle_resume(self, frame: dict) -> None:
        await self.stream.resume(parse_seq(frame.get("since")))

    async def handle_ping(self, frame: dict) -> None:
        await self.send_frame(frames.pong())
        await self.on_ping()

    # Frames out ----------------------------------------------------------------------------

    async def send_frame(self, frame: dict) -> None:
        await self.send({"type": "websocket.send", "text": orjson.dumps(frame).decode()})
        metrics.frame_sent(self.family, frame)

    async def send_error(self, error: ClientError, frame: Any) -> None:
        temp_id = frame.get("temp_id") if isinstance(frame, dict) else None
        # A string, as on `message_sent` (parse_temp_id turns numbers into strings).
        echoed = str(temp_id) if isinstance(temp_id, (str, int)) and not isinstance(temp_id, bool) else None
        await self.send_frame(frames.error(error.error, code=error.code, temp_id=echoed))

    async def push_frames(self, event: dict) -> None:
        """Every frame from the fan-out module arrives here (`realtime.fanout.layer_events`); the
        writes join the trace of the code that pushed them, when tracing is on."""
        with tracing.span(f"{self.family} write", parent=event.get("trace"), kind=SpanKind.CONSUMER) as span:
            if span is not None:
                span.set_attributes({**self.trace_attributes(), "erp_comm.frames": [
                    delivery["reply_type"] if delivery.get("reply_channel") == self.channel_name and delivery["reply_type"]
                    else delivery["frame"]["type"] for delivery in event["frames"]]})
            await self.write_frames(event["frames"])

    async def write_frames(self, deliveries: list[dict]) -> None:
        for delivery in deliveries:
            frame, reply_to = delivery["frame"], None
            if delivery.get("reply_channel") == self.channel_name:
                reply_to = delivery["reply_to"]
                if delivery["reply_type"]:
                    frame = frames.as_reply(frame, delivery["reply_type"])
            if "seq" in frame:
                # An event of the socket's stream: written in order, once (realtime.stream).
                await self.stream.live(frame, reply_to)
            else:
                await self.write_pushed(frame, reply_to)

    async def write_pushed(self, frame: frames.Frame, reply_to: str | None) -> None:
        if not self.authenticated or self.is_repeat(frame):
            return
        await self.send_frame(frame)
        await self.after_push(frame, reply_to=reply_to)

    async def after_push_of_repeat(self, frame: frames.Frame, reply_to: str | None) -> None:
        """A live frame whose event this socket got from the table first: not written again, but
        what follows its writing (the answer to a send) is due all the same."""
        await self.after_push(frame, reply_to=reply_to)

    def is_repeat(self, frame: dict) -> bool:
        """Hook: a pushed frame this socket already forwarded is not written again."""
        return False

    async def after_push(self, frame: dict, *, reply_to: str | None) -> None:
        """Hook: runs after a pushed frame was written to the socket."""

    async def socket_control(self, event: dict) -> None:
        if event["action"] == "close":
            await self.send({"type": "websocket.close", "code": event["code"]})
        elif event["action"] == "token_revoked" and event["token"] == token_fingerprint(self.scope.get("token_key")):
            await self.close_for_auth()

    async def close_with_error(self, error: str, *, code: str, close_code: int) -> None:
        await self.send_frame(frames.error(error, code=code))
        await self.send({"type": "websocket.close", "code": close_code})

    async def close_for_auth(self) -> None:
        """A missing, unknown or revoked token, or a deactivated user (docs/websocket-api.md)."""
        await self.close_with_error("Authentication failed", code="auth_failed", close_code=CLOSE_AUTH_FAILED)

    async def close_for_restart(self) -> None:
        """Redis came back after an outage: the client reconnects and the replay resyncs it."""
        await self.send({"type": "websocket.close", "code": CLOSE_SERVICE_RESTART})

    def write_record(self) -> dict[str, Any]:
        """For the delivery log: this socket wrote a message or notification now (realtime.delivery_log)."""
        return delivery_log.write_record(socket=self.channel_name, client=self.client)

    def trace_attributes(self) -> dict[str, Any]:
        """What a span of this socket says about it (core.tracing)."""
        return {"enduser.id": self.user_id, "erp_comm.socket": self.channel_name}

    # Work --------------------------------------------------------------------------------

    async def enqueue(self, task, *, countdown: float | None = None, **kwargs: Any) -> None:
        await enqueue(task, countdown=countdown, **kwargs)
