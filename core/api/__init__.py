"""REST pieces shared by the apps' APIs."""
from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ClientError


def exception_handler(exc, context):
    """Domain errors become `{"error", "code"}` with their status (CONTRACT §4)."""
    if isinstance(exc, ClientError):
        return Response(exc.as_dict(), status=exc.http_status)
    return drf_exception_handler(exc, context)
