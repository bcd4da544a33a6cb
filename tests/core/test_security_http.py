"""HTTP in front of the API on a real server: CORS for browser front ends on other origins, request
bodies capped before anything reads them, the per-user upload quota, probes that answer whatever the
Host header, static files, the demo kept off production servers, and access lines with tokens."""
from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import uuid

import pytest
import requests
from django.conf import settings

from chat.models import Attachment
from tests.settings import SLOT
from tests.support.stack import AsgiServer, process_environment, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC_HOST = "erp.example.com"
MAX_BODY_BYTES = 4096
QUOTA_BYTES = 3000
CONVERSATIONS = "/api/v1/communication/chats/conversations/"
UPLOAD = "/api/v1/communication/chats/attachments/"


@pytest.fixture(scope="module")
def production(stack, tmp_path_factory):
    """A server set up as in production: a public host name, its front end's origins, no DEBUG
    and no demo, static files collected as the image does, and small limits to test them with."""
    static_root = tmp_path_factory.mktemp("static")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], check=True, timeout=120,
                   env=process_environment(STATIC_ROOT=str(static_root)), capture_output=True)
    server = AsgiServer(
        f"http{SLOT}-production", ALLOWED_HOSTS=PUBLIC_HOST, WS_ALLOWED_ORIGINS=f"https://{PUBLIC_HOST},.corp.example",
        DEMO_ENABLED="", STATIC_ROOT=str(static_root), HTTP_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        CHAT_ATTACHMENT_QUOTA_BYTES=str(QUOTA_BYTES),
    )
    yield server
    server.stop()


def public(server: AsgiServer, token: str | None = None) -> requests.Session:
    """A client that reaches the server under its public host name."""
    session = requests.Session()
    session.headers["Host"] = PUBLIC_HOST
    if token:
        session.headers["Authorization"] = f"Token {token}"
    return session


# CORS ----------------------------------------------------------------------------------------------

def preflight(session: requests.Session, url: str, origin: str) -> requests.Response:
    return session.options(url, timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    })


@pytest.mark.parametrize("origin", [f"https://{PUBLIC_HOST}", "https://app.corp.example:8443", "http://corp.example"])
def test_a_front_end_on_an_allowed_origin_calls_the_api_preflight_included(production, make_user, origin):
    user = make_user()

    allowed = preflight(public(production), production.http_url + CONVERSATIONS, origin)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert {"authorization", "content-type"} <= set(allowed.headers["Access-Control-Allow-Headers"].split(", "))
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]

    response = public(production, user.token).get(production.http_url + CONVERSATIONS, headers={"Origin": origin},
                                                 timeout=10)
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == origin
    refused = public(production).get(production.http_url + CONVERSATIONS, headers={"Origin": origin}, timeout=10)
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == origin, \
        "the front end can read why it was refused"


@pytest.mark.parametrize("origin", ["https://evil.example", f"http://{PUBLIC_HOST}", f"https://{PUBLIC_HOST}:8443",
                                    "https://corp.example.evil.example", "https://evilcorp.example", "null"])
def test_another_origin_gets_no_cors_headers(production, make_user, origin):
    user = make_user()

    answer = preflight(public(production), production.http_url + CONVERSATIONS, origin)
    assert answer.status_code != 401 and "Access-Control-Allow-Origin" not in answer.headers
    response = public(production, user.token).get(production.http_url + CONVERSATIONS, headers={"Origin": origin},
                                                 timeout=10)
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_cors_covers_the_api_only(production):
    origin = f"https://{PUBLIC_HOST}"
    for path in ("/admin/login/", "/healthz", "/web/client/index.js"):
        assert "Access-Control-Allow-Origin" not in preflight(public(production), production.http_url + path,
                                                              origin).headers, path
        response = public(production).get(production.http_url + path, headers={"Origin": origin}, timeout=10)
        assert "Access-Control-Allow-Origin" not in response.headers, path


def test_by_default_the_allowed_hosts_on_any_port_may_call_the_api(stack):
    session = requests.Session()
    assert preflight(session, stack.http_url + CONVERSATIONS, "http://localhost:5173").headers[
        "Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "Access-Control-Allow-Origin" not in preflight(session, stack.http_url + CONVERSATIONS,
                                                          "http://localhost.evil.example").headers


# Request bodies ------------------------------------------------------------------------------------

