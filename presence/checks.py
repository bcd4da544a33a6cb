"""System checks: presence timings that would break the guarantees of docs/presence.md."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

# docs/presence.md: a user whose server died goes offline within 5 minutes.
OFFLINE_DEADLINE_SECONDS = 300


@register()
def check_presence_timings(app_configs, **kwargs) -> list:
    heartbeat = settings.PRESENCE_HEARTBEAT_SECONDS
    stale = settings.PRESENCE_STALE_SECONDS
    problems: list[CheckMessage] = []
    if heartbeat * 2 > stale:
        problems.append(Error(
            "PRESENCE_STALE_SECONDS must be at least twice PRESENCE_HEARTBEAT_SECONDS, or the sweep "
            "takes out live sockets whose beat is a little late.",
            id="presence.E001",
        ))
    if stale >= settings.PRESENCE_ONLINE_TTL_SECONDS:
        problems.append(Error(
            "PRESENCE_ONLINE_TTL_SECONDS must exceed PRESENCE_STALE_SECONDS, or ws:online:{id} expires "
            "while the user is still online.",
            id="presence.E002",
        ))
    worst_case = stale + settings.PRESENCE_SWEEP_SECONDS + settings.PRESENCE_OFFLINE_GRACE_SECONDS
    if worst_case > OFFLINE_DEADLINE_SECONDS:
        problems.append(Warning(
            f"A user whose server died is announced offline after up to {worst_case:.0f} s "
            f"(stale + sweep + grace), beyond the contract's {OFFLINE_DEADLINE_SECONDS} s.",
            id="presence.W001",
        ))
    return problems
