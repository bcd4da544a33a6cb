"""The timestamp check that every received frame and REST body goes through (tests/support/timestamps.py)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.timestamps import iso_z
from tests.support.timestamps import timestamp_violations

WHEN = datetime(2026, 1, 12, 10, 30, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("value", [
    WHEN.isoformat(),                                   # 2026-01-12T10:30:00.123456+00:00
    WHEN.replace(microsecond=0).isoformat(),            # no fraction, offset
    "2026-01-12T10:30:00.123456Z",                      # DRF's default: microseconds
    "2026-01-12T10:30:00Z",                             # no milliseconds
    "2026-01-12T10:30:00.123",                          # no zone
    "2026-01-12 10:30:00.123Z",                         # a space for the T
    "2026-01-12T11:30:00.123+01:00",                    # another zone
])
def test_a_timestamp_in_another_format_is_a_violation_wherever_it_is(value):
    body = {"results": [{"id": 1, "reactions": [{"at": value}]}]}

    violations = timestamp_violations("GET /x/", body)

    assert len(violations) == 1 and "results[0].reactions[0].at" in violations[0] and repr(value) in violations[0]


@pytest.mark.parametrize("value", [
    iso_z(WHEN),
    "hello 2026-01-12T10:30:00+00:00 is just text in a message",
    "2026-01-12",
    "12:30",
    "2026-01-12T10:30:00.123Z",
])
def test_the_contract_format_and_ordinary_text_pass(value):
    assert timestamp_violations("frame", {"message": value, "timestamp": iso_z(WHEN)}) == []
