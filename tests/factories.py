"""Rows for in-process tests, written with the models directly (pytest-django's `db` or
`transactional_db` fixture): users with an API token, conversations, messages, attachments and
notifications.

Each factory leaves the database as the services would: a conversation stores its pair in order,
and its last message and unread counters agree with its messages (the services subtract from those
counters, so a counter that a factory forgot would go below zero).
"""
from __future__ import annotations

import itertools
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from rest_framework.authtoken.models import Token

from chat import uploads
from chat.models import Attachment, ChatMessage, Conversation
from chat.services import idempotency_key_for
from notifications.models import InAppNotification

_usernames = itertools.count(1)


def unique_username() -> str:
    return f"user{next(_usernames)}"


def make_user(first_name: str = "Test", *, username: str | None = None, password: str | None = None,
              **fields) -> AbstractBaseUser:
    """An active user with an API token (`user.auth_token.key`). No usable password unless one is
    given: hashing it takes a good part of a second."""
    user = get_user_model().objects.create_user(
        username=username or unique_username(), password=password, first_name=first_name, **fields)
    Token.objects.create(user=user)
    return user


def make_conversation(one: AbstractBaseUser, other: AbstractBaseUser, **fields) -> Conversation:
    """The two users' conversation, created if they have none yet (`fields` apply to a new one)."""
    low, high = sorted((one.pk, other.pk))
    conversation, _ = Conversation.objects.get_or_create(participant1_id=low, participant2_id=high, defaults=fields)
    return conversation


def make_message(sender: AbstractBaseUser, receiver: AbstractBaseUser, text: str = "Hello", *, read: bool = False,
                 delivered: bool = False, attachment: Attachment | None = None,
                 temp_id: str | None = None) -> ChatMessage:
    """A message in the pair's conversation (created if needed), which becomes its last message;
    unread ones count in the receiver's counter. A read message is a delivered one."""
    conversation = make_conversation(sender, receiver)
    now = timezone.now()
    message = ChatMessage.objects.create(
        conversation=conversation, sender=sender, receiver=receiver, message=text, attachment=attachment,
        temp_id=temp_id, idempotency_key=idempotency_key_for(temp_id), is_read=read, read_at=now if read else None,
        delivered_at=now if read or delivered else None,
    )
    counter = conversation.unread_field_for(receiver.pk)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=message.timestamp, **({} if read else {counter: F(counter) + 1}))
    conversation.refresh_from_db()
    return message


def make_attachment(uploader: AbstractBaseUser, *, name: str = "notes.txt",
                    content: bytes = b"some plain text\n") -> Attachment:
    """An upload not yet attached to a message, its file in storage, typed by its content."""
    sniffed = uploads.sniff(content)
    attachment = Attachment(uploader=uploader, attachment_type=sniffed.attachment_type, content_type=sniffed.mime,
                            size=len(content), name=name)
    attachment.file.save(f"{uuid.uuid4().hex}.{sniffed.extension}", ContentFile(content), save=False)
    attachment.save()
    return attachment


def make_notification(recipient: AbstractBaseUser, title: str = "Invoice 42 is overdue", *, read: bool = False,
                      dismissed: bool = False, **fields) -> InAppNotification:
    """A `notice` for the recipient, unless `fields` say otherwise."""
    now = timezone.now()
    fields.setdefault("notification_type", "notice")
    return InAppNotification.objects.create(
        recipient=recipient, title=title, is_read=read, read_at=now if read else None, is_dismissed=dismissed,
        dismissed_at=now if dismissed else None, **fields)
