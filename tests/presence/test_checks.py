"""The system checks refuse presence timings that would break its guarantees."""
from __future__ import annotations

from presence.checks import check_presence_timings


def ids(settings) -> list[str]:
    return [problem.id for problem in check_presence_timings(None)]


def test_the_default_timings_pass(settings):
    assert ids(settings) == []


def test_a_staleness_window_shorter_than_two_beats_is_an_error(settings):
    settings.PRESENCE_HEARTBEAT_SECONDS = 30
    settings.PRESENCE_STALE_SECONDS = 45
    assert ids(settings) == ["presence.E001"]


def test_an_online_key_that_expires_before_entries_go_stale_is_an_error(settings):
    settings.PRESENCE_ONLINE_TTL_SECONDS = 100
    assert ids(settings) == ["presence.E002"]


def test_timings_that_miss_the_five_minute_deadline_are_a_warning(settings):
    settings.PRESENCE_STALE_SECONDS = 240
    settings.PRESENCE_ONLINE_TTL_SECONDS = 600
    assert ids(settings) == ["presence.W001"]
