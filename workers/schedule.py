"""The beat schedule."""
from celery import current_app
from django.conf import settings

# Uploads no message took, and attachments of deleted messages, are looked for hourly; they are kept
# CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS and CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS.
UNATTACHED_UPLOAD_SWEEP_SECONDS = 3600
# Events past their retention are pruned every 10 minutes, a bounded number per run.
EVENT_PRUNE_SECONDS = 600

current_app.conf.beat_schedule = {
    "presence-sweep-stale": {
        "task": "presence.sweep_stale",
        "schedule": settings.PRESENCE_SWEEP_SECONDS,
        # A sweep that could not start in time is dropped: the next one covers it.
        "options": {"expires": settings.PRESENCE_SWEEP_SECONDS},
    },
    "notifications-outbox-sweep": {
        "task": "notifications.sweep_outbox",
        "schedule": settings.NOTIFICATION_OUTBOX_RETRY_SECONDS,
        "options": {"expires": settings.NOTIFICATION_OUTBOX_RETRY_SECONDS},
    },
    "chat-remove-unattached-uploads": {
        "task": "chat.remove_unattached_uploads",
        "schedule": UNATTACHED_UPLOAD_SWEEP_SECONDS,
        "options": {"expires": UNATTACHED_UPLOAD_SWEEP_SECONDS},
    },
    "chat-remove-deleted-attachments": {
        "task": "chat.remove_deleted_attachments",
        "schedule": UNATTACHED_UPLOAD_SWEEP_SECONDS,
        "options": {"expires": UNATTACHED_UPLOAD_SWEEP_SECONDS},
    },
    "notifications-send-reminders": {
        "task": "notifications.send_reminders",
        "schedule": settings.NOTIFY_ACK_CHECK_SECONDS,
        "options": {"expires": settings.NOTIFY_ACK_CHECK_SECONDS},
    },
    "notifications-escalate": {
        "task": "notifications.escalate",
        "schedule": settings.NOTIFY_ACK_CHECK_SECONDS,
        "options": {"expires": settings.NOTIFY_ACK_CHECK_SECONDS},
    },
    "chat-queue-email-digests": {
        "task": "chat.queue_email_digests",
        "schedule": settings.NOTIFY_EMAIL_CHECK_SECONDS,
        "options": {"expires": settings.NOTIFY_EMAIL_CHECK_SECONDS},
    },
    "realtime-prune-events": {
        "task": "realtime.prune_events",
        "schedule": EVENT_PRUNE_SECONDS,
        "options": {"expires": EVENT_PRUNE_SECONDS},
    },
}
