"""Uploads: the type comes from the content, bad files get clear 400s, and only the two people of
the conversation (and the uploader, before it is attached) can download a file."""
from __future__ import annotations

import re
import struct
import zlib

import pytest
from django.conf import settings

from chat.models import Attachment, ChatMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"
UPLOAD = API + "attachments/"


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PNG = png_bytes()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100


def upload(client, content: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"):
    return client.post(UPLOAD, files={"file": (name, content, content_type)})


def test_an_upload_is_typed_by_its_content_and_stored_under_a_generated_name(stack, make_user):
    client = make_user().rest(stack)

    # Name and client content type both lie; the content is a PNG.
    response = upload(client, PNG, name="holiday.txt", content_type="text/html")

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url", "attachment_type", "size", "content_type", "name"}
    assert body["attachment_type"] == "image" and body["content_type"] == "image/png"
    assert body["size"] == len(PNG) and body["name"] == "holiday.txt"
    assert body["url"] == f"{API}attachments/{body['id']}/download/"
    stored = Attachment.objects.get(pk=body["id"])
    assert re.fullmatch(r"chat_attachments/\d{4}/\d{2}/[0-9a-f]{32}\.png", stored.file.name), stored.file.name

    document = upload(client, PDF, name="report.pdf").json()
    text = upload(client, "Notes 📝 заметки 笔记\n".encode(), name="notes.txt").json()
    assert (document["attachment_type"], document["content_type"]) == ("document", "application/pdf")
    assert (text["attachment_type"], text["content_type"]) == ("document", "text/plain")


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("photo.png", PNG + b"\n<html><body><script>alert(document.cookie)</script></body></html>", "HTML"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<!DOCTYPE html><p>hi</p>", "HTML"),
        ("photo.png", b"<html><script>alert(1)</script></html>", "HTML"),
        ("logo.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG"),
        ("notes.txt", b"<a href='javascript:alert(1)'>x</a>", "script"),
        ("photo.jpg", ELF, "application/x-executable"),
        ("photo.jpg", WINDOWS_EXE, "application/x-msdownload"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "could not be recognised"),
        ("blob.dat", bytes(range(256)) * 4, "could not be recognised"),
        ("empty.png", b"", "empty"),
    ],
    ids=["png-then-html", "jpeg-then-html", "html-named-png", "svg", "javascript-url", "elf-named-jpg",
         "exe-named-jpg", "shell-script", "unknown-binary", "empty"],
)
def test_bad_content_is_refused_with_a_clear_400(stack, make_user, name, content, error):
    client = make_user().rest(stack)

    response = upload(client, content, name=name, content_type="image/png")

    assert response.status_code == 400, response.text
    assert error in response.json()["error"] and response.json()["code"] == "validation_error"
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("name", ["../x.png", "a/b.png", "..\\x.png", "C:\\Users\\me\\x.png", "..&#x2f;x.png"])
def test_a_path_in_the_file_name_is_refused(stack, make_user, name):
    response = upload(make_user().rest(stack), PNG, name=name)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "The file name must not contain a path"
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused(stack, make_user):
    oversized = PNG + b"\x00" * (settings.CHAT_ATTACHMENT_MAX_BYTES + 1 - len(PNG))

    response = upload(make_user().rest(stack), oversized, name="big.png")

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "too_large" and str(settings.CHAT_ATTACHMENT_MAX_BYTES) in response.json()["error"]
    assert not Attachment.objects.exists()


def test_a_missing_file_is_refused(stack, make_user):
    client = make_user().rest(stack)

    no_file = client.post(UPLOAD, files={"other": ("x.png", PNG, "image/png")})
    # A form field without a file name is text, not a file.
    not_a_file = client.post(UPLOAD, files={"file": (None, "just text")})
    urlencoded = client.post(UPLOAD, data={"file": "just text"})

    assert no_file.status_code == 400 and no_file.json()["code"] == "validation_error"
    assert "file" in no_file.json() and no_file.json()["error"].startswith("file:")
    assert not_a_file.status_code == 400 and not_a_file.json()["error"].startswith("file:")
    assert urlencoded.status_code == 415 and urlencoded.json()["code"] == "unsupported_media_type"
    assert not Attachment.objects.exists()


