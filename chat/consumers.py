"""`/ws/chat/`: validates frames and enqueues the work; typing goes straight to the channel layer."""
from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

from django.conf import settings

from chat import tasks, typing
from chat.selectors import is_blocked_either_way
from chat.services import idempotency_key_for, validate_message_text, validate_read_selector
from core import metrics, tracing
from core.errors import ValidationFailed
from core.users import active_user
from core.validation import (
    parse_bool,
    parse_emoji,
    parse_id,
    parse_id_list,
    parse_optional_id,
    parse_optional_id_list,
    parse_temp_id,
    parse_text,
)
from presence.consumers import PresenceMixin
from presence.selectors import online_status_frame
from realtime.consumers import RealtimeConsumer
from realtime.db import socket_database
from realtime.handover import RequestBatch, one_per_event_loop
from realtime.replies import SendQueue

REPLAY_OVERLAP_SECONDS = 5.0
PENDING_REPLAY_WINDOW_SECONDS = 0.05

send_queue = one_per_event_loop(partial(SendQueue, task=tasks.SEND_MESSAGES))

# Receipts of messages that reach this process's sockets within CHAT_DELIVERY_RECEIPT_WINDOW_SECONDS
# are acknowledged in one task, for every receiver at once: a task per message doubled the workers'
# task count (docs/performance.md). The window only delays the sender's delivered tick. A refused
# batch leaves the rows undelivered, so the receivers get them again from the pending replay.
delivery_receipts = one_per_event_loop(
    lambda loop: RequestBatch(loop, task=tasks.MARK_DELIVERED_MANY, window=settings.CHAT_DELIVERY_RECEIPT_WINDOW_SECONDS))

# Every new socket's replay of what it missed, gathered like the receipts. A socket whose replay
# the broker refused is closed with 1013, so that it reconnects rather than miss its messages.
pending_replays = one_per_event_loop(
    partial(RequestBatch, task=tasks.DELIVER_PENDING_MANY, window=PENDING_REPLAY_WINDOW_SECONDS))


