"""Errors a client may see: a machine-readable code (docs/websocket-api.md) and a human-readable text."""
from __future__ import annotations

# What a client hears when a dependency (PostgreSQL, Redis, the broker) is away: retry later,
# with the same temp_id.
SERVICE_UNAVAILABLE = "The service is temporarily unavailable; retry shortly"


class ClientError(Exception):
    code = "validation_error"
    http_status = 400

    def __init__(self, error: str, *, code: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        if code is not None:
            self.code = code

    def as_dict(self) -> dict:
        return {"error": self.error, "code": self.code}


class ValidationFailed(ClientError):
    code = "validation_error"
    http_status = 400


class NotFound(ClientError):
    code = "not_found"
    http_status = 404


class Forbidden(ClientError):
    code = "forbidden"
    http_status = 403


class TooLarge(ValidationFailed):
    """Input over its size limit: a text longer than its field allows, a file past its limit or quota.
    A kind of validation failure, so `except ValidationFailed` (notify()'s callers) catches it too."""

    code = "too_large"
    http_status = 400


class Conflict(ClientError):
    """The request repeats an idempotency key (a send's temp_id) with different content."""

    code = "conflict"
    http_status = 409


ERROR_BY_CODE: dict[str, type[ClientError]] = {
    cls.code: cls for cls in (ValidationFailed, NotFound, Forbidden, TooLarge, Conflict)
}


def from_dict(payload: dict) -> ClientError:
    """Rebuilds an error that a worker reported back as a task result."""
    code = payload.get("code")
    return ERROR_BY_CODE.get(str(code), ClientError)(payload["error"], code=code)
