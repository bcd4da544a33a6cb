"""Token authentication for REST: DRF's `Token <key>` header, and `Bearer <key>` too."""
from __future__ import annotations

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


class TokenOrBearerAuthentication(TokenAuthentication):
    """DRF's token auth, also accepting the `Bearer` keyword (docs/rest-api.md)."""

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
