"""Lua scripts that change presence atomically, so every key always agrees with the entries.

Every time comes from Redis's own clock (`TIME`), so heartbeats written by one host and sweeps run
on another are compared on one clock. Scripts that touch one user's connections take
KEYS = presence.keys.connection_keys(user_id); the announcement script takes
presence.keys.announcement_keys(user_id).
"""
from __future__ import annotations

import hashlib
from typing import Any

from redis.exceptions import NoScriptError

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stamp = string.format('%.6f', now)
"""

# Offline exactly when the last entry is gone: the set, the online key and the marks follow the hash.
_GO_OFFLINE_IF_NO_CONNECTIONS = """
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[3], KEYS[5], KEYS[6])
  return redis.call('SREM', KEYS[2], ARGV[1])
end
return 0
"""


class LuaScript:
    """A script run by its SHA, loaded on first use (and again after a Redis restart)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def run(self, client, keys: list[str], args: list) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            client.script_load(self.source)
            return client.evalsha(self.sha, len(keys), *keys, *args)

    async def arun(self, client, keys: list[str], args: list) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await client.script_load(self.source)
            return await client.evalsha(self.sha, len(keys), *keys, *args)

    def queue(self, pipeline, keys: list[str], args: list) -> None:
        """Adds a run to a pipeline; call `ensure_loaded` on the client first."""
        pipeline.evalsha(self.sha, len(keys), *keys, *args)

    def ensure_loaded(self, client) -> None:
        client.script_load(self.source)


# ARGV: user_id, connection, online_ttl. Returns 1 if the user just came online.
# It is also the heartbeat, so a live socket whose entry was swept (a stalled process) comes back.
TOUCH_CONNECTION = LuaScript(_NOW + """
local was_online = redis.call('SISMEMBER', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], stamp)
redis.call('ZADD', KEYS[5], 'NX', stamp, ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], stamp, 'EX', ARGV[3])
redis.call('SET', KEYS[4], stamp)
return 1 - was_online
""")

# ARGV: user_id, connection. Returns 1 if that was the user's last connection.
CLOSE_CONNECTION = LuaScript(_NOW + """
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], ARGV[2])
redis.call('SET', KEYS[4], stamp)
""" + _GO_OFFLINE_IF_NO_CONNECTIONS)

# ARGV: user_id, stale_after_seconds. Returns 1 if the user went offline. Running it twice at once
# is safe: Redis runs scripts one at a time, and the second run finds nothing stale. last_seen keeps
# the last heartbeat, the last sign of life. A swept entry keeps its notification-socket mark, so a
# socket of a process that was only stalled is still known as one when it beats again; the marks go
# when the user goes offline.
SWEEP_STALE = LuaScript(_NOW + """
local stale_before = now - tonumber(ARGV[2])
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if tonumber(entries[i + 1]) < stale_before then
    redis.call('HDEL', KEYS[1], entries[i])
    redis.call('ZREM', KEYS[5], entries[i])
  end
end
""" + _GO_OFFLINE_IF_NO_CONNECTIONS)

# ARGV: user_id, cap. Removes the user's oldest entries beyond the cap and returns their channel
# names, so that exactly the cap remains even when some entries belong to a dead process.
EVICT_OVER_CAP = LuaScript("""
local excess = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[2])
if excess <= 0 then return {} end
local oldest = redis.call('ZRANGE', KEYS[5], 0, excess - 1)
redis.call('ZREM', KEYS[5], unpack(oldest))
redis.call('HDEL', KEYS[1], unpack(oldest))
redis.call('SREM', KEYS[6], unpack(oldest))
return oldest
""")

# ARGV: user_id, connection. Marks a live entry as a notification socket (an entry that is gone is
# left unmarked), after its first TOUCH_CONNECTION, so that the mark never outlives the user's
# entries.
MARK_NOTIFICATION_SOCKET = LuaScript("""
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
  redis.call('SADD', KEYS[6], ARGV[2])
end
""")

# KEYS: connections and notification-socket marks of each user in turn. Returns one flag per user:
# 1 if at least one of their entries is not a notification socket, that is, a chat socket.
HAS_CHAT_SOCKET = LuaScript("""
local flags = {}
for i = 1, #KEYS, 2 do
  local flag = 0
  for _, socket in ipairs(redis.call('HKEYS', KEYS[i])) do
    if redis.call('SISMEMBER', KEYS[i + 1], socket) == 0 then
      flag = 1
      break
    end
  end
  flags[#flags + 1] = flag
end
return flags
""")

# KEYS: online users, announced-online users, last seen. ARGV: user_id, grace_seconds.
# Compares what contacts were last told with the truth and records the change it returns:
# {1, 0} announce online, {-1, 0} announce offline, {0, 0} nothing to say, {0, ms} offline for less
# than the grace period (ask again in ms). One script, so overlapping announcers never both send.
ANNOUNCE = LuaScript(_NOW + """
local online = redis.call('SISMEMBER', KEYS[1], ARGV[1])
local announced = redis.call('SISMEMBER', KEYS[2], ARGV[1])
if online == 1 then
  if announced == 1 then return {0, 0} end
  redis.call('SADD', KEYS[2], ARGV[1])
  return {1, 0}
end
if announced == 0 then return {0, 0} end
local offline_since = tonumber(redis.call('GET', KEYS[3]) or '0')
local wait = offline_since + tonumber(ARGV[2]) - now
if wait > 0 then return {0, math.ceil(wait * 1000)} end
redis.call('SREM', KEYS[2], ARGV[1])
return {-1, 0}
""")
