"""Lua scripts that change a user's presence atomically: each returns 1 on a real transition.

All take KEYS = presence.keys.all_for(user_id): connections hash, online set, online key, last seen,
connections by opening time.
"""

# ARGV: user_id, connection, now, online_ttl. Also the heartbeat: it re-adds a swept live socket.
TOUCH_CONNECTION = """
local was_online = redis.call('SISMEMBER', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[5], 'NX', ARGV[3], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
return 1 - was_online
"""

_GO_OFFLINE_IF_NO_CONNECTIONS = """
if redis.call('HLEN', KEYS[1]) == 0 then
  local was_online = redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[3])
  if was_online == 1 then redis.call('SET', KEYS[4], ARGV[3]) end
  return was_online
end
return 0
"""

# ARGV: user_id, connection, now.
CLOSE_CONNECTION = """
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
""" + _GO_OFFLINE_IF_NO_CONNECTIONS

# ARGV: user_id, unused, now, stale_before. Safe to run twice at once: each step is idempotent.
SWEEP_STALE = """
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if tonumber(entries[i + 1]) < tonumber(ARGV[4]) then
    redis.call('HDEL', KEYS[1], entries[i])
    redis.call('ZREM', KEYS[5], entries[i])
  end
end
""" + _GO_OFFLINE_IF_NO_CONNECTIONS
