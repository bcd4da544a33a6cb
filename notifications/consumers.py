"""`/ws/notifications/`: validates frames and enqueues the inbox changes (docs/notifications.md)."""
from __future__ import annotations

from django.conf import settings
from redis.exceptions import RedisError

from core.validation import parse_id
from notifications import selectors, tasks
from presence import services as presence
from presence.consumers import PresenceMixin, outage_log
from realtime import frames
from realtime.consumers import RealtimeConsumer
from realtime.db import socket_database
from realtime.handover import RequestBatch, one_per_event_loop

# Which notifications reached a live socket, for the acknowledgement report and the delivery log;
# gathered like the chat's delivery receipts, one task per window per server process.
deliveries = one_per_event_loop(
    lambda loop: RequestBatch(loop, task=tasks.MARK_DELIVERED_MANY, window=settings.CHAT_DELIVERY_RECEIPT_WINDOW_SECONDS))


class NotificationConsumer(PresenceMixin, RealtimeConsumer):
    family = "notifications"
    frame_handlers = {
        "mark_read": "handle_mark_read",
        "mark_all_read": "handle_mark_all_read",
        "get_unread_count": "handle_get_unread_count",
        "dismiss": "handle_dismiss",
        "resume": "handle_resume",
        "ping": "handle_ping",
    }

    async def start_presence(self) -> None:
        """A notification socket keeps its user online but does not show chat messages: marked as
        such, it leaves the user eligible for chat notifications."""
        await super().start_presence()
        try:
            await presence.mark_notification_socket(user_id=self.user_id, connection=self.channel_name)
        except RedisError as error:
            # Unmarked, the socket counts as a chat socket until it reconnects (the Redis watch
            # closes every socket with 1012 once Redis is back).
            outage_log.warning("presence", "a notification socket could not be marked (%s)", error)

    async def connection_frame(self, *, last_seq: int) -> frames.Frame:
        return frames.connection(user_id=self.user_id, last_seq=last_seq, unread_count=await self.unread_count())

    @socket_database
    def unread_count(self) -> int:
        return selectors.unread_count(self.user_id)

    async def after_push(self, frame: dict, *, reply_to: str | None) -> None:
        if frame["type"] == "notification":
            deliveries().add({"user_id": self.user_id, "notification_id": frame["notification"]["id"],
                              **self.write_record()})

    async def handle_mark_read(self, frame: dict) -> None:
        notification_id = parse_id(frame.get("notification_id"), "notification_id")
        await self.enqueue(tasks.MARK_READ, user_id=self.user_id, notification_id=notification_id,
                           reply_channel=self.channel_name)

    async def handle_mark_all_read(self, frame: dict) -> None:
        await self.enqueue(tasks.MARK_ALL_READ, user_id=self.user_id, reply_channel=self.channel_name)

    async def handle_get_unread_count(self, frame: dict) -> None:
        await self.send_frame(frames.notifications_unread_count(await self.unread_count()))

    async def handle_dismiss(self, frame: dict) -> None:
        notification_id = parse_id(frame.get("notification_id"), "notification_id")
        await self.enqueue(tasks.DISMISS, user_id=self.user_id, notification_id=notification_id,
                           reply_channel=self.channel_name)
