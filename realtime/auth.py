"""Socket authentication: the token of `?token=`, its re-checks, and closing the sockets of a
deleted token."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from realtime.db import socket_database
from realtime.fanout import send_control_to_user

_PREFIXES = ("token ", "bearer ")


def token_from_query_string(query_string: bytes) -> str | None:
    values = parse_qs(query_string.decode("latin-1")).get("token")
    if not values:
        return None
    token = values[0].strip()
    if token.lower().startswith(_PREFIXES):
        token = token.split(None, 1)[1] if " " in token else ""
    return token or None


@socket_database
def user_for_token(key: str | None):
    if not key:
        return AnonymousUser()
    # Raw SQL: building the ORM query cost more CPU than running it, on every socket's connect.
    users = get_user_model().objects.raw(
        f"SELECT u.* FROM {get_user_model()._meta.db_table} u JOIN {Token._meta.db_table} t ON t.user_id = u.id"
        " WHERE t.key = %s AND u.is_active",
        [key],
    )
    return next(iter(users), None) or AnonymousUser()


def valid_token_keys(keys: Iterable[str]) -> set[str]:
    """The keys among `keys` that still authenticate an active user."""
    return set(Token.objects.filter(key__in=list(keys), user__is_active=True).values_list("key", flat=True))


def token_fingerprint(key: str | None) -> str:
    """What travels through Redis to name a token: a hash, never the key itself."""
    return hashlib.sha256((key or "").encode()).hexdigest()


@receiver(post_delete, sender=Token)
def close_sockets_of_deleted_token(sender, instance: Token, **_kwargs) -> None:
    """Logout or an admin deleting a token closes the sockets it opened, at once (4001)."""
    fingerprint, user_id = token_fingerprint(instance.key), instance.user_id
    transaction.on_commit(lambda: send_control_to_user(user_id, "token_revoked", token=fingerprint))


class QueryTokenAuthMiddleware:
    """Puts the user of `?token=` into the scope; the consumer closes with 4001 if anonymous.

    When the database cannot answer, `auth_unavailable` is set instead, and the consumer closes
    with 1013 (try again later): a client must not take an outage for a bad token.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = token_from_query_string(scope.get("query_string", b""))
        try:
            scope = dict(scope, user=await self.user_asking_twice(key), token_key=key)
        except DatabaseError:
            scope = dict(scope, user=AnonymousUser(), token_key=key, auth_unavailable=True)
        return await self.app(scope, receive, send)

    @staticmethod
    async def user_asking_twice(key: str | None):
        """Asks twice: a pooled connection that PostgreSQL closed meanwhile (a restart, an idle
        timeout, a terminated session) fails its first query and leaves the pool; only a second
        failure means the database is away."""
        try:
            return await user_for_token(key)
        except DatabaseError:
            return await user_for_token(key)
