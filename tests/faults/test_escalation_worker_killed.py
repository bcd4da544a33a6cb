"""`kill -9` of the Celery worker in the middle of beat's escalation runs, then a restart and more
runs: every unacknowledged notification is escalated, and none twice (docs/notifications.md)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from notifications.models import InAppNotification
from notifications.services import ACK_BATCH
from notifications.tasks import ESCALATE
from tests.faults.clients import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

ORIGINALS = 3 * ACK_BATCH  # three runs' worth


def run_escalations(broker_url: str, runs: int) -> None:
    """What beat does: the escalation task, by name, on the fault stack's broker."""
    with current_app.connection_for_write(broker_url) as broker:
        for _ in range(runs):
            current_app.send_task(ESCALATE, connection=broker)


def escalations_of(manager) -> list[InAppNotification]:
    return list(InAppNotification.objects.filter(recipient_id=manager.id, notification_type="escalation"))


async def test_a_worker_killed_during_escalation_runs_escalates_each_notification_once(fault_stack, make_user):
    teacher, manager = make_user("Teacher"), make_user("Manager")
    long_ago = timezone.now() - timedelta(hours=1)
    originals = InAppNotification.objects.bulk_create(
        InAppNotification(recipient_id=teacher.id, notification_type="notice", title=f"Safety notice {number}",
                          requires_ack=True, escalate_to=[manager.id], escalate_after=60, created_at=long_ago,
                          dedupe_key=f"safety-{number}")
        for number in range(ORIGINALS)
    )
    worker = fault_stack.worker()
    broker_url = fault_stack.environment["CELERY_BROKER_URL"]
    run_escalations(broker_url, 3)
    await wait_for(lambda: InAppNotification.objects.filter(escalated_at__isnull=False).exists(), timeout=60,
                   what="the first escalation run to commit")
    worker.kill()
    escalated_at_kill = InAppNotification.objects.filter(escalated_at__isnull=False).count()
    assert escalated_at_kill < ORIGINALS, "every run had finished before the kill"

    await asyncio.sleep(1)
    fault_stack.worker("worker-restarted")
    # Beat goes on: the runs the dead worker held come back, and more are sent.
    run_escalations(broker_url, 4)
    await wait_for(lambda: len(escalations_of(manager)) >= ORIGINALS, timeout=120, what="every escalation")
    await asyncio.sleep(2)  # any run still going would add its duplicates now

    escalations = escalations_of(manager)
    escalated_ids = [row.data["escalated_notification_id"] for row in escalations]
    assert sorted(escalated_ids) == sorted(original.pk for original in originals)
    assert not InAppNotification.objects.filter(pk__in=[o.pk for o in originals], escalated_at__isnull=True).exists()
    print(f"\nescalation kill: {escalated_at_kill} of {ORIGINALS} escalated at the kill; "
          f"{len(escalations)} escalations afterwards, none twice")
