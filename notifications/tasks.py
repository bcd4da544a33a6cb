"""`notifications.tasks.send_notification.delay(...)` (CONTRACT §5); the task lives in `workers.tasks`."""
from workers.tasks.notifications import send_notification

__all__ = ["send_notification"]
