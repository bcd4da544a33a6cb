"""End-to-end tracing (docs/operations.md, "Tracing").

Across processes: a server and a worker of their own (on a private Redis, so that the suite's
worker takes none of their tasks) export over OTLP/HTTP to a collector in this process, and one
chat message is one trace from the sender's frame through the Celery task, its SQL and the fan-out
to each socket's write and the delivery receipt that comes back. In one process: the project's own
spans caught by OpenTelemetry's in-memory exporter, the trace id in the log lines, and nothing
added to the channel-layer events while tracing is off.
"""
from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core import tracing
from realtime import fanout, frames
from realtime.fanout import Push
from tests.faults.infra import PrivateRedis
from tests.settings import SLOT
from tests.support.stack import AsgiServer, CeleryWorker, wait_until


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict
    links: tuple[tuple[str, str], ...] = ()


class Collector:
    """An OTLP/HTTP trace receiver: what the processes export, decoded."""

    def __init__(self) -> None:
        self.spans: list[ExportedSpan] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = ExportTraceServiceRequest()
                request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
                collector.receive(request)
                body = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def receive(self, request: ExportTraceServiceRequest) -> None:
        for resource_spans in request.resource_spans:
            service = next(a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(ExportedSpan(
                        service=service, name=span.name, trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(), attributes={a.key: _value(a.value) for a in span.attributes},
                        links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                    ))

    def trace(self, trace_id: str) -> list[ExportedSpan]:
        return [span for span in list(self.spans) if span.trace_id == trace_id]


def _value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    return getattr(value, kind) if kind else None


@pytest.fixture
def traced_stack(request) -> Iterator[tuple[Collector, AsgiServer, CeleryWorker]]:
    collector, redis = Collector(), PrivateRedis()
    environment = {**redis.environment(), "TRACING_ENABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                   "OTEL_BSP_SCHEDULE_DELAY": "100", "LOG_LEVEL": "INFO", "CELERY_TASK_LOG_LEVEL": "INFO",
                   # One batch of sends in flight: a burst's later sends wait and leave together.
                   "CHAT_SEND_BATCHES_IN_FLIGHT": "1"}
    processes = [CeleryWorker(f"traced{SLOT}-{request.node.name[5:25]}-worker", **environment)]
    processes.append(server := AsgiServer(f"traced{SLOT}-{request.node.name[5:25]}-asgi", **environment))
    yield collector, server, processes[0]
    for process in processes:
        process.stop()
    collector.server.shutdown()
    redis.destroy()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
async def test_one_message_is_one_trace_from_the_frame_to_each_socket_and_the_receipt(traced_stack, make_user,
                                                                                       sockets):
    collector, server, worker = traced_stack
    alice, bob = make_user("Alice"), make_user("Bob")
    # Bob's socket resumes its (empty) stream instead of asking for a replay of what he missed: a
    # replay that ran after the send would write the message to him first, in the replay's trace,
    # and his receipt would then leave in that trace.
    alice_ws = await sockets(server.ws_url, alice, "/ws/chat/")
    bob_ws = await sockets(server.ws_url, bob, "/ws/chat/?since=0")
    alice_tab = await sockets(server.ws_url, alice, "/ws/chat/")

    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "traced", "temp_id": "t-1"})
    sent = await alice_ws.expect("message_sent")
    await bob_ws.expect("message", lambda f: f["id"] == sent["id"])
    await alice_tab.expect("delivery_receipt", lambda f: f["message_id"] == sent["id"])

    def the_whole_trace() -> bool:
        roots = [s for s in collector.spans if s.name == "chat receive message"]
        if not roots:
            return False
        names = {s.name for s in collector.trace(roots[0].trace_id)}
        return {"run/chat.send_messages", "run/chat.mark_delivered_many"} <= names and \
            sum(s.name == "chat write" for s in collector.trace(roots[0].trace_id)) >= 5
    try:
        wait_until(the_whole_trace, timeout=60, what="the message's spans")
    except TimeoutError:
        pytest.fail(f"the trace is incomplete: {sorted((s.trace_id[:8], s.name) for s in collector.spans)}")
    [root] = [s for s in collector.spans if s.name == "chat receive message"]
    spans = collector.trace(root.trace_id)
    by_id = {s.span_id: s for s in spans}

    # One tree: every span but the sender's frame has its parent in the trace.
    assert root.parent_id == "" and root.service == "erp-comm-web"
    assert [s.name for s in spans if s.parent_id not in by_id and s is not root] == []

    def ancestors(span: ExportedSpan) -> list[str]:
        chain = []
        while span.parent_id in by_id:
            span = by_id[span.parent_id]
            chain.append(span.name)
        return chain

    # The server publishes the task with the context in its headers; the worker runs it.
    [stored] = [s for s in spans if s.name == "run/chat.send_messages"]
    assert stored.service == "erp-comm-worker"
    assert "apply_async/chat.send_messages" in ancestors(stored)
    # Its SQL, the message's INSERT among it, through psycopg's instrumentation.
    sql = [s for s in spans if s.attributes.get("db.system") == "postgresql" and stored.name in ancestors(s)]
    assert any("INSERT" in s.name or "INSERT" in str(s.attributes.get("db.statement", "")) for s in sql), \
        [s.name for s in sql]
    # The fan-out after commit, and each socket's write: bob's, and both of alice's tabs.
    fan_outs = [s for s in spans if s.name == "fan-out"]
    assert any(stored.name in ancestors(s) for s in fan_outs)
    writes = [s for s in spans if s.name == "chat write"]
    assert all("fan-out" in ancestors(s) for s in writes)
    written = {(s.attributes["enduser.id"], s.attributes["erp_comm.socket"], frame)
               for s in writes for frame in s.attributes["erp_comm.frames"]}
    assert {(user, frame) for user, _, frame in written} >= {
        (bob.id, "message"), (alice.id, "message_sent"), (alice.id, "message"), (alice.id, "delivery_receipt")}
    assert len({socket for user, socket, _ in written if user == alice.id}) == 2, "both of alice's sockets"
    # The receipt comes back in the same trace: bob's socket write hands it to the worker.
    [receipt] = [s for s in spans if s.name == "run/chat.mark_delivered_many"]
    assert "apply_async/chat.mark_delivered_many" in ancestors(receipt)
    [handed_over_by] = [by_id[s.parent_id] for s in spans
                        if s.name == "apply_async/chat.mark_delivered_many" and receipt.parent_id == s.span_id]
    assert handed_over_by.name == "chat write" and handed_over_by.attributes["enduser.id"] == bob.id
    assert any(receipt.name in ancestors(s) for s in writes if "delivery_receipt" in s.attributes["erp_comm.frames"])
    # What people wrote is in no span: statements carry placeholders, not parameters.
    assert not [s.name for s in spans if "traced" in repr(s.attributes)]
    # The worker's log lines of the task carry the trace id.
    assert f"trace={root.trace_id} Task chat.send_messages[" in worker.log_text()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
