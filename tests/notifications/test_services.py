"""`notifications.services` in-process: validation, the producer API and its outbox, creation with
fan-out, the collapsed chat notification, and the inbox changes, each with the frames it would
push once its transaction commits."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from config.celery_app import app as celery_app
from core.errors import NotFound, ValidationFailed
from core.timestamps import iso_z
from notifications import selectors, services, tasks
from notifications.models import InAppNotification, NotificationOutbox
from realtime import frames
from tests.factories import make_notification, make_user
from tests.support.capture import Push

pytestmark = pytest.mark.django_db

INVOICE = services.NotificationContent(notification_type="notice", title="Invoice 42 is overdue", message="Please pay",
                                       link="/invoices/42", related_object_type="erp.invoice", related_object_id=42)


@pytest.fixture
def alice():
    return make_user("Alice", last_name="Smith")


@pytest.fixture
def bob():
    return make_user("Bob")


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, dict]]:
    """The tasks sent to the broker, by name and keyword arguments."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, kwargs=None, **options: sent.append((name, kwargs)))
    return sent


def frame_of(notification: InAppNotification) -> dict:
    notification.refresh_from_db()
    return frames.notification(selectors.notification_payload(notification))


def update(user_id: int, **fields) -> Push:
    return Push(frame={"type": "notification_update", **fields}, user_id=user_id, family="notifications")


# Validation ------------------------------------------------------------------------------------

def content(**fields) -> services.NotificationContent:
    return services.validated_content(**{"notification_type": "notice", "title": "Invoice 42 is overdue",
                                         "message": "Please pay", **fields})


def test_valid_content_is_kept_with_empty_optionals_as_none_and_the_id_as_a_number(settings):
    settings.NOTIFICATION_LINK_HOSTS = ["erp.example.com"]

    data, link = {"amount": 4200, "note": "a literal \\u0000 is text"}, "https://ERP.example.com/invoices/42?tab=1"
    assert content(priority="urgent", link=link, icon="", color="#ff0000", related_object_type="erp.invoice",
                   related_object_id="42", data=data) == services.NotificationContent(
        notification_type="notice", title="Invoice 42 is overdue", message="Please pay", priority="urgent", link=link,
        icon=None, color="#ff0000", related_object_type="erp.invoice", related_object_id=42, data=data)
    assert content(link="/invoices/42", message="") == services.NotificationContent(
        notification_type="notice", title="Invoice 42 is overdue", message="", link="/invoices/42")


@pytest.mark.parametrize(("fields", "error"), [
    ({"notification_type": "gossip"}, "Unknown notification_type: gossip; expected one of message, notice,"),
    ({"priority": "critical"}, "priority must be one of low, normal, high, urgent"),
    ({"priority": None}, "priority must be one of low, normal, high, urgent"),
    ({"title": None}, "title is required"),
    ({"title": "   "}, "title is required"),
    ({"title": 42}, "title must be a string"),
    ({"title": "x" * 256}, "title is longer than 255 characters"),
    ({"title": "Invoice\x00"}, "title must not contain NUL characters"),
    ({"message": None}, "message is required and must be a string"),
    ({"message": "Please\x00pay"}, "message must not contain NUL characters"),
    ({"icon": "i" * 65}, "icon is longer than 64 characters"),
    ({"color": ["red"]}, "color must be a string"),
    ({"related_object_type": "erp.invoice"}, "related_object_type and related_object_id go together"),
    ({"related_object_id": 42}, "related_object_type and related_object_id go together"),
    ({"related_object_type": "erp.invoice", "related_object_id": "forty-two"},
     "related_object_id must be a positive integer"),
    ({"related_object_type": "erp.invoice", "related_object_id": True}, "related_object_id must be a number"),
    ({"data": ["not", "an", "object"]}, "data must be a JSON object"),
    ({"data": {"amount": float("nan")}}, "data must be a JSON object"),
    ({"data": {"when": timezone.now()}}, "data must be a JSON object"),
    ({"data": {"note": "a\x00b"}}, "data must not contain NUL characters"),
    ({"data": {"nested": [{"note": "\x00"}]}}, "data must not contain NUL characters"),
    ({"data": {"blob": "x" * services.MAX_DATA_BYTES}}, f"data is larger than {services.MAX_DATA_BYTES} bytes"),
])
def test_bad_content_is_refused_with_a_reason(fields, error):
    with pytest.raises(ValidationFailed) as refused:
        content(**fields)
    assert refused.value.error.startswith(error), refused.value.error


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "//evil.example/phish", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "https://evil.example/", "https://user@erp.example.com/", "ftp://erp.example.com/", "invoices/42",
    "https://[erp.example.com/", "data:text/html,<script>alert(1)</script>", "/\u202e/moc.elpmaxe.live",
])
def test_a_link_that_could_run_script_or_leave_the_site_is_refused(link, settings):
    settings.NOTIFICATION_LINK_HOSTS = ["erp.example.com"]
    with pytest.raises(ValidationFailed):
        content(link=link)


