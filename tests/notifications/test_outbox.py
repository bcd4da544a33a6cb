"""`notify()` and its outbox: a broker fault at commit never reaches the caller, and the outbox
sweep delivers what the commit could not enqueue, once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery_app import app as celery_app
from notifications import services
from notifications.models import InAppNotification, NotificationOutbox
from workers.tasks.notifications import sweep_outbox

# Transactional, so that on-commit hooks run as in production.
pytestmark = pytest.mark.django_db(transaction=True)

DELIVER = "notifications.deliver_outbox"


class Broker:
    """Stands in for `celery_app.send_task`: records each task, and refuses them while down."""

    def __init__(self) -> None:
        self.down = False
        self.sent: list[tuple[str, dict]] = []

    def send_task(self, name: str, kwargs: dict | None = None, **options) -> None:
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append((name, kwargs))

    def run_sent(self) -> None:
        """What a worker would do with the sent tasks, in this process."""
        sent, self.sent = self.sent, []
        for name, kwargs in sent:
            celery_app.tasks[name](**kwargs)


@pytest.fixture
def broker(monkeypatch) -> Broker:
    broker = Broker()
    monkeypatch.setattr(celery_app, "send_task", broker.send_task)
    return broker


@pytest.fixture
def alice(django_user_model) -> int:
    return django_user_model.objects.create_user(username="alice").pk


def notify(recipient_id: int, **fields) -> int:
    return services.notify([recipient_id], notification_type="notice", title="Invoice 42 is overdue",
                           message="Please pay", **fields)


def make_due() -> None:
    NotificationOutbox.objects.update(dispatch_after=timezone.now() - timedelta(seconds=1))


def test_a_broker_down_at_commit_raises_nothing_skips_no_later_hook_and_keeps_the_outbox_row(broker, alice):
    broker.down = True
    later_hooks: list[str] = []

    with transaction.atomic():
        assert notify(alice) == 1
        transaction.on_commit(lambda: later_hooks.append("ran"))

    assert later_hooks == ["ran"]
    assert NotificationOutbox.objects.count() == 1 and not InAppNotification.objects.exists()


def test_the_sweep_delivers_a_row_the_commit_could_not_enqueue_exactly_once(broker, alice):
    broker.down = True
    notify(alice)
    broker.down = False

    assert sweep_outbox() == {"enqueued": 0}  # not due yet: the fast path may still be on its way
    make_due()
    assert sweep_outbox() == {"enqueued": 1}
    assert sweep_outbox() == {"enqueued": 0}  # its next turn is further out
    row = NotificationOutbox.objects.get()
    assert broker.sent == [(DELIVER, {"outbox_id": row.pk})]

    broker.sent *= 2  # a double dispatch: the fast path's task did arrive after all, and the sweep's
    broker.run_sent()

    notification = InAppNotification.objects.get()
    assert (notification.recipient_id, notification.title, notification.message) == (alice, "Invoice 42 is overdue", "Please pay")
    assert not NotificationOutbox.objects.exists()
    make_due()
    assert sweep_outbox() == {"enqueued": 0}


def test_the_fast_path_delivers_at_commit_and_leaves_the_sweep_nothing(broker, alice):
    with transaction.atomic():
        notify(alice)
        assert broker.sent == []
    broker.run_sent()

    assert InAppNotification.objects.count() == 1 and not NotificationOutbox.objects.exists()


def test_a_rolled_back_caller_leaves_no_outbox_row_and_sends_nothing(broker, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(alice)
        raise RuntimeError("the caller's transaction fails")

    assert not NotificationOutbox.objects.exists() and broker.sent == []


def test_a_broker_still_down_at_the_sweep_leaves_the_row_for_a_later_turn_further_out(broker, alice, settings):
    settings.NOTIFICATION_OUTBOX_RETRY_SECONDS = 10
    broker.down = True
    notify(alice)
    make_due()

    before = timezone.now()
    assert sweep_outbox() == {"enqueued": 1}
    row = NotificationOutbox.objects.get()
    assert row.redispatches == 1 and timedelta(seconds=20) <= row.dispatch_after - before < timedelta(seconds=25)
    make_due()
    sweep_outbox()
    row.refresh_from_db()
    assert row.redispatches == 2 and timedelta(seconds=40) <= row.dispatch_after - before < timedelta(seconds=45)


def test_the_same_dedupe_key_notifies_once_through_two_outbox_rows(broker, alice):
    notify(alice, dedupe_key="invoice-42-overdue")
    notify(alice, dedupe_key="invoice-42-overdue")
    broker.run_sent()

    assert InAppNotification.objects.count() == 1 and not NotificationOutbox.objects.exists()


def test_a_large_audience_becomes_one_outbox_row_per_task(broker, alice, monkeypatch):
    monkeypatch.setattr(services, "RECIPIENTS_PER_TASK", 2)
    assert services.notify([alice, alice + 1, alice + 2], notification_type="notice", title="t", message="m") == 3
    assert sorted(len(row.recipient_ids) for row in NotificationOutbox.objects.all()) == [1, 2]
    assert len(broker.sent) == 2
