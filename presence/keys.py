"""The Redis keys of presence (docs/presence.md) and the few this module adds (docs/presence.md)."""

ONLINE_USERS = "ws:online_users"
# Users whose contacts were last told "online", so that only real transitions are announced.
ANNOUNCED_ONLINE = "ws:presence_announced"


def connections(user_id: int) -> str:
    """Hash: channel name of each live socket -> its last heartbeat (Redis clock, seconds)."""
    return f"ws:connections:{user_id}"


def online(user_id: int) -> str:
    return f"ws:online:{user_id}"


def last_seen(user_id: int) -> str:
    return f"ws:last_seen:{user_id}"


def opened_order(user_id: int) -> str:
    """The user's connections by opening time, to close the oldest past the per-user cap."""
    return f"ws:connections_opened:{user_id}"


def notification_sockets(user_id: int) -> str:
    """Set: which of the user's entries are `/ws/notifications/` sockets; every other entry is a chat socket."""
    return f"ws:notification_sockets:{user_id}"


def connection_keys(user_id: int) -> list[str]:
    return [connections(user_id), ONLINE_USERS, online(user_id), last_seen(user_id), opened_order(user_id),
            notification_sockets(user_id)]


def announcement_keys(user_id: int) -> list[str]:
    return [ONLINE_USERS, ANNOUNCED_ONLINE, last_seen(user_id)]
