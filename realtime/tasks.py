"""The event stream's work for the workers, by task name (`workers/tasks/realtime.py` runs it)."""
PRUNE_EVENTS = "realtime.prune_events"
