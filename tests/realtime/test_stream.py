"""The event stream's numbering, storage and reading (realtime.stream), in real PostgreSQL."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from realtime import frames, stream
from realtime.models import Event
from tests import factories


def frame(number: int) -> frames.Frame:
    return {"type": "read_receipt", "message_id": number}


def seqs(user_id: int, family: str = "chat") -> list[int]:
    return list(Event.objects.filter(user_id=user_id, family=family).order_by("seq").values_list("seq", flat=True))


@pytest.mark.django_db
def test_events_are_numbered_per_user_and_family_without_gaps_in_one_statement():
    alice, bob = factories.make_user(), factories.make_user()
    with CaptureQueriesContext(connection) as queries:
        numbered = stream.record([(alice.pk, "chat", frame(1)), (bob.pk, "chat", frame(2)),
                                  (alice.pk, "chat", frame(3)), (alice.pk, "notifications", frame(4))])
    assert numbered == [1, 1, 2, 1]
    assert len(queries) == 1
    assert stream.record([(alice.pk, "chat", frame(5))]) == [3]
    assert seqs(alice.pk) == [1, 2, 3] and seqs(bob.pk) == [1] and seqs(alice.pk, "notifications") == [1]
    assert stream.events_after(user_id=alice.pk, family="chat", since=1, limit=10) == [
        {**frame(3), "seq": 2}, {**frame(5), "seq": 3}]


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event_and_no_hole():
    alice = factories.make_user()
    stream.record([(alice.pk, "chat", frame(1))])
    with pytest.raises(RuntimeError), transaction.atomic():
        stream.record([(alice.pk, "chat", frame(2))])
        raise RuntimeError("the change failed")
    assert stream.record([(alice.pk, "chat", frame(3))]) == [2]
    assert stream.last_seq(user_id=alice.pk, family="chat") == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_number_in_commit_order():
    """The second writer waits for the first one's head lock, so the later commit has the larger seq."""
    alice = factories.make_user()
    first_recorded, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, tuple[list[int], float]] = {}

    def first() -> None:
        with transaction.atomic():
            outcome["first"] = (stream.record([(alice.pk, "chat", frame(1))]), 0.0)
            first_recorded.set()
            first_may_commit.wait(5)
        outcome["first"] = (outcome["first"][0], time.monotonic())
        connection.close()

    def second() -> None:
        first_recorded.wait(5)
        with transaction.atomic():
            numbered = stream.record([(alice.pk, "chat", frame(2))])
        outcome["second"] = (numbered, time.monotonic())
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_recorded.wait(5)
    time.sleep(0.3)
    assert "second" not in outcome  # waiting for the first writer's lock
    first_may_commit.set()
    for thread in threads:
        thread.join(10)
    assert outcome["first"][0] == [1] and outcome["second"][0] == [2]
    assert outcome["first"][1] <= outcome["second"][1]
    assert seqs(alice.pk) == [1, 2]


@pytest.mark.django_db
def test_bounds_say_what_a_resume_can_be_served_from():
    alice = factories.make_user()
    assert stream.bounds(user_id=alice.pk, family="chat") == stream.Bounds(oldest_seq=1, last_seq=0)
    stream.record([(alice.pk, "chat", frame(number)) for number in range(5)])
    kept = stream.bounds(user_id=alice.pk, family="chat")
    assert kept == stream.Bounds(oldest_seq=1, last_seq=5)
    assert kept.can_resume_from(0) and kept.can_resume_from(5) and not kept.can_resume_from(6)
    Event.objects.filter(user_id=alice.pk, seq__lte=2).delete()
    kept = stream.bounds(user_id=alice.pk, family="chat")
    assert kept == stream.Bounds(oldest_seq=3, last_seq=5)
    assert kept.can_resume_from(2) and not kept.can_resume_from(1) and not kept.can_resume_from(0)


@pytest.mark.django_db
def test_the_rest_page_and_its_410():
    alice = factories.make_user()
    stream.record([(alice.pk, "chat", frame(number)) for number in range(5)])
    page = stream.event_page(user_id=alice.pk, family="chat", since=1, limit=2)
    assert [event["seq"] for event in page["events"]] == [2, 3] and page["has_more"] and page["last_seq"] == 5
    page = stream.event_page(user_id=alice.pk, family="chat", since=3, limit=2)
    assert [event["seq"] for event in page["events"]] == [4, 5] and not page["has_more"]
    with pytest.raises(stream.ResyncRequired) as beyond:
        stream.event_page(user_id=alice.pk, family="chat", since=6, limit=2)
    assert beyond.value.http_status == 410
    assert beyond.value.as_dict() | {"error": ""} == {"error": "", "code": "resync_required", "oldest_seq": 1,
                                                      "last_seq": 5}


@pytest.mark.django_db
def test_pruning_is_bounded_and_keeps_the_numbering():
    alice = factories.make_user()
    stream.record([(alice.pk, "chat", frame(number)) for number in range(7)])
    Event.objects.filter(seq__lte=5).update(created_at=timezone.now() - timedelta(days=8))
    cutoff = timezone.now() - timedelta(days=7)
    assert stream.prune(created_before=cutoff, batch_size=2, max_batches=2) == 4
    assert stream.prune(created_before=cutoff, batch_size=2, max_batches=2) == 1
    assert seqs(alice.pk) == [6, 7]
    assert stream.record([(alice.pk, "chat", frame(8))]) == [8]
