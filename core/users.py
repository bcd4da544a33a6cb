"""How a user is shown to other users."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser

from core.errors import NotFound


def display_name(user: AbstractBaseUser) -> str:
    full_name = user.get_full_name() if isinstance(user, AbstractUser) else ""
    return full_name or user.get_username()


def avatar_url(user: AbstractBaseUser) -> str | None:
    """The stock user model has no avatar; a profile app can replace this function."""
    return getattr(user, "avatar_url", None)


def user_summary(user: AbstractBaseUser) -> dict:
    return {"id": user.pk, "username": user.get_username(), "full_name": display_name(user), "avatar": avatar_url(user)}


def active_user_or_none(user_id: int):
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def active_user(user_id: int):
    """The active user with this id; `NotFound` for anyone else."""
    user = active_user_or_none(user_id)
    if user is None:
        raise NotFound("User not found")
    return user
