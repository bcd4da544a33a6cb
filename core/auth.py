"""Token authentication for REST (`Token`/`Bearer` header) and WebSocket (`?token=`)."""
from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.authtoken.models import Token

_PREFIXES = ("token ", "bearer ")


class TokenOrBearerAuthentication(TokenAuthentication):
    """DRF's token auth, also accepting the `Bearer` keyword (CONTRACT §1)."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() not in (b"token", b"bearer"):
            return None
        if len(words) != 2:
            raise AuthenticationFailed("Invalid token header: expected 'Token <key>' or 'Bearer <key>'.")
        try:
            key = words[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token header: the key must be ASCII.") from None
        return self.authenticate_credentials(key)


def token_from_query_string(query_string: bytes) -> str | None:
    values = parse_qs(query_string.decode("latin-1")).get("token")
    if not values:
        return None
    token = values[0].strip()
    if token.lower().startswith(_PREFIXES):
        token = token.split(None, 1)[1] if " " in token else ""
    return token or None


@database_sync_to_async
def user_for_token(key: str | None):
    if not key:
        return AnonymousUser()
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


def token_is_valid(*, user_id: int, key: str) -> bool:
    return Token.objects.filter(key=key, user_id=user_id, user__is_active=True).exists()


class QueryTokenAuthMiddleware:
    """Puts the user of `?token=` into the scope; the consumer closes with 4001 if anonymous."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = token_from_query_string(scope.get("query_string", b""))
        scope = dict(scope, user=await user_for_token(key), token_key=key)
        return await self.app(scope, receive, send)