def test_a_dedupe_key_is_optional_text_of_bounded_length():
    assert services.validated_dedupe_key(None) is None
    assert services.validated_dedupe_key("") is None
    assert services.validated_dedupe_key("invoice-42") == "invoice-42"
    assert services.validated_dedupe_key("k" * services.MAX_DEDUPE_KEY_LENGTH) == "k" * services.MAX_DEDUPE_KEY_LENGTH
    for bad in ("k" * (services.MAX_DEDUPE_KEY_LENGTH + 1), 42, "key\x00"):
        with pytest.raises(ValidationFailed):
            services.validated_dedupe_key(bad)


def test_recipient_ids_are_deduplicated_and_sorted_and_anything_else_is_refused():
    assert services.validated_recipient_ids([7, "3", 7, " 5 "]) == [3, 5, 7]
    assert services.validated_recipient_ids((2,)) == [2]
    for bad, error in (([], "recipients must not be empty"), ("7", "recipient_ids must be a list of user ids"),
                       ([0], "recipient_ids must be a positive integer"), ([True], "recipient_ids must be a number"),
                       ([None], "recipient_ids is required")):
        with pytest.raises(ValidationFailed) as refused:
            services.validated_recipient_ids(bad)
        assert refused.value.error == error


def test_recipients_resolve_from_a_user_ids_a_queryset_or_a_group_of_active_members(alice, bob, django_user_model):
    carol = make_user("Carol", is_active=False)
    accounting = Group.objects.create(name="Accounting")
    accounting.user_set.add(bob, alice, carol)
    Group.objects.create(name="Nobody")

    assert services.resolve_recipients(alice) == [alice.pk]
    assert services.resolve_recipients([bob, alice.pk, bob.pk]) == sorted([alice.pk, bob.pk])
    assert services.resolve_recipients(django_user_model.objects.filter(first_name__in=["Bob", "Alice"])) == sorted(
        [alice.pk, bob.pk])
    assert services.resolve_recipients("Accounting") == sorted([alice.pk, bob.pk])
    assert services.resolve_recipients("Nobody") == []
    for bad, error in (("Sales", "Unknown group: Sales"), (Group.objects.all(), "recipients queryset must be of users"),
                       (42, "recipients must be a user, a list of user ids, a queryset of users or a group name")):
        with pytest.raises(ValidationFailed) as refused:
            services.resolve_recipients(bad)
        assert refused.value.error == error


# The producer API and its outbox -------------------------------------------------------------

