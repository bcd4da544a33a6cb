"""Who may see whose presence. `PRESENCE_VISIBILITY_POLICY` names the policy object in force.

A policy has `audience(user_id)` (who is told about the user's transitions) and
`can_see(viewer_id, user_id)`. The default lets contacts (people who share a conversation) see each
other.
"""
from __future__ import annotations

from chat.selectors import contact_ids


class contacts_only:  # noqa: N801 - referenced by dotted path in settings, like a function
    @staticmethod
    def audience(user_id: int) -> list[int]:
        return contact_ids(user_id)

    @staticmethod
    def can_see(viewer_id: int, user_id: int) -> bool:
        return viewer_id == user_id or user_id in contact_ids(viewer_id)
