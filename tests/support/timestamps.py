"""The one timestamp format (`core.timestamps.iso_z`), checked on everything the test clients receive.

Any string that reads as a date and time (a frame field, a REST field, however deeply nested) must
be ISO-8601 UTC with milliseconds and a trailing Z, e.g. "2026-01-12T10:30:00.123Z": an offset
("+00:00"), a missing Z, microseconds or a space instead of the T is a violation. A fixture in
tests/conftest.py fails the test during which one arrived.
"""
from __future__ import annotations

import re
from typing import Any

# Anything a serializer might turn a datetime into: a date, a time, optional fraction and zone.
DATETIME_LIKE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
CONTRACT_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def timestamp_violations(where: str, payload: Any) -> list[str]:
    """One line per datetime-like string in `payload` that is not in the contract's format."""
    return [
        f"{where}: {path or 'the body'} = {value!r} is not an ISO-8601 UTC timestamp like '2026-01-12T10:30:00.123Z'"
        for path, value in _strings(payload, "")
        if DATETIME_LIKE.fullmatch(value) and not CONTRACT_FORMAT.fullmatch(value)
    ]


def _strings(value: Any, path: str):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value
