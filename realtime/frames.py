"""Every frame the server sends to a client, on both sockets, built in one place.

One builder per frame type (`docs/asyncapi.yaml` describes each, `docs/websocket-api.md` and
`docs/notifications.md` say when it is sent); nothing else in the code writes a frame as a dict.
Builders take plain values: ids, texts, ISO-8601 timestamps (`core.timestamps.iso_z`), and the
payloads that the apps' selectors shape (`chat.selectors.message_payload`,
`notifications.selectors.notification_payload`). A frame's `timestamp`, the moment the server
sent it, is stamped here.

Where one type means different frames on the two sockets (`unread_count`), each socket has its
own builder; `notification_update` has one per event, so that each carries exactly its fields.
"""
from __future__ import annotations

from typing import Any

from core.timestamps import now_iso

Frame = dict[str, Any]


# Both sockets ----------------------------------------------------------------------------------

def connection(*, user_id: int, last_seq: int, unread_count: int | None = None) -> Frame:
    """The socket is authenticated and live; `last_seq` is the newest `seq` of its stream. The
    notification socket's carries the unread count."""
    frame: Frame = {"type": "connection", "status": "connected", "user_id": user_id, "last_seq": last_seq,
                    "timestamp": now_iso()}
    if unread_count is not None:
        frame["unread_count"] = unread_count
    return frame


def pong() -> Frame:
    return {"type": "pong", "timestamp": now_iso()}


def error(error: str, *, code: str, temp_id: str | None = None) -> Frame:
    """A refused frame, or the reason for a close; `temp_id` echoes the refused send's."""
    frame: Frame = {"type": "error", "error": error, "code": code}
    if temp_id is not None:
        frame["temp_id"] = temp_id
    return frame


def resumed(*, since: int, last_seq: int) -> Frame:
    """The end of a resume's replay: every event after `since` up to `last_seq` was written."""
    return {"type": "resumed", "since": since, "last_seq": last_seq}


def resync_required(*, since: int, oldest_seq: int, last_seq: int) -> Frame:
    """A resume from a `seq` the stream no longer holds (or never held): reload over REST."""
    return {"type": "resync_required", "since": since, "oldest_seq": oldest_seq, "last_seq": last_seq}


def with_seq(frame: Frame, seq: int) -> Frame:
    """A durable frame as its stream numbered it."""
    return {**frame, "seq": seq}


def replayed(frame: Frame) -> Frame:
    """An event written again because a client resumed from before it."""
    return {**frame, "replayed": True}


def as_reply(frame: Frame, reply_type: str) -> Frame:
    """The copy of a frame that the socket whose request it answers sees, under the reply's type:
    a new message goes to all its sender's sockets as `message`, and to the sending one as
    `message_sent` (`realtime.fanout.Push.reply_type`)."""
    return {**frame, "type": reply_type}


# /ws/chat/ -------------------------------------------------------------------------------------

def message(payload: dict[str, Any]) -> Frame:
    """A new or replayed message; `payload` is `chat.selectors.message_payload`'s."""
    return {"type": "message", **payload}


def message_sent(payload: dict[str, Any]) -> Frame:
    """The reply to a send: the message is stored. The same payload as `message`."""
    return {"type": "message_sent", **payload}


def message_edited(*, message_id: int, conversation_id: int, text: str, edited_at: str) -> Frame:
    """To both people of the conversation: the sender changed the text."""
    return {"type": "message_edited", "id": message_id, "conversation_id": conversation_id, "message": text,
            "edited_at": edited_at}


def message_deleted(*, message_id: int, conversation_id: int, deleted_at: str) -> Frame:
    """To both people of the conversation: the sender took the message back; its text and attachment are gone."""
    return {"type": "message_deleted", "id": message_id, "conversation_id": conversation_id, "deleted_at": deleted_at}


def reaction(*, message_id: int, conversation_id: int, user_id: int, emoji: str, added: bool) -> Frame:
    """To both people of the conversation: someone added or removed an emoji on a message."""
    return {"type": "reaction", "message_id": message_id, "conversation_id": conversation_id, "user_id": user_id,
            "emoji": emoji, "action": "add" if added else "remove"}


def delivery_receipt(*, message_id: int, conversation_id: int, delivered_at: str) -> Frame:
    return {"type": "delivery_receipt", "message_id": message_id, "conversation_id": conversation_id,
            "delivered_at": delivered_at}