def raw_exchange(server: AsgiServer, head: str, *chunks: bytes) -> http.client.HTTPResponse:
    """Sends a request head and body chunks as they are, then reads the answer: never more."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    connection.sendall(head.encode() + b"\r\n\r\n")
    for chunk in chunks:
        connection.sendall(chunk)
    response = http.client.HTTPResponse(connection)
    response.begin()
    return response


def expect_too_large(response: http.client.HTTPResponse) -> None:
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert response.read() == (b'{"error":"The request body is larger than %d bytes","code":"too_large"}'
                               % MAX_BODY_BYTES)


def test_a_body_declared_over_the_cap_is_refused_before_it_is_sent(production):
    # No Authorization: the cap holds before authentication; and no body byte is ever sent.
    expect_too_large(raw_exchange(production, "\r\n".join([
        f"POST {UPLOAD} HTTP/1.1", f"Host: {PUBLIC_HOST}", "Content-Type: application/octet-stream",
        "Content-Length: 1000000000"])))


def test_a_chunked_body_is_refused_once_it_passes_the_cap(production, make_user):
    user = make_user()
    kibibyte = b"400\r\n" + b"x" * 1024 + b"\r\n"
    # Five KiB of a body that never ends: the answer comes once the cap (4 KiB) is passed.
    expect_too_large(raw_exchange(production, "\r\n".join([
        f"POST {UPLOAD} HTTP/1.1", f"Host: {PUBLIC_HOST}", f"Authorization: Token {user.token}",
        "Content-Type: application/octet-stream", "Transfer-Encoding: chunked"]), *[kibibyte] * 5))


def test_bodies_up_to_the_cap_reach_the_application(production):
    session = public(production)
    assert session.post(production.http_url + UPLOAD, data=b"x" * MAX_BODY_BYTES, timeout=10).status_code == 401
    assert session.post(production.http_url + UPLOAD, data=iter([b"x" * 1000] * 4), timeout=10).status_code == 401


def test_the_default_cap_leaves_room_for_the_largest_upload(stack, make_user):
    largest = b"\x89PNG\r\n\x1a\n" + b"\x00" * (settings.CHAT_ATTACHMENT_MAX_BYTES - 8)
    response = make_user().rest(stack).post(UPLOAD, files={"file": ("big.png", largest, "image/png")})
    assert response.status_code == 201, response.text
    assert response.json()["size"] == settings.CHAT_ATTACHMENT_MAX_BYTES


# Upload quota --------------------------------------------------------------------------------------

def test_uploads_past_the_per_user_quota_are_refused(production, make_user):
    alice, bob = make_user(), make_user()
    text = b"a line of plain text\n" * 60  # 1,260 bytes: two fit in 3,000, a third does not

    def upload(user) -> requests.Response:
        return public(production, user.token).post(production.http_url + UPLOAD, timeout=15,
                                                   files={"file": ("notes.txt", text, "text/plain")})

    assert [upload(alice).status_code, upload(alice).status_code] == [201, 201]
    refused = upload(alice)
    assert refused.status_code == 400
    assert refused.json() == {"code": "too_large", "error": f"The file would take your uploads past your storage "
                                                            f"quota of {QUOTA_BYTES} bytes ({2 * len(text)} bytes used)"}
    assert Attachment.objects.filter(uploader_id=alice.id).count() == 2
    assert upload(bob).status_code == 201, "the quota is per user"


# Probes, static files, the demo ----------------------------------------------------------------------

def test_probes_answer_by_address_while_everything_else_checks_the_host(production):
    # The container's health check calls http://127.0.0.1:8000/healthz; ALLOWED_HOSTS is the public name.
    assert requests.get(production.http_url + "/healthz", timeout=10).json() == {"status": "ok"}
    assert "checks" in requests.get(production.http_url + "/readyz", timeout=10).json()
    assert requests.get(production.http_url + CONVERSATIONS, timeout=10).status_code == 400
    assert public(production).get(production.http_url + CONVERSATIONS, timeout=10).status_code == 401


def test_collected_static_files_are_served(production):
    response = public(production).get(production.http_url + "/static/admin/css/base.css", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/css")
    assert "max-age" in response.headers["Cache-Control"]


def test_the_demo_is_served_only_where_enabled(production, stack, make_user):
    user = make_user()
    session = public(production, user.token)
    for path in ("/", "/demo/people/", "/web/demo/app.js"):
        assert session.get(production.http_url + path, timeout=10).status_code == 404, path
    assert session.get(production.http_url + "/web/client/index.js", timeout=10).status_code == 200, \
        "the client's modules are for any front end"

    enabled = user.rest(stack)  # the test servers run with DEMO_ENABLED
    assert enabled.get("/").status_code == 200 and enabled.get("/demo/people/").status_code == 200


# Access log ----------------------------------------------------------------------------------------

def test_a_request_with_a_token_logs_one_redacted_access_line(stack, make_user):
    user = make_user()
    marker = uuid.uuid4().hex
    already = len(stack.server.log_text())
    statuses = {path: requests.get(f"{stack.http_url}{path}?probe={marker}&token={user.token}", timeout=10).status_code
                for path in ("/healthz", CONVERSATIONS)}

    def logged() -> str:
        return stack.server.log_text()[already:]

    wait_until(lambda: logged().count(marker) >= len(statuses), timeout=10, what="the access lines")
    lines = [line for line in logged().splitlines() if marker in line]
    assert len(lines) == len(statuses), "\n".join(lines)
    for line, (path, status) in zip(lines, statuses.items(), strict=True):
        assert re.search(rf'"GET {re.escape(path)}\?probe={marker}&token=\[redacted\] HTTP/1\.1" {status}', line), line
    assert "Logging error" not in logged() and user.token not in logged()
