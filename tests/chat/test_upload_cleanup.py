"""Uploads that no message took are removed after a day, rows and files, by a bounded beat job."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import services
from chat.models import Attachment
from config.celery_app import app as celery_app
from workers import schedule  # noqa: F401 - the beat schedule is set when this module loads
from workers.tasks.chat import remove_unattached_uploads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(django_user_model):
    return [django_user_model.objects.create_user(username=name) for name in ("uploader", "receiver")]


def stored(uploader, *, age: timedelta) -> Attachment:
    attachment = services.store_attachment(
        uploader_id=uploader.pk, upload=SimpleUploadedFile("notes.txt", b"some plain text\n"))
    Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - age)
    return attachment


def exists(attachment: Attachment) -> bool:
    return Attachment.objects.filter(pk=attachment.pk).exists()


def test_old_unattached_uploads_go_with_their_files_and_everything_else_stays(people):
    uploader, receiver = people
    ttl = timedelta(seconds=settings.CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS)
    expired = stored(uploader, age=ttl + timedelta(minutes=1))
    recent = stored(uploader, age=ttl - timedelta(minutes=1))
    sent = stored(uploader, age=ttl * 3)
    outcome, = services.send_messages(sends=[services.NewMessage(
        sender_id=uploader.pk, receiver_id=receiver.pk, text="", idempotency_key="t:cleanup", attachment_id=sent.pk)])
    assert outcome.attachment_id == sent.pk

    assert remove_unattached_uploads() == 1

    assert not exists(expired) and not expired.file.storage.exists(expired.file.name)
    assert exists(recent) and recent.file.storage.exists(recent.file.name)
    assert exists(sent) and sent.file.storage.exists(sent.file.name)
    assert remove_unattached_uploads() == 0


def test_each_run_removes_a_bounded_number_in_batches(people):
    uploader, _ = people
    for _ in range(5):
        stored(uploader, age=timedelta(days=2))

    cutoff = timezone.now() - timedelta(days=1)
    assert services.remove_unattached_attachments(created_before=cutoff, batch_size=2, max_batches=2) == 4
    assert services.remove_unattached_attachments(created_before=cutoff, batch_size=2, max_batches=2) == 1
    assert not Attachment.objects.exists()


def test_beat_runs_the_clean_up_hourly():
    entry = celery_app.conf.beat_schedule["chat-remove-unattached-uploads"]
    assert entry["task"] == remove_unattached_uploads.name == "chat.remove_unattached_uploads"
    assert entry["schedule"] == 3600
