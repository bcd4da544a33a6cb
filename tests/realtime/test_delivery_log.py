"""The delivery log (realtime/delivery_log.py): what the receipt tasks record, read and prune."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services as chat_services
from notifications import services as notification_services
from realtime import delivery_log
from realtime.models import SocketWrite
from tests import factories
from workers.tasks.realtime import prune_socket_writes

pytestmark = pytest.mark.django_db


def test_a_receipt_batch_logs_every_write_and_skips_requests_without_a_socket():
    alice, bob = factories.make_user("Alice"), factories.make_user("Bob")
    message = factories.make_message(alice, bob)
    phone = delivery_log.write_record(socket="specific.a!1", client="Phone/1.0 " + "x" * 300)
    laptop = delivery_log.write_record(socket="specific.b!2", client="Laptop/2.0")
    delivered = chat_services.mark_delivered_many(
        receipts={bob.pk: [message.pk, message.pk, message.pk]},
        socket_writes=[(bob.pk, message.pk, phone), (bob.pk, message.pk, laptop),
                       (bob.pk, message.pk, {"receiver_id": bob.pk, "message_id": message.pk})])
    assert delivered == [message.pk]
    writes = delivery_log.writes_of(kind="message", object_id=message.pk)
    assert [(w.user_id, w.socket) for w in writes] == [(bob.pk, "specific.a!1"), (bob.pk, "specific.b!2")]
    assert len(writes[0].client) == delivery_log.CLIENT_MAX_LENGTH
    assert delivery_log.writes_of(kind="notification", object_id=message.pk) == []


def test_notification_writes_are_logged_with_the_delivery():
    bob = factories.make_user("Bob")
    notification_id = factories.make_notification(bob).pk
    write = delivery_log.write_record(socket="specific.c!3", client="Browser")
    assert notification_services.mark_delivered_many(socket_writes=[(bob.pk, notification_id, write)]) == 1
    assert [w.socket for w in delivery_log.writes_of(kind="notification", object_id=notification_id)] == ["specific.c!3"]


def test_pruning_is_bounded_and_keeps_what_is_within_the_retention():
    bob = factories.make_user("Bob")
    old = timezone.now() - timedelta(days=8)
    SocketWrite.objects.bulk_create([
        SocketWrite(kind="message", object_id=n, user=bob, socket=f"s{n}", written_at=old if n < 5 else timezone.now())
        for n in range(7)])
    assert delivery_log.prune(written_before=timezone.now() - timedelta(days=7), batch_size=2, max_batches=2) == 4
    assert prune_socket_writes() == 1
    assert sorted(SocketWrite.objects.values_list("object_id", flat=True)) == [5, 6]
