"""The beat schedule."""
from django.conf import settings

from config.celery_app import app

app.conf.beat_schedule = {
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
}
