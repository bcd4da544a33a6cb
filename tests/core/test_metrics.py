"""`GET /metrics` (docs/operations.md) scraped from a real server after real traffic: the server's
own figures and the workers' (multiprocess mode) move, and the token is enforced."""
from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.stack import AsgiServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scrape(base_url: str, **headers: str) -> dict[tuple[str, tuple], float]:
    response = requests.get(f"{base_url}/metrics", headers=headers, timeout=15)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_counters_move_with_traffic_on_the_server_and_in_the_workers(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    await ws(bob, "/ws/notifications/")
    before = scrape(stack.http_url)

    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "counted", "temp_id": "m-1"})
    await alice_ws.expect("message_sent")
    await bob_ws.expect("message")
    await alice_ws.send("not json")
    await alice_ws.expect("error")
    after = scrape(stack.http_url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "erp_comm_open_sockets", family="chat") >= 2
    assert value(after, "erp_comm_open_sockets", family="notifications") >= 1
    assert value(after, "erp_comm_online_users") >= 2
    assert moved("erp_comm_messages_stored_total") == 1  # counted in a worker process
    assert moved("erp_comm_task_queue_wait_seconds_count", task="chat.send_messages") >= 1
    assert moved("erp_comm_frames_sent_total", family="chat", type="message_sent") == 1
    assert moved("erp_comm_frames_sent_total", family="chat", type="message") >= 1
    assert moved("erp_comm_error_frames_total", code="invalid_json") == 1
    assert moved("erp_comm_send_to_stored_seconds_count") == 1
    assert moved("erp_comm_stored_to_delivered_seconds_count") >= 1


async def test_a_resume_from_before_the_stream_counts_a_resync(stack, make_user, ws):
    alice = make_user("Alice")
    before = scrape(stack.http_url)
    socket = await ws(alice, "/ws/chat/?since=99", expect_connected=False)
    await socket.expect("resync_required")
    assert value(scrape(stack.http_url), "erp_comm_resync_required_total", family="chat") == \
        value(before, "erp_comm_resync_required_total", family="chat") + 1


def test_the_token_is_enforced_when_set():
    server = AsgiServer("asgi-metrics", METRICS_TOKEN="scrape-me")
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            refused = requests.get(f"{server.http_url}/metrics", headers=headers, timeout=15)
            assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer", headers
            assert "erp_comm" not in refused.text
        assert ("erp_comm_online_users", ()) in scrape(server.http_url, Authorization="Bearer scrape-me")
    finally:
        server.stop()
