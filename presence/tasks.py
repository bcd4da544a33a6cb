"""The presence work handed to the workers, by task name (`workers/tasks/presence.py` runs it)."""
ANNOUNCE = "presence.announce"
ANNOUNCE_MANY = "presence.announce_many"
SWEEP_STALE = "presence.sweep_stale"
