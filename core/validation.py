"""Validation of client frame fields; failures become `validation_error` frames."""
from __future__ import annotations

from typing import Any

from core.errors import ValidationFailed

# The largest id PostgreSQL's bigint holds; anything above is a client error, not a 500.
MAX_ID = 2**63 - 1
MAX_TEMP_ID_LENGTH = 64
MAX_IDS_PER_FRAME = 500


def is_ascii_digits(text: str) -> bool:
    """0-9 only. `str.isdigit()` is also true for "²", and `int()` also reads "٣" or "３" as 3."""
    return text.isascii() and text.isdigit()


def parse_id(value: Any, field: str, *, required_error: str | None = None) -> int:
    """Accepts a positive number or a string of ASCII digits (docs/websocket-api.md)."""
    if value is None:
        raise ValidationFailed(required_error or f"{field} is required")
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be a number")
    if isinstance(value, str) and is_ascii_digits(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or value <= 0 or value > MAX_ID:
        raise ValidationFailed(f"{field} must be a positive integer")
    return value


def parse_optional_id(value: Any, field: str) -> int | None:
    return None if value is None else parse_id(value, field)


def parse_id_list(value: Any, field: str) -> list[int]:
    if not isinstance(value, list):
        raise ValidationFailed(f"{field} must be a list of ids")
    if len(value) > MAX_IDS_PER_FRAME:
        raise ValidationFailed(f"{field} may hold at most {MAX_IDS_PER_FRAME} ids")
    return [parse_id(item, field) for item in value]


def parse_temp_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_TEMP_ID_LENGTH:
        raise ValidationFailed(f"temp_id must be a string of 1 to {MAX_TEMP_ID_LENGTH} characters")
    return _without_nul(value, "temp_id")


def parse_bool(value: Any, field: str, *, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be true or false")
    return value


def parse_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string")
    return _without_nul(value, field)


def _without_nul(value: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL: refuse it here rather than fail in the worker."""
    if "\x00" in value:
        raise ValidationFailed(f"{field} must not contain NUL characters")
    return value
