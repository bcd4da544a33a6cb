"""The one timestamp format of the contract: ISO-8601 UTC with milliseconds and a trailing Z."""
from __future__ import annotations

from datetime import datetime, timezone


def iso_z(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso_z(datetime.now(timezone.utc))
