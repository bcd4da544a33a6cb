"""Who may see whose presence. `PRESENCE_VISIBILITY_POLICY` names a function

    policy(user_id: int, viewer_ids: list[int]) -> Collection[int]

that returns which of `viewer_ids` may see the presence of `user_id`. The viewers it is asked
about are always the user's contacts (by default people who share a conversation with them, PRESENCE_CONTACTS), so
a policy can narrow who sees a user's presence but never widen it to strangers.
"""
from __future__ import annotations

from collections.abc import Collection


def contacts_see_each_other(user_id: int, viewer_ids: list[int]) -> Collection[int]:
    """The default: every contact sees the user's presence."""
    return viewer_ids