async def test_each_send_of_a_batch_keeps_a_trace_linked_to_the_batchs(traced_stack, make_user, sockets):
    collector, server, _ = traced_stack
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws = await sockets(server.ws_url, alice, "/ws/chat/")
    burst = 6
    for number in range(burst):
        await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": f"burst {number}", "temp_id": f"b-{number}"})
    for _ in range(burst):
        await alice_ws.expect("message_sent")

    def roots() -> list[ExportedSpan]:
        return [s for s in list(collector.spans) if s.name == "chat receive message"]

    def stored_in(trace_id: str) -> bool:
        return any(s.name == "run/chat.send_messages" for s in collector.trace(trace_id))

    def linked_to_a_batch(trace_id: str) -> bool:
        return any(s.name == "chat.send_messages batched" and s.links
                   and any(t.span_id == s.links[0][1] for t in collector.trace(s.links[0][0]))
                   for s in collector.trace(trace_id))

    wait_until(lambda: len(roots()) == burst and all(stored_in(r.trace_id) or linked_to_a_batch(r.trace_id)
                                                      for r in roots()), timeout=30, what="every send's trace")
    batched = [r for r in roots() if not stored_in(r.trace_id)]
    assert batched, "the burst left in batches of more than one send"
    for root in batched:
        [link_span] = [s for s in collector.trace(root.trace_id) if s.name == "chat.send_messages batched"]
        assert link_span.parent_id == root.span_id
        [(trace_id, span_id)] = link_span.links
        assert trace_id in {r.trace_id for r in roots()}, "the batch runs in the trace of its first send"
        assert any(s.span_id == span_id and s.name == "run/chat.send_messages" for s in collector.trace(trace_id))


@pytest.fixture
def in_memory_spans(monkeypatch) -> Iterator[InMemorySpanExporter]:
    """The project's own spans in this process, without instrumenting Django, Celery or psycopg here."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "tracer", provider.get_tracer("test"))
    monkeypatch.setattr(tracing, "_enabled", True)
    yield exporter
    provider.shutdown()


def test_channel_layer_events_carry_the_current_span_and_continue_its_trace(in_memory_spans):
    """What carries a trace from `push_now` to `push_frames` across processes: the event's `trace`."""
    with tracing.span("task"), tracing.span("fan-out"):
        [(_, _, event)] = fanout.layer_events([Push(frame=frames.pong(), user_id=7)])
    task, fan_out = sorted(in_memory_spans.get_finished_spans(), key=lambda s: s.start_time)
    assert event["trace"].split("-")[1:3] == [f"{fan_out.context.trace_id:032x}", f"{fan_out.context.span_id:016x}"]
    with tracing.span("chat write", parent=event["trace"]):
        pass
    write = in_memory_spans.get_finished_spans()[-1]
    assert write.context.trace_id == task.context.trace_id and write.parent.span_id == fan_out.context.span_id


def test_nothing_is_traced_or_carried_while_tracing_is_off(in_memory_spans, monkeypatch):
    monkeypatch.setattr(tracing, "_enabled", False)
    with tracing.span("anything") as span:
        assert span is None
        assert not trace.get_current_span().get_span_context().is_valid
        assert tracing.traceparent() is None
        [(_, _, event)] = fanout.layer_events([Push(frame=frames.pong(), user_id=7)])
    assert "trace" not in event
    assert in_memory_spans.get_finished_spans() == ()


def test_log_lines_inside_a_span_carry_its_trace_id(in_memory_spans):
    """The console handler's format and filters, as settings.LOGGING configures them."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        options = dict(settings.LOGGING["filters"][name])
        handler.addFilter(import_string(options.pop("()"))(**options))
    logger = logging.getLogger("erp_comm.test")
    logger.addHandler(handler)
    try:
        with tracing.span("request") as span:
            logger.warning("inside")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = output.getvalue().splitlines()
    assert inside.endswith(f" erp_comm.test trace={span.get_span_context().trace_id:032x} inside")
    assert outside.endswith(" erp_comm.test outside")
