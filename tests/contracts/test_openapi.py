"""The OpenAPI document: generated without warnings, complete, served, and true of the live API."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from django.core.management import call_command

from tests.support.stack import AsgiServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"
PUBLIC_OPERATIONS = {("post", "/api/v1/auth/login/")}
# Logging out would delete the token that the rest of the run uses.
NOT_FUZZED = ["/api/v1/auth/logout/"]
# Enough to find crashes and contradictions in every operation while the test stays well under a
# few minutes on a loaded 2-core machine.
EXAMPLES_PER_OPERATION = 10
SCHEMATHESIS_TIMEOUT_SECONDS = 540
CHECKS = [
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "response_headers_conformance",
    # Repeats requests without the token: every protected operation must refuse them.
    "ignored_auth",
]


def generated_schema(tmp_path: Path) -> dict:
    path = tmp_path / "openapi.yaml"
    # Raises (and fails the test) on any warning or on a schema that is not valid OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_the_schema_generates_without_warnings_and_documents_every_answer(tmp_path):
    schema = generated_schema(tmp_path)
    gaps = []
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        errors = [code for code in responses if code.startswith("4")]
        if not successes or not errors:
            gaps.append(f"{method} {path}: responses {sorted(responses)}")
        for code in successes:
            if code != "204" and "content" not in responses[code]:
                gaps.append(f"{method} {path}: {code} has no body schema")
        if (method, path) not in PUBLIC_OPERATIONS and "401" not in responses:
            gaps.append(f"{method} {path}: 401 not documented")
        if "Unspecified" in yaml.safe_dump(responses):
            gaps.append(f"{method} {path}: a response body is unspecified")
    assert not gaps, "\n".join(gaps)


def test_the_upload_and_search_are_documented(tmp_path):
    schema = generated_schema(tmp_path)
    upload = schema["paths"][f"{API}attachments/"]["post"]
    listing = schema["paths"][API]["get"]
    send = schema["paths"][API]["post"]

    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert upload["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Attachment"}
    assert {"application/json", "multipart/form-data"} <= set(send["requestBody"]["content"])
    assert {p["name"] for p in listing["parameters"]} >= {
        "search", "conversation", "sender", "receiver", "is_read", "since", "until", "has_attachment", "cursor"}


def test_the_schema_and_swagger_ui_are_served(stack):
    schema = requests.get(stack.http_url + "/api/schema/", timeout=15)
    docs = requests.get(stack.http_url + "/api/docs/", timeout=15)

    assert schema.status_code == 200 and yaml.safe_load(schema.text)["openapi"].startswith("3.")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


@pytest.fixture
def unthrottled_server(stack):
    """A server of its own whose rate limits do not turn most generated requests into 429s
    (the throttles are documented; the logic behind them is what needs the examples)."""
    rates = dict.fromkeys(("THROTTLE_USER", "THROTTLE_LOGIN", "THROTTLE_CHAT_SEND", "THROTTLE_CHAT_UPLOAD", "THROTTLE_CHAT_TYPING", "THROTTLE_CHAT_RECEIPTS", "THROTTLE_NOTIFICATION_ACTIONS"), "100000/min")
    server = AsgiServer(name="asgi-openapi", **rates)
    yield server
    server.stop()


@pytest.mark.timeout(SCHEMATHESIS_TIMEOUT_SECONDS + 60)  # about a minute when the machine is quiet
def test_the_live_api_never_fails_and_never_contradicts_its_schema(stack, unthrottled_server, make_user, tmp_path):
    alice, bob = make_user("Alice"), make_user("Bob")
    seed_data(stack, alice, bob)
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{unthrottled_server.http_url}/api/schema/",
        "--header", f"Authorization: Token {alice.token}",
        "--checks", ",".join(CHECKS),
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--phases", "examples,coverage,fuzzing",
        "--workers", "1", "--seed", "20261125", "--request-timeout", "30",
        "--generation-database", "none", "--suppress-health-check", "all", "--no-color",
        *[argument for path in NOT_FUZZED for argument in ("--exclude-path", path)],
    ]

    run = subprocess.run(command, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT_SECONDS, cwd=tmp_path)

    print(run.stdout[-4000:])  # the summary (operations, phases, cases), shown with -rP
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]


def seed_data(stack, alice, bob) -> None:
    """Real rows, so that generated requests reach more than the not-found paths."""
    alice_client, bob_client = alice.rest(stack), bob.rest(stack)
    upload = alice_client.post(API + "attachments/", files={"file": ("notes.txt", b"meeting notes", "text/plain")})
    assert upload.status_code == 201, upload.text
    for body in ({"message": "hello 👋", "attachment_id": upload.json()["id"]}, {"message": "second"}):
        assert alice_client.post(API, {"receiver_id": bob.id, **body}).status_code == 201
    assert bob_client.post(API, {"receiver_id": alice.id, "message": "reply"}).status_code == 201
