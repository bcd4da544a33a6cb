"""REST pieces shared by the apps' APIs."""
from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.http import JsonResponse
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.tasks import WorkerFailed
from core.errors import ERROR_BY_CODE, SERVICE_UNAVAILABLE, ClientError
from core.logging import Throttled

# A dependency that is down, or workers that gave up, answer 503 (retry with the same temp_id), not 500.
INFRASTRUCTURE_ERRORS = (DatabaseError, RedisError, BrokerError, WorkerFailed)
outage_log = Throttled(logging.getLogger(__name__), seconds=30)

CODE_BY_STATUS = {
    400: "validation_error", 401: "auth_failed", 403: "forbidden", 404: "not_found", 413: "too_large",
    429: "rate_limited",
}


def exception_handler(exc, context):
    """Every error body has `error` (human-readable) and `code` (machine-readable) (docs/rest-api.md).

    DRF's own keys stay beside them: `detail`, or a validation error's messages per field.
    """
    if isinstance(exc, ClientError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        outage_log.warning("rest", "a REST request failed: %s (%s)", type(exc).__name__, exc)
        return Response({"error": SERVICE_UNAVAILABLE, "code": "server_error"}, status=503)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _with_error_and_code(response.data, exc, response.status_code)
    return response


def _with_error_and_code(data, exc: Exception, status_code: int) -> dict:
    """DRF's body (Http404 and PermissionDenied included, which DRF converts) plus `error` and `code`."""
    code = CODE_BY_STATUS.get(status_code) or getattr(exc, "default_code", "error")
    if isinstance(exc, ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        path, message = _first_error(fields)
        if getattr(message, "code", None) in ERROR_BY_CODE:
            # A `core.validation` parser's error (core.api.fields): its message and code, as a
            # socket is told them; the message names the field already.
            return {**fields, "error": str(message), "code": message.code}
        return {**fields, "error": f"{path}: {message}" if path else str(message), "code": code}
    return {**data, "error": str(data.get("detail", "Request failed")), "code": code}


def _first_error(errors, path: str = "") -> tuple[str, Any]:
    """The first (possibly nested) field error and where it is: `("receiver_id", "This field is required.")`."""
    if isinstance(errors, dict):
        if not errors:
            return path, "Invalid input."
        key, value = next(iter(errors.items()))
        return _first_error(value, path if key == "non_field_errors" else f"{path}.{key}" if path else str(key))
    if isinstance(errors, list) and errors:
        return _first_error(errors[0], path)
    return path, errors


def not_found(request, exception):
    """Unknown URLs under /api/ (a path id that is not a number) answer in the API's error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "Not found", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "Internal server error", "code": "server_error"}, status=500)
    return defaults.server_error(request)
