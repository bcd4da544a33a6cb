"""The beat schedule."""
from celery import current_app
from django.conf import settings

# Uploads no message took, and attachments of deleted messages, are looked for hourly; they are kept
# CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS and CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS.
UNATTACHED_UPLOAD_SWEEP_SECONDS = 3600
# Events and the delivery log past their retention are pruned every 10 minutes, a bounded number per run.
EVENT_PRUNE_SECONDS = 600


def every(seconds: float, task: str) -> dict:
    """A run of `task` every `seconds`; one that could not start in time is dropped: the next covers it."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


current_app.conf.beat_schedule = {
    "presence-sweep-stale": every(settings.PRESENCE_SWEEP_SECONDS, "presence.sweep_stale"),
    "notifications-outbox-sweep": every(settings.NOTIFICATION_OUTBOX_RETRY_SECONDS, "notifications.sweep_outbox"),
    "chat-remove-unattached-uploads": every(UNATTACHED_UPLOAD_SWEEP_SECONDS, "chat.remove_unattached_uploads"),
    "chat-remove-deleted-attachments": every(UNATTACHED_UPLOAD_SWEEP_SECONDS, "chat.remove_deleted_attachments"),
    "notifications-send-reminders": every(settings.NOTIFY_ACK_CHECK_SECONDS, "notifications.send_reminders"),
    "notifications-escalate": every(settings.NOTIFY_ACK_CHECK_SECONDS, "notifications.escalate"),
    "chat-queue-email-digests": every(settings.NOTIFY_EMAIL_CHECK_SECONDS, "chat.queue_email_digests"),
    "realtime-prune-events": every(EVENT_PRUNE_SECONDS, "realtime.prune_events"),
    "realtime-prune-socket-writes": every(EVENT_PRUNE_SECONDS, "realtime.prune_socket_writes"),
}
