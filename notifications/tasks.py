"""The notification work handed to the workers, by task name (`workers/tasks/notifications.py` runs
it), and the task API of other ERP modules: `notifications.tasks.send_notification.delay(...)`
(docs/notifications.md), a signature of the task by its name."""
from celery import current_app

SEND_NOTIFICATION = "notifications.send_notification"
DELIVER_OUTBOX = "notifications.deliver_outbox"
SWEEP_OUTBOX = "notifications.sweep_outbox"
MARK_READ = "notifications.mark_read"
MARK_ALL_READ = "notifications.mark_all_read"
DISMISS = "notifications.dismiss"
DISMISS_ALL = "notifications.dismiss_all"
MARK_READ_BY_OBJECT = "notifications.mark_read_by_object"
RESOLVE = "notifications.resolve"
ACKNOWLEDGE = "notifications.acknowledge"
MARK_DELIVERED_MANY = "notifications.mark_delivered_many"
SEND_REMINDERS = "notifications.send_reminders"
ESCALATE = "notifications.escalate"

send_notification = current_app.signature(SEND_NOTIFICATION)
resolve = current_app.signature(RESOLVE)

__all__ = ["resolve", "send_notification"]