async def test_an_attachment_reaches_the_receiver_and_only_the_two_people_can_download_it(stack, make_user, ws):
    alice, bob, mallory = make_user("Alice"), make_user("Bob"), make_user("Mallory")
    uploaded = upload(alice.rest(stack), PNG, name="cat.png").json()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    # Before it is attached, only the uploader sees it.
    assert alice.rest(stack).get(uploaded["url"]).status_code == 200
    assert bob.rest(stack).get(uploaded["url"]).status_code == 404

    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "", "attachment_id": uploaded["id"],
                         "temp_id": "with-file"})
    sent = await alice_ws.expect("message_sent")
    received = await bob_ws.expect("message")

    assert received["id"] == sent["id"]
    assert received["attachment"] == uploaded["url"] and received["attachment_type"] == "image"
    assert sent["attachment"] == uploaded["url"] and sent["attachment_type"] == "image"
    for person in (alice, bob):
        download = person.rest(stack).get(received["attachment"])
        assert download.status_code == 200 and download.content == PNG
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert 'filename="cat.png"' in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Type"] == "image/png"
    assert mallory.rest(stack).get(received["attachment"]).status_code == 404
    history = bob.rest(stack).get(f"{API}conversation/{alice.id}/").json()["messages"]
    assert history[0]["attachment"] == uploaded["url"] and history[0]["attachment_type"] == "image"


async def test_only_the_uploader_may_attach_an_upload_and_only_once(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    uploaded = upload(alice.rest(stack), PNG, name="cat.png").json()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    await bob_ws.send({"type": "message", "receiver_id": alice.id, "attachment_id": uploaded["id"], "temp_id": "steal"})
    stolen = await bob_ws.expect("error")
    over_rest = bob.rest(stack).post(API, {"receiver_id": alice.id, "attachment_id": uploaded["id"]})

    assert stolen["code"] == "not_found" and stolen["temp_id"] == "steal"
    assert over_rest.status_code == 404 and over_rest.json()["code"] == "not_found"

    first = alice.rest(stack).post(API, {"receiver_id": bob.id, "attachment_id": uploaded["id"], "temp_id": "first"})
    assert first.status_code == 201 and first.json()["attachment"] == uploaded["url"]
    await alice_ws.send({"type": "message", "receiver_id": bob.id, "attachment_id": uploaded["id"], "temp_id": "again"})
    again = await alice_ws.expect("error")

    assert again["code"] == "not_found" and again["temp_id"] == "again"
    # Retrying the first send is not attaching twice: same message, same attachment.
    retry = alice.rest(stack).post(API, {"receiver_id": bob.id, "attachment_id": uploaded["id"], "temp_id": "first"})
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]
    assert ChatMessage.objects.filter(attachment_id=uploaded["id"]).count() == 1
    assert ChatMessage.objects.count() == 1


async def test_a_multipart_send_stores_the_file_and_delivers_the_message(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    bob_ws = await ws(bob)
    client = alice.rest(stack)
    form = {"receiver_id": str(bob.id), "message": "the report 📎", "temp_id": "multi-1"}

    response = client.post(API, data=form, files={"attachment": ("report.pdf", PDF, "application/pdf")})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"] == "the report 📎" and body["attachment_type"] == "document"
    received = await bob_ws.expect("message")
    assert received["id"] == body["id"] and received["attachment"] == body["attachment"]
    assert bob.rest(stack).get(body["attachment"]).content == PDF

    # A retry of the same send stores nothing new.
    retry = client.post(API, data=form, files={"attachment": ("report.pdf", PDF, "application/pdf")})
    assert retry.status_code == 201 and retry.json()["id"] == body["id"]
    assert Attachment.objects.count() == 1 and ChatMessage.objects.count() == 1


def test_a_multipart_send_with_a_bad_file_stores_nothing(stack, make_user):
    alice, bob = make_user(), make_user()
    client = alice.rest(stack)
    html = b"<html><script>alert(1)</script></html>"

    bad_file = client.post(API, data={"receiver_id": bob.id}, files={"attachment": ("x.png", html, "image/png")})
    path = client.post(API, data={"receiver_id": bob.id}, files={"attachment": ("../x.png", PNG, "image/png")})
    both = client.post(API, data={"receiver_id": bob.id, "attachment_id": 1},
                       files={"attachment": ("x.png", PNG, "image/png")})

    assert bad_file.status_code == 400 and "HTML" in bad_file.json()["error"]
    assert path.status_code == 400 and path.json()["error"] == "The file name must not contain a path"
    assert both.status_code == 400 and "not both" in both.json()["error"]
    assert not Attachment.objects.exists() and not ChatMessage.objects.exists()


def test_a_file_missing_from_storage_is_a_404_not_a_crash(stack, make_user):
    client = make_user().rest(stack)
    uploaded = upload(client, PNG, name="cat.png").json()
    Attachment.objects.get(pk=uploaded["id"]).file.delete(save=False)

    response = client.get(uploaded["url"])

    assert response.status_code == 404 and response.json()["code"] == "not_found"
