"""HTTP middleware of the project's own."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.db import release_connection


class ReleaseDatabaseConnectionMiddleware:
    """A request gives its database connection back when its view returns, not when the last byte
    of the response reached the client: a slow download or a slow network otherwise holds a
    pooled connection for as long as the client takes. No response body here reads the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        release_connection()
        return response
