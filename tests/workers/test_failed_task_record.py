"""A task that fails for good leaves a `FailedTask` that an operator can act on (its name, ids,
error and traceback) and that keeps no private text: not the message or notification text in its
arguments, and not the row PostgreSQL quotes in its error."""
from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from chat import services as chat_services
from workers.failures import ids_only, recorded_arguments, scrubbed
from workers.models import FailedTask
from workers.tasks.chat import send_messages
from workers.tasks.notifications import send_notification

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "my salary is 4200 🤫"


def fail_with_the_row_quoted(**_kwargs):
    """A real PostgreSQL error whose DETAIL quotes the failing row, text and all."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE failing_row (text_value text, required int NOT NULL)")
        cursor.execute("INSERT INTO failing_row VALUES (%s, NULL)", [SECRET])


def record_of(task_id: str) -> dict:
    failed = FailedTask.objects.get(task_id=task_id)
    return model_to_dict(failed)


def test_a_failed_send_keeps_ids_error_and_traceback_and_no_text(monkeypatch):
    monkeypatch.setattr(chat_services, "send_messages", fail_with_the_row_quoted)
    send = {"sender_id": 7, "receiver_id": 8, "text": SECRET, "temp_id": "draft-4200", "idempotency_key": "t:draft-4200",
            "attachment_id": None, "reply_channel": "specific.abc!def"}

    send_messages.apply(kwargs={"sends": [send]}, task_id="failed-send")

    record = record_of("failed-send")
    assert record["task_name"] == "chat.send_messages" and record["exception_type"] == "IntegrityError"
    assert record["arguments"] == {"kwargs": {"sends": [{"sender_id": 7, "receiver_id": 8}]}, "left_out": [],
                                   "positional": 0}
    assert record["exception_message"].endswith("DETAIL:  Failing row contains [redacted]")
    assert "Traceback" in record["traceback"] and "fail_with_the_row_quoted" in record["traceback"]
    stored = json.dumps(record, default=str, ensure_ascii=False)
    for private in (SECRET, "4200", "draft", "specific.abc"):
        assert private not in stored


def test_a_failed_notification_task_keeps_its_recipient_ids_and_not_its_title_or_message(monkeypatch):
    from notifications import services as notification_services

    monkeypatch.setattr(notification_services, "create_notifications", fail_with_the_row_quoted)

    send_notification.apply(kwargs={
        "recipient_ids": [3, "4"], "notification_type": "notice", "title": SECRET, "message": SECRET,
        "link": "/payroll/4200", "data": {"amount": "4200", "employee_id": 9}, "dedupe_key": "payroll-4200",
    }, task_id="failed-notification")

    record = record_of("failed-notification")
    assert record["arguments"] == {
        "kwargs": {"recipient_ids": [3, "4"], "data": {"employee_id": 9}},
        "left_out": ["dedupe_key", "link", "message", "notification_type", "title"], "positional": 0,
    }
    assert "4200" not in json.dumps(record, default=str, ensure_ascii=False)


@pytest.mark.parametrize("kwargs, kept", [
    ({"user_id": 1, "notification_id": "2", "reply_channel": "specific.x"}, {"user_id": 1, "notification_id": "2"}),
    ({"message_ids": [1, 2], "temp_id": "a1", "id": 5}, {"message_ids": [1, 2], "id": 5}),
    ({"message_ids": [1, "two"], "user_ids": "12a", "is_typing": True, "user_id": True}, {}),
    ({"requests": [{"user_id": 1, "channel": "c"}, {"user_id": 2, "channel": "d"}]},
     {"requests": [{"user_id": 1}, {"user_id": 2}]}),
    ({"text": "hello", "title": "t", "data": {"note": "n"}, "related_object_type": "erp.invoice"}, {}),
    ({"paid": "١٢", "user_id": "١٢"}, {}),
])
def test_only_ids_are_kept(kwargs, kept):
    assert ids_only(kwargs) == kept


def test_positional_arguments_are_only_counted():
    assert recorded_arguments((SECRET, 4), None) == {"kwargs": {}, "left_out": [], "positional": 2}


def test_scrubbed_hides_quoted_keys_and_rows_and_tokens():
    text = ('duplicate key value violates unique constraint "u"\nDETAIL:  Key (sender_id, idempotency_key)=(1, '
            't:my secret) already exists.\nws://host/ws/chat/?token=abcdef0123456789abcdef')
    assert scrubbed(text) == ('duplicate key value violates unique constraint "u"\nDETAIL:  Key (sender_id, '
                              'idempotency_key)=[redacted] already exists.\nws://host/ws/chat/?token=[redacted]')


def test_the_migration_scrubs_records_written_before_it():
    from importlib import import_module

    from django.apps import apps

    FailedTask.objects.create(
        task_id="old", task_name="chat.send_messages", exception_type="IntegrityError",
        arguments={"args": [], "kwargs": {"sends": [{"sender_id": 7, "text": SECRET}]}},
        exception_message=f"DETAIL:  Failing row contains ({SECRET}).", traceback=f"Traceback\nFailing row contains ({SECRET})",
    )

    import_module("workers.migrations.0002_failed_task_keeps_no_text").keep_no_text(apps, None)

    record = record_of("old")
    assert record["arguments"] == {"kwargs": {"sends": [{"sender_id": 7}]}, "left_out": [], "positional": 0}
    assert SECRET not in json.dumps(record, default=str, ensure_ascii=False)
