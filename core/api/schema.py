"""OpenAPI generation (drf-spectacular): the shared error shape, documented on every endpoint."""
from __future__ import annotations

from collections.abc import Iterator

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from core.validation import MAX_ID


class ErrorSerializer(serializers.Serializer):
    """Every 4xx body (core.api.exception_handler); a validation error adds its messages per field."""

    error = serializers.CharField(help_text="Human-readable.")
    code = serializers.CharField(required=False, help_text="Machine-readable, e.g. validation_error, not_found.")
    detail = serializers.CharField(required=False, help_text="DRF's message, for errors that DRF raised.")


class ApiSchema(AutoSchema):
    """Documents the errors an endpoint can answer with even when its view does not list them:
    400 when it takes input (an id in its path included), 401 when it needs authentication, 404
    when it names an object or a page (an unknown cursor or page number), 413 when it takes a body,
    429 when it is throttled, and 503 everywhere."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            for status in self._implied_error_statuses(operation):
                operation["responses"].setdefault(status, self._get_response_for_code(ErrorSerializer, status))
        return operation

    def _implied_error_statuses(self, operation: dict) -> Iterator[str]:
        parameters = operation.get("parameters", [])
        if operation.get("requestBody") or any(p["in"] in ("query", "path") for p in parameters):
            yield "400"
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            yield "401"
        if any(p["in"] == "path" or p["name"] in {"cursor", "page"} for p in parameters):
            yield "404"
        if operation.get("requestBody"):
            # core.body_limit: a body over HTTP_MAX_BODY_BYTES is refused before it is read.
            yield "413"
        if self.view.get_throttles():
            yield "429"
        # core.api.exception_handler: PostgreSQL, Redis or the broker is unreachable; retry later.
        yield "503"


def id_path_parameter(name: str, description: str) -> OpenApiParameter:
    """A numeric id in the path, bounded like every id (anything else there is a 400, never a 500)."""
    return OpenApiParameter(name, {"type": "integer", "minimum": 0, "maximum": MAX_ID}, OpenApiParameter.PATH,
                            description=description)
