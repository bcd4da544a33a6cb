"""The event stream's and the delivery log's work for the workers, by task name (`workers/tasks/realtime.py` runs it)."""
PRUNE_EVENTS = "realtime.prune_events"
PRUNE_SOCKET_WRITES = "realtime.prune_socket_writes"