class ChatConsumer(PresenceMixin, RealtimeConsumer):
    family = "chat"
    default_frame_type = "message"
    frame_handlers = {
        "message": "handle_message",
        "typing": "handle_typing",
        "read_receipt": "handle_read_receipt",
        "delivery_receipt": "handle_delivery_receipt",
        "edit_message": "handle_edit_message",
        "delete_message": "handle_delete_message",
        "react": "handle_react",
        "get_online_status": "handle_get_online_status",
        "resume": "handle_resume",
        "ping": "handle_ping",
    }
    # Changes to sent messages count against the same budget as sends.
    rate_families = {"message": "message", "edit_message": "message", "delete_message": "message",
                     "react": "message", "typing": "typing"}
    silently_limited = frozenset({"typing"})
    # The message ids forwarded since the pending replay was asked for (`on_connected`).
    forwarded_after_connect: set[int] | None = None

    async def on_connected(self) -> None:
        self.typing_timers: dict[int, asyncio.TimerHandle] = {}
        # When each send still waiting for its message_sent arrived (the send-to-stored metric).
        self.sends_started: dict[str, float] = {}
        # The replay of missed messages runs a moment after the socket joined its group, so a
        # message can reach it both live and replayed: the ids it forwarded meanwhile are kept
        # for a few seconds (not for the socket's life: idle sockets stay small).
        self.forwarded_after_connect = set()
        asyncio.get_running_loop().call_later(REPLAY_OVERLAP_SECONDS, self.forget_forwarded)
        if not self.resumed_on_connect:
            # A socket that resumed its stream got its missed messages from it.
            pending_replays().add({"user_id": self.user_id, "channel": self.channel_name},
                                  if_refused=self.close_for_refused_setup)
        await super().on_connected()

    async def on_disconnected(self) -> None:
        await super().on_disconnected()
        send_queue().socket_closed(self)
        for partner_id in list(self.typing_timers):
            await self.end_typing(partner_id, only_if_active=False)

    async def handle_message(self, frame: dict) -> None:
        receiver_id = parse_id(frame.get("receiver_id"), "receiver_id")
        text = parse_text(frame.get("message"), "message")
        attachment_id = parse_optional_id(frame.get("attachment_id"), "attachment_id")
        temp_id = parse_temp_id(frame.get("temp_id"))
        reply_to_id = parse_optional_id(frame.get("reply_to_id"), "reply_to_id")
        validate_message_text(text=text, has_attachment=attachment_id is not None)
        if receiver_id == self.user_id:
            raise ValidationFailed("You cannot send a message to yourself")
        if receiver_id in self.typing_timers:
            # Sending ends this socket's typing spell; a spell that another tab started expires
            # by itself, which saves every other message a Redis round trip.
            await self.end_typing(receiver_id, only_if_active=True)
        idempotency_key = idempotency_key_for(temp_id)
        self.sends_started[idempotency_key] = time.monotonic()
        send = {
            "sender_id": self.user_id, "receiver_id": receiver_id, "text": text, "temp_id": temp_id,
            "idempotency_key": idempotency_key,
            "attachment_id": attachment_id, "reply_channel": self.channel_name, "reply_to_id": reply_to_id,
        }
        if (parent := tracing.traceparent()) is not None:
            send["trace"] = parent  # the worker links it to its batch's trace (core.tracing.link_to_batch)
        send_queue().submit(self, send)

    async def handle_edit_message(self, frame: dict) -> None:
        message_id = parse_id(frame.get("message_id"), "message_id")
        if frame.get("message") is None:
            raise ValidationFailed("message is required")
        text = parse_text(frame["message"], "message", max_length=settings.CHAT_MAX_MESSAGE_LENGTH)
        await self.enqueue(tasks.EDIT_MESSAGE, editor_id=self.user_id, message_id=message_id, text=text,
                           reply_channel=self.channel_name)

    async def handle_delete_message(self, frame: dict) -> None:
        message_id = parse_id(frame.get("message_id"), "message_id")
        await self.enqueue(tasks.DELETE_MESSAGE, user_id=self.user_id, message_id=message_id,
                           reply_channel=self.channel_name)

    async def handle_react(self, frame: dict) -> None:
        message_id = parse_id(frame.get("message_id"), "message_id")
        emoji = parse_emoji(frame.get("emoji"))
        action = frame.get("action", "add")
        if action not in ("add", "remove"):
            raise ValidationFailed('action must be "add" or "remove"')
        await self.enqueue(tasks.REACT, user_id=self.user_id, message_id=message_id, emoji=emoji, add=action == "add",
                           reply_channel=self.channel_name)

    async def handle_typing(self, frame: dict) -> None:
        partner_id = parse_id(frame.get("receiver_id"), "receiver_id")
        is_typing = parse_bool(frame.get("is_typing"), "is_typing", default=True)
        if partner_id == self.user_id:
            raise ValidationFailed("You cannot type to yourself")
        if not is_typing:
            await self.end_typing(partner_id, only_if_active=False)
            return
        if partner_id not in self.typing_timers and not await self.may_type_to(partner_id):
            # Checked once per spell. Typing between people who blocked each other goes nowhere,
            # silently: only a send tells the blocked person.
            return
        if await typing.start_typing(user_id=self.user_id, user_name=self.user_name, partner_id=partner_id):
            await self.enqueue(tasks.RECORD_TYPING, user_id=self.user_id, partner_id=partner_id, is_typing=True)
        self.restart_typing_timer(partner_id)

    def restart_typing_timer(self, partner_id: int) -> None:
        if timer := self.typing_timers.pop(partner_id, None):
            timer.cancel()
        # A little after the key's TTL, so that the key has expired unless it was refreshed.
        self.typing_timers[partner_id] = asyncio.get_running_loop().call_later(
            settings.CHAT_TYPING_TTL_SECONDS + 0.25,
            lambda: asyncio.ensure_future(self.typing_timed_out(partner_id)),
        )

    async def typing_timed_out(self, partner_id: int) -> None:
        self.typing_timers.pop(partner_id, None)
        await typing.expire_typing(user_id=self.user_id, user_name=self.user_name, partner_id=partner_id)

    async def end_typing(self, partner_id: int, *, only_if_active: bool) -> None:
        if timer := self.typing_timers.pop(partner_id, None):
            timer.cancel()
        await typing.stop_typing(
            user_id=self.user_id, user_name=self.user_name, partner_id=partner_id, only_if_active=only_if_active
        )

    async def handle_read_receipt(self, frame: dict) -> None:
        # Each field is read before the selector is judged, as `POST chats/mark-read/` does.
        selectors: dict[str, Any] = {
            "message_ids": parse_optional_id_list(frame.get("message_ids"), "message_ids"),
            **{name: parse_optional_id(frame.get(name), name) for name in ("conversation_id", "sender_id", "up_to_id")},
        }
        validate_read_selector(**selectors)
        given = {name: value for name, value in selectors.items() if value is not None}
        await self.enqueue(tasks.MARK_READ, reader_id=self.user_id, reply_channel=self.channel_name, **given)

    async def handle_delivery_receipt(self, frame: dict) -> None:
        if frame.get("message_ids") is not None:
            message_ids = parse_id_list(frame["message_ids"], "message_ids")
        else:
            message_ids = [parse_id(frame.get("message_id"), "message_id", required_error="Provide message_id or message_ids")]
        await self.enqueue(tasks.MARK_DELIVERED_MANY,
                           requests=[{"receiver_id": self.user_id, "message_id": message_id} for message_id in message_ids])

    async def handle_get_online_status(self, frame: dict) -> None:
        user_id = parse_id(frame.get("user_id"), "user_id")
        await self.send_frame(await self.online_status(user_id))

    @socket_database
    def online_status(self, user_id: int) -> dict:
        active_user(user_id)
        return online_status_frame(viewer_id=self.user_id, user_id=user_id)

    @socket_database
    def may_type_to(self, partner_id: int) -> bool:
        """Typing to nobody is refused (it would otherwise be recorded, and fail, every time)."""
        active_user(partner_id)
        return not is_blocked_either_way(self.user_id, partner_id)

    def forget_forwarded(self) -> None:
        self.forwarded_after_connect = None

    def is_repeat(self, frame: dict) -> bool:
        """A message of the pending replay (without `seq`) that reached the socket live already.
        An event of the stream (with `seq`) is always written: the client counts on every `seq`."""
        if frame["type"] != "message" or self.forwarded_after_connect is None:
            return False
        if frame["id"] in self.forwarded_after_connect:
            return "seq" not in frame
        self.forwarded_after_connect.add(frame["id"])
        return False

    async def after_push(self, frame: dict, *, reply_to: str | None) -> None:
        """A message that reached a live socket of its receiver is delivered (docs/websocket-api.md)."""
        if reply_to is not None:
            send_queue().answered(self, reply_to)
            started = self.sends_started.pop(reply_to, None)
            if started is not None and frame["type"] == "message_sent":
                metrics.send_stored(time.monotonic() - started)
        if frame["type"] == "message" and frame["receiver_id"] == self.user_id:
            # Written again (another socket, a replay): logged again, the receipt's update is a no-op.
            delivery_receipts().add({"receiver_id": self.user_id, "message_id": frame["id"], **self.write_record()})
            if frame["delivered_at"] is None and "seq" in frame and not frame.get("replayed"):
                metrics.message_delivered(frame["timestamp"])
