"""What the workers keep about their own work."""
from __future__ import annotations

from django.db import models


class FailedTask(models.Model):
    """A task that failed for good: its retries were exhausted or its error is not retryable.

    Written by the `task_failure` handler in `workers.failures`, so a poison task leaves a trace an
    operator can inspect (and re-run by hand) instead of vanishing or blocking the queue.
    """

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255, db_index=True)
    # Tasks take ids, never secrets; the text is still passed through the log redactor.
    arguments = models.JSONField(default=dict, help_text="The task's args and kwargs.")
    exception_type = models.CharField(max_length=255)
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
