"""Who may message whom. `CHAT_MESSAGE_POLICY` names the function in force."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser


def any_active_user(sender: AbstractBaseUser, receiver: AbstractBaseUser) -> bool:
    return sender.is_active and receiver.is_active
