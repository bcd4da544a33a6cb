"""What the workers keep about their own work."""
from __future__ import annotations

from django.db import models


class FailedTask(models.Model):
    """A task that failed for good: its retries were exhausted or its error is not retryable.

    Written by the `task_failure` handler in `workers.failures`, so a poison task leaves a trace an
    operator can inspect (and re-run by hand) instead of vanishing or blocking the queue. Kept until
    deleted, so it keeps no private text: the ids among the arguments, and a scrubbed error.
    """

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255, db_index=True)
    arguments = models.JSONField(
        default=dict, help_text="The ids among the task's arguments (kwargs), the names of the arguments left out, "
                                "and the number of positional ones. Text is never kept.")
    exception_type = models.CharField(max_length=255)
    # Tokens and the rows PostgreSQL quotes in its errors are redacted from both.
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0, help_text="Retries made before giving up.")
    worker = models.CharField(max_length=255, blank=True)
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "workers_failed_task"
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}] {self.exception_type}"
