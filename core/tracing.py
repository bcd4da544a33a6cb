"""End-to-end tracing with OpenTelemetry (docs/operations.md, "Tracing").

Off unless TRACING_ENABLED: then every process makes spans (the server's sockets and HTTP requests,
the Celery tasks with the context in their headers, the SQL, the fan-out and each socket's writes),
exports them over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and writes the trace id into
every log line. Off, nothing here costs more than one boolean test: `span()` hands back a null
context and `traceparent()` None, so the hot path pays nothing for tracing it does not do.
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Link, Span, SpanKind

tracer = trace.get_tracer("erp_comm")

_enabled = False


def enabled() -> bool:
    return _enabled


def configure(*, role: str, processor: SpanProcessor | None = None) -> None:
    """Makes this process trace (the server at start, each Celery pool process once forked):
    `role` is "web" or "worker", the suffix of its `service.name`. `processor` replaces the OTLP
    exporter (tests). Once per process: a second call changes nothing."""
    global _enabled
    if not settings.TRACING_ENABLED or _enabled:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.name": f"{settings.TRACING_SERVICE_NAME}-{role}"}))
    if processor is None and os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        processor = BatchSpanProcessor(OTLPSpanExporter())
    if processor is not None:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    _enabled = True


@contextlib.contextmanager
def span(name: str, *, parent: str | None = None, kind: SpanKind = SpanKind.INTERNAL,
         attributes: dict[str, Any] | None = None) -> Iterator[Span | None]:
    """A span around the block (None, and nothing made, while tracing is off); `parent` is a
    `traceparent()` carried from another process, for a block that continues its trace."""
    if not _enabled:
        yield None
        return
    context = propagate.extract({"traceparent": parent}) if parent else None
    with tracer.start_as_current_span(name, context=context, kind=kind, attributes=attributes) as current:
        yield current


def traceparent() -> str | None:
    """The current span as a W3C `traceparent`, to carry where task headers do not go (channel-layer
    events); None while tracing is off or outside a span."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def continuing(parent: str | None) -> Iterator[None]:
    """Runs the block in the trace of `parent` (a `traceparent()`), or outside any trace without
    one, whatever the caller's context holds."""
    if not _enabled:
        yield
        return
    token = otel_context.attach(propagate.extract({"traceparent": parent}) if parent else otel_context.Context())
    try:
        yield
    finally:
        otel_context.detach(token)


def link_to_batch(parents: Iterable[str | None], *, name: str) -> None:
    """For requests handed over in one batch, each with the `traceparent()` of its arrival: the
    batch's task runs in the trace of the first of them; every other request's trace gets a span
    `name` here, linked to the task's, so that it does not end at the hand-over."""
    if not _enabled:
        return
    batch = trace.get_current_span().get_span_context()
    links = [Link(batch)] if batch.is_valid else []
    for parent in parents:
        if not parent:
            continue
        context = propagate.extract({"traceparent": parent})
        if trace.get_current_span(context).get_span_context().trace_id != batch.trace_id:
            tracer.start_span(name, context=context, links=links).end()


class TraceIdFilter(logging.Filter):
    """Puts ` trace=<id>` into a record made inside a span (`%(trace)s` in the format), and nothing
    outside one or while tracing is off."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context() if _enabled else None
        record.trace = f" trace={context.trace_id:032x}" if context is not None and context.is_valid else ""
        return True
