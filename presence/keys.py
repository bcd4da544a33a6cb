"""The Redis keys of presence (CONTRACT §6) and the few this module adds."""

ONLINE_USERS = "ws:online_users"


def connections(user_id: int) -> str:
    return f"ws:connections:{user_id}"


def online(user_id: int) -> str:
    return f"ws:online:{user_id}"


def last_seen(user_id: int) -> str:
    return f"ws:last_seen:{user_id}"


def announced(user_id: int) -> str:
    """The state last broadcast to contacts, so that only real transitions are announced."""
    return f"ws:presence_announced:{user_id}"


def opened_order(user_id: int) -> str:
    """The user's connections by opening time, to close the oldest past the per-user cap."""
    return f"ws:connections_opened:{user_id}"


def all_for(user_id: int) -> list[str]:
    return [connections(user_id), ONLINE_USERS, online(user_id), last_seen(user_id), opened_order(user_id)]