def read_receipt(*, message_id: int, conversation_id: int, reader_id: int, reader_name: str, read_at: str) -> Frame:
    return {"type": "read_receipt", "message_id": message_id, "conversation_id": conversation_id,
            "reader_id": reader_id, "reader_name": reader_name, "read_at": read_at}


def read_receipt_sent(count: int) -> Frame:
    """The reply to a `read_receipt`: how many messages turned read."""
    return {"type": "read_receipt_sent", "count": count}


def chat_unread_count(*, total_unread: int, conversation_id: int, unread_count: int) -> Frame:
    return {"type": "unread_count", "total_unread": total_unread, "conversation_id": conversation_id,
            "unread_count": unread_count}


def typing_indicator(*, sender_id: int, sender_name: str, is_typing: bool) -> Frame:
    return {"type": "typing_indicator", "sender_id": sender_id, "sender_name": sender_name, "is_typing": is_typing,
            "timestamp": now_iso()}


def online_status(*, user_id: int, is_online: bool, last_seen: str | None) -> Frame:
    """The reply to `get_online_status`; `last_seen` is null for a user hidden from the asker."""
    return {"type": "online_status", "user_id": user_id, "is_online": is_online, "last_seen": last_seen,
            "timestamp": now_iso()}


def online_status_changed(*, user_id: int, is_online: bool, last_seen: str | None = None) -> Frame:
    """A contact's transition; going offline carries `last_seen` (null if never seen)."""
    frame: Frame = {"type": "online_status_changed", "user_id": user_id, "is_online": is_online,
                    "timestamp": now_iso()}
    if not is_online:
        frame["last_seen"] = last_seen
    return frame


# /ws/notifications/ ----------------------------------------------------------------------------

def notification(payload: dict[str, Any], *, reminder: bool = False) -> Frame:
    """A new (or coalesced) notification; `payload` is `notifications.selectors.notification_payload`'s.
    A reminder of an unacknowledged one says so."""
    frame: Frame = {"type": "notification", "notification": payload}
    if reminder:
        frame["reminder"] = True
    return frame


def notification_read(*, notification_id: int, unread_count: int) -> Frame:
    """The reply to `mark_read`."""
    return {"type": "notification_read", "notification_id": notification_id, "unread_count": unread_count}


def all_notifications_read(*, count: int, unread_count: int) -> Frame:
    """The reply to `mark_all_read`."""
    return {"type": "all_notifications_read", "count": count, "unread_count": unread_count}


def notifications_unread_count(count: int) -> Frame:
    """The reply to `get_unread_count`."""
    return {"type": "unread_count", "count": count}


def notification_update_read(*, notification_id: int, read_at: str | None, unread_count: int) -> Frame:
    """To every notification socket of the user: one notification was read."""
    return {"type": "notification_update", "event": "notification_read", "notification_id": notification_id,
            "is_read": True, "read_at": read_at, "unread_count": unread_count}


def notification_update_all_read(*, count: int, read_at: str, unread_count: int) -> Frame:
    return {"type": "notification_update", "event": "all_read", "count": count, "is_read": True,
            "read_at": read_at, "unread_count": unread_count}


def notification_update_dismissed(*, notification_id: int, unread_count: int) -> Frame:
    return {"type": "notification_update", "event": "dismissed", "notification_id": notification_id,
            "unread_count": unread_count}


def notification_update_resolved(*, notification_id: int, reason: str, resolved_at: str, unread_count: int) -> Frame:
    """What the notification was about was dealt with (by anyone): it leaves the list."""
    return {"type": "notification_update", "event": "resolved", "notification_id": notification_id, "reason": reason,
            "resolved_at": resolved_at, "unread_count": unread_count}


def notification_update_acknowledged(*, notification_id: int, acknowledged_at: str, unread_count: int) -> Frame:
    """To every notification socket of the user: a must-acknowledge notification was acknowledged (and so read)."""
    return {"type": "notification_update", "event": "acknowledged", "notification_id": notification_id,
            "acknowledged_at": acknowledged_at, "is_read": True, "unread_count": unread_count}


def notification_update_all_dismissed(*, count: int, unread_count: int) -> Frame:
    return {"type": "notification_update", "event": "all_dismissed", "count": count, "unread_count": unread_count}