def test_notify_writes_one_outbox_row_and_enqueues_its_delivery_only_at_commit(alice, bob, enqueued, settings,
                                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as hooks:
        before = timezone.now()
        count = services.notify([alice, bob.pk], notification_type="notice", title="Invoice 42 is overdue",
                                message="Please pay", related_object=("erp.invoice", "42"), dedupe_key="invoice-42")
        after = timezone.now()
        assert enqueued == []

    row = NotificationOutbox.objects.get()
    retry = timedelta(seconds=settings.NOTIFICATION_OUTBOX_RETRY_SECONDS)
    assert before + retry <= row.dispatch_after <= after + retry, "the sweep leaves the fast path its time first"
    assert count == 2 and len(hooks) == 1
    assert (row.recipient_ids, row.dedupe_key, row.redispatches) == (sorted([alice.pk, bob.pk]), "invoice-42", 0)
    assert row.content == asdict(services.NotificationContent(
        notification_type="notice", title="Invoice 42 is overdue", message="Please pay",
        related_object_type="erp.invoice", related_object_id=42))
    assert not InAppNotification.objects.exists()
    hooks[0]()
    assert enqueued == [(tasks.DELIVER_OUTBOX, {"outbox_id": row.pk})]


def test_notify_names_a_model_instance_by_its_label_and_generates_a_key_when_given_none(alice, bob, enqueued):
    services.notify(alice, notification_type="notice", title="Bob joined", message="", related_object=bob)
    services.notify(alice, notification_type="notice", title="Bob joined", message="", related_object=bob)

    rows = list(NotificationOutbox.objects.order_by("pk"))
    assert [(row.content["related_object_type"], row.content["related_object_id"]) for row in rows] == [
        ("auth.user", bob.pk)] * 2
    keys = [row.dedupe_key for row in rows]
    assert keys[0] != keys[1] and all(key.startswith("notify:") and len(key) == len("notify:") + 32 for key in keys)


def test_notify_refuses_bad_input_and_sends_nothing_to_nobody(alice, enqueued, django_capture_on_commit_callbacks):
    Group.objects.create(name="Nobody")
    with django_capture_on_commit_callbacks() as hooks:
        with pytest.raises(ValidationFailed):
            services.notify(alice, notification_type="gossip", title="t", message="m")
        with pytest.raises(ValidationFailed):
            services.notify([], notification_type="notice", title="t", message="m")
        with pytest.raises(ValidationFailed):
            services.notify(alice, notification_type="notice", title="t", message="m", related_object=("erp.invoice",))
        assert services.notify("Nobody", notification_type="notice", title="t", message="m") == 0

    assert hooks == [] and not NotificationOutbox.objects.exists()


def test_delivering_an_outbox_row_creates_its_notifications_once_and_deletes_it(alice, bob, enqueued, published,
                                                                               committed):
    services.notify([alice, bob], notification_type="notice", title="Invoice 42 is overdue", message="Please pay")
    row = NotificationOutbox.objects.get()

    with committed():
        assert services.deliver_outbox(outbox_id=row.pk) == 2
    with committed():
        assert services.deliver_outbox(outbox_id=row.pk) == 0

    assert not NotificationOutbox.objects.exists()
    created = list(InAppNotification.objects.order_by("recipient_id"))
    assert [(n.recipient_id, n.title, n.dedupe_key) for n in created] == [
        (alice.pk, "Invoice 42 is overdue", row.dedupe_key), (bob.pk, "Invoice 42 is overdue", row.dedupe_key)]
    assert published == [Push(frame=frame_of(n), user_id=n.recipient_id, family="notifications") for n in created]


def test_the_outbox_sweep_enqueues_due_rows_oldest_first_and_doubles_their_wait(alice, enqueued, settings, committed):
    settings.NOTIFICATION_OUTBOX_RETRY_SECONDS = 10
    now = timezone.now()
    for due_since in (5, 60, -60):  # seconds ago; the last one is not due yet
        NotificationOutbox.objects.create(recipient_ids=[alice.pk], content=asdict(INVOICE), dedupe_key=f"k{due_since}",
                                          dispatch_after=now - timedelta(seconds=due_since))

    with committed():
        before = timezone.now()
        assert services.redispatch_due_outbox() == 2
        after = timezone.now()
    with committed():
        assert services.redispatch_due_outbox() == 0

    rows = {row.dedupe_key: row for row in NotificationOutbox.objects.all()}
    assert enqueued == [(tasks.DELIVER_OUTBOX, {"outbox_id": rows[key].pk}) for key in ("k60", "k5")]
    assert [rows[key].redispatches for key in ("k60", "k5", "k-60")] == [1, 1, 0]
    assert all(before <= rows[key].dispatch_after - timedelta(seconds=10 * 2) <= after for key in ("k60", "k5"))


# Creation and fan-out --------------------------------------------------------------------------

def test_creation_stores_one_row_per_active_recipient_once_and_pushes_each_new_row(alice, bob, published, committed):
    inactive = make_user("Gone", is_active=False)

    with committed():
        created = services.create_notifications(recipient_ids=[bob.pk, alice.pk, bob.pk, inactive.pk, 10**12],
                                                content=INVOICE, dedupe_key="invoice-42")
    rows = list(InAppNotification.objects.order_by("recipient_id"))
    assert created == 2
    assert [(n.recipient_id, n.title, n.message, n.link, n.related_object_id, n.is_read) for n in rows] == [
        (alice.pk, "Invoice 42 is overdue", "Please pay", "/invoices/42", 42, False),
        (bob.pk, "Invoice 42 is overdue", "Please pay", "/invoices/42", 42, False)]
    assert published == [Push(frame=frame_of(n), user_id=n.recipient_id, family="notifications") for n in rows]

    published.clear()
    with committed():
        again = services.create_notifications(recipient_ids=[alice.pk, bob.pk], content=INVOICE,
                                              dedupe_key="invoice-42")
    assert again == 0 and InAppNotification.objects.count() == 2 and published == []


def test_frames_are_pushed_only_once_the_creation_commits(alice, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as hooks:
        services.create_notifications(recipient_ids=[alice.pk], content=INVOICE, dedupe_key="invoice-42")
        assert published == []
    for hook in hooks:
        hook()
    assert published.types() == ["notification"]


def test_a_collapsed_notification_counts_its_events_and_restarts_once_read_or_dismissed(alice, published, committed):
    def event(text: str) -> InAppNotification:
        with committed():
            return services.upsert_collapsed(recipient_id=alice.pk, collapse_key="erp.invoice:42", content=(
                services.NotificationContent(notification_type="notice", title="Invoice 42", message=text,
                                             data={"last": text})))

    first = event("created")
    second = event("paid")
    assert second.pk == first.pk and second.created_at >= first.created_at
    assert (second.message, second.data, second.is_read) == ("paid", {"last": "paid", "count": 2}, False)

    services.mark_read(user_id=alice.pk, notification_id=first.pk)
    after_read = event("refunded")
    services.dismiss(user_id=alice.pk, notification_id=first.pk)
    after_dismissal = event("closed")

    assert (after_read.data["count"], after_read.is_read, after_read.read_at) == (1, False, None)
    assert (after_dismissal.data["count"], after_dismissal.is_dismissed, after_dismissal.dismissed_at) == (
        1, False, None)
    assert InAppNotification.objects.count() == 1
    assert [push.frame["notification"]["message"] for push in published if push.frame["type"] == "notification"] == [
        "created", "paid", "refunded", "closed"]
    assert published[-1] == Push(frame=frame_of(after_dismissal), user_id=alice.pk, family="notifications")


# Reading and dismissing ------------------------------------------------------------------------

def test_reading_one_notification_replies_to_the_socket_and_tells_every_socket_once(alice, published, committed):
    invoice, _ = make_notification(alice), make_notification(alice, "Meeting at 3")

    with committed():
        change = services.mark_read(user_id=alice.pk, notification_id=invoice.pk, reply_channel="specific.a!1")
    invoice.refresh_from_db()
    assert change == services.InboxChange(count=1, at=invoice.read_at, unread_count=1, notification_id=invoice.pk)
    assert invoice.is_read and invoice.read_at is not None
    assert published == [
        Push(frame={"type": "notification_read", "notification_id": invoice.pk, "unread_count": 1},
             channel="specific.a!1"),
        update(alice.pk, event="notification_read", notification_id=invoice.pk, is_read=True,
               read_at=iso_z(invoice.read_at), unread_count=1),
    ]

    with committed():
        again = services.mark_read(user_id=alice.pk, notification_id=invoice.pk)
    assert again == services.InboxChange(count=0, at=invoice.read_at, unread_count=1, notification_id=invoice.pk)
    assert InAppNotification.objects.get(pk=invoice.pk).read_at == invoice.read_at


def test_reading_or_dismissing_someone_elses_or_a_missing_notification_is_not_found(alice, bob, published, committed):
    theirs = make_notification(bob)
    for change in (services.mark_read, services.dismiss):
        for notification_id in (theirs.pk, theirs.pk + 1000):
            with committed(), pytest.raises(NotFound):
                change(user_id=alice.pk, notification_id=notification_id)

    theirs.refresh_from_db()
    assert (theirs.is_read, theirs.is_dismissed) == (False, False) and published == []


def test_reading_all_marks_the_undismissed_unread_ones_and_is_idempotent(alice, bob, published, committed):
    make_notification(alice), make_notification(alice), make_notification(alice, read=True)
    hidden = make_notification(alice, dismissed=True)
    others = make_notification(bob)

    with committed():
        change = services.mark_all_read(user_id=alice.pk, reply_channel="specific.a!1")
    assert (change.count, change.unread_count, change.notification_id) == (2, 0, None)
    assert InAppNotification.objects.filter(recipient=alice, is_read=True, read_at=change.at).count() == 2
    assert not InAppNotification.objects.filter(pk__in=[hidden.pk, others.pk], is_read=True).exists()
    assert published == [
        Push(frame={"type": "all_notifications_read", "count": 2, "unread_count": 0}, channel="specific.a!1"),
        update(alice.pk, event="all_read", count=2, is_read=True, read_at=iso_z(change.at), unread_count=0),
    ]

    with committed():
        assert services.mark_all_read(user_id=alice.pk).count == 0
    assert InAppNotification.objects.filter(recipient=alice, is_read=True, read_at=change.at).count() == 2


def test_dismissing_hides_one_notification_once_and_counts_what_stays_unread(alice, published, committed):
    unread, read = make_notification(alice), make_notification(alice, read=True)
    make_notification(alice)

    with committed():
        first = services.dismiss(user_id=alice.pk, notification_id=unread.pk)
        services.dismiss(user_id=alice.pk, notification_id=read.pk)
    dismissed_at = InAppNotification.objects.get(pk=unread.pk).dismissed_at
    with committed():
        again = services.dismiss(user_id=alice.pk, notification_id=unread.pk)

    assert (first.count, first.unread_count, again.count, again.unread_count) == (1, 1, 0, 1)
    assert InAppNotification.objects.get(pk=unread.pk).dismissed_at == dismissed_at == first.at
    assert list(selectors.inbox(alice.pk).values_list("is_dismissed", flat=True)) == [False]
    assert published == [update(alice.pk, event="dismissed", notification_id=unread.pk, unread_count=1),
                         update(alice.pk, event="dismissed", notification_id=read.pk, unread_count=1),
                         update(alice.pk, event="dismissed", notification_id=unread.pk, unread_count=1)]


def test_dismissing_all_empties_the_inbox_and_a_second_time_changes_nothing(alice, bob, published, committed):
    make_notification(alice), make_notification(alice, read=True), make_notification(alice, dismissed=True)
    make_notification(bob)

    with committed():
        change = services.dismiss_all(user_id=alice.pk)
    with committed():
        again = services.dismiss_all(user_id=alice.pk)

    assert (change.count, change.unread_count, again.count, again.unread_count) == (2, 0, 0, 0)
    assert not selectors.inbox(alice.pk).exists() and selectors.unread_count(bob.pk) == 1
    assert published == [update(alice.pk, event="all_dismissed", count=2, unread_count=0),
                         update(alice.pk, event="all_dismissed", count=0, unread_count=0)]


def test_viewing_an_object_reads_its_notifications_only_and_tells_each_one(alice, bob, published, committed):
    about = {"related_object_type": "erp.invoice", "related_object_id": 42}
    first, second = make_notification(alice, **about), make_notification(alice, **about)
    make_notification(alice, related_object_type="erp.invoice", related_object_id=43)
    make_notification(alice, related_object_type="erp.order", related_object_id=42)
    make_notification(alice, read=True, **about)
    make_notification(bob, **about)

    with committed():
        change = services.mark_read_by_object(user_id=alice.pk, **about)
    with committed():
        again = services.mark_read_by_object(user_id=alice.pk, **about)

    assert (change.count, change.unread_count, again.count, again.unread_count) == (2, 2, 0, 2)
    assert selectors.unread_count(bob.pk) == 1
    read_at = iso_z(change.at)
    assert published == [
        update(alice.pk, event="notification_read", notification_id=first.pk, is_read=True, read_at=read_at,
               unread_count=2),
        update(alice.pk, event="notification_read", notification_id=second.pk, is_read=True, read_at=read_at,
               unread_count=2),
    ]


def test_the_stored_data_is_the_validated_json(alice):
    stored = services.validated_content(notification_type="notice", title="t", message="m",
                                        data={"ids": (1, 2), "nested": {"ok": True}})
    services.create_notifications(recipient_ids=[alice.pk], content=stored, dedupe_key="k")
    assert InAppNotification.objects.get().data == json.loads('{"ids": [1, 2], "nested": {"ok": true}}')
