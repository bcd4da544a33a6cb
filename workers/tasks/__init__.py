"""Every Celery task of the project. Each takes ids, looks things up and calls one service."""
from workers.tasks import chat, notifications, presence, realtime  # noqa: F401
