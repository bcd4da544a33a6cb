"""The event stream's tables (docs/reliability.md): every durable frame a user's sockets of one
family get, numbered without gaps (`seq`) in commit order, and each stream's newest number."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class StreamHead(models.Model):
    """The newest `seq` of one user's stream in one family. Writers take its row lock until their
    commit, so numbers are handed out, and become visible, in commit order."""

    # Found through the unique constraint's index; a second index on the user alone would only cost writes.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    family = models.CharField(max_length=16)
    last_seq = models.BigIntegerField()

    class Meta:
        db_table = "event_stream_head"
        constraints = [models.UniqueConstraint(fields=["user", "family"], name="event_stream_head_unique")]


class Event(models.Model):
    """One durable frame as its sockets got it, without its `seq` (a column) and `replayed`."""

    id = models.BigAutoField(primary_key=True)
    # No database-level foreign key: writing an event checks nothing but its own uniqueness (the
    # user's head row was just locked), and a user's deletion removes their events through Django.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_index=False, db_constraint=False)
    family = models.CharField(max_length=16)
    seq = models.BigIntegerField()
    frame = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "event_stream"
        constraints = [models.UniqueConstraint(fields=["user", "family", "seq"], name="event_stream_unique")]


class SocketWrite(models.Model):
    """A message or a notification written to one of its recipient's sockets, for the admin's
    delivery page (docs/operations.md); kept as long as the events (EVENT_RETENTION_DAYS)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    # As on Event: nothing checked on write; a user's deletion removes their rows through Django.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_index=False, db_constraint=False)
    socket = models.CharField(max_length=100)
    client = models.CharField(max_length=200, blank=True)
    written_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "socket_write"
        indexes = [models.Index(fields=["kind", "object_id"], name="socket_write_object")]
