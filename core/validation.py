"""The one vocabulary of input validation: socket frames, REST requests and the task API.

Each parser takes a raw value as a client sent it (JSON, or the text of a path, query string or
form) and returns it typed, or raises a `ClientError` whose code and message are what the client
sees on either transport: as an `error` frame on a socket, as the `error` and `code` of a 400
over REST (`core.api.fields` wraps these parsers as DRF fields). A missing field is `None`.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import regex
from django.utils.dateparse import parse_datetime

from core.errors import TooLarge, ValidationFailed

# The largest id PostgreSQL's bigint holds; anything above is a client error, not a 500.
MAX_ID = 2**63 - 1
MAX_SEQ = MAX_ID  # an event's number, a bigint too
MAX_TEMP_ID_LENGTH = 64
MAX_IDS_PER_FRAME = 500
MAX_EMOJI_BYTES = 32
# What starts an emoji grapheme: a pictograph (which skin tones, variation selectors, ZWJ joins and
# tag sequences extend), a flag's pair of regional indicators, or a keycap.
EMOJI_START = regex.compile(r"\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3")
GRAPHEME = regex.compile(r"\X")
# What a form or a query string, where every value is text, says for a boolean.
BOOLEAN_WORDS = {"true": True, "1": True, "false": False, "0": False}


def is_ascii_digits(text: str) -> bool:
    """0-9 only. `str.isdigit()` is also true for "²", and `int()` also reads "٣" or "３" as 3."""
    return text.isascii() and text.isdigit()


def _whole_number(value: Any) -> int | None:
    """A JSON integer, or a string of ASCII digits (spaces around it allowed); anything else is None."""
    if isinstance(value, str) and is_ascii_digits(value.strip()):
        return int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_id(value: Any, field: str, *, required_error: str | None = None) -> int:
    """Accepts a positive number or a string of ASCII digits (docs/websocket-api.md)."""
    if value is None:
        raise ValidationFailed(required_error or f"{field} is required")
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be a number")
    number = _whole_number(value)
    if number is None or number <= 0 or number > MAX_ID:
        raise ValidationFailed(f"{field} must be a positive integer")
    return number


def parse_optional_id(value: Any, field: str) -> int | None:
    return None if value is None else parse_id(value, field)


def parse_int(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """A bounded count (a page size, an offset), written like an id."""
    number = _whole_number(value)
    if number is None or not minimum <= number <= maximum:
        raise ValidationFailed(f"{field} must be an integer from {minimum} to {maximum}")
    return number


def parse_seq(value: Any, field: str = "since") -> int:
    """A position in an event stream: 0 (before the first event) or an event's `seq`."""
    if value is None:
        raise ValidationFailed(f"{field} is required")
    return parse_int(value, field, minimum=0, maximum=MAX_SEQ)


def parse_id_list(value: Any, field: str, *, max_items: int | None = MAX_IDS_PER_FRAME, items: str = "ids") -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed(f"{field} must be a list of {items}")
    if max_items is not None and len(value) > max_items:
        raise ValidationFailed(f"{field} may hold at most {max_items} {items}")
    return [parse_id(item, field) for item in value]


def parse_optional_id_list(value: Any, field: str) -> list[int] | None:
    return None if value is None else parse_id_list(value, field)


def parse_temp_id(value: Any) -> str | None:
    """A client's idempotency key: a key of the wrong size is malformed (`validation_error`), not too large."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_TEMP_ID_LENGTH:
        raise ValidationFailed(f"temp_id must be a string of 1 to {MAX_TEMP_ID_LENGTH} characters")
    return _without_nul(value, "temp_id")


def parse_bool(value: Any, field: str, *, default: bool) -> bool:
    """JSON `true` or `false` only: "yes", 1 or "true" are refused rather than guessed at."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be true or false")
    return value


def parse_text(value: Any, field: str, *, max_length: int | None = None, required: bool = False) -> str:
    """A string; missing is "" unless `required`, which refuses missing and blank text alike.
    Over `max_length` characters is `too_large`, on every transport."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string")
    if max_length is not None and len(value) > max_length:
        raise TooLarge(f"{field} is longer than {max_length} characters")
    if required and not value.strip():
        raise ValidationFailed(f"{field} is required")
    return _without_nul(value, field)


def _without_nul(value: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL: refuse it here rather than fail in the worker."""
    if "\x00" in value:
        raise ValidationFailed(f"{field} must not contain NUL characters")
    return value


def parse_emoji(value: Any, field: str = "emoji") -> str:
    """One emoji as a person sees it: a single grapheme cluster (a flag, a skin tone or a family is
    one) of at most MAX_EMOJI_BYTES in UTF-8. Text, `:shortcodes:` and several emoji are refused."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed(f"{field} must be one emoji")
    if len(value.encode()) > MAX_EMOJI_BYTES or len(GRAPHEME.findall(value)) != 1 or not EMOJI_START.match(value):
        raise ValidationFailed(f"{field} must be one emoji")
    return value


def parse_optional_timestamp(value: Any, field: str) -> datetime | None:
    """An ISO-8601 date and time (UTC when it names no offset), or null."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationFailed(f"{field} must be an ISO-8601 date and time, or null")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
