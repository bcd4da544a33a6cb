"""How a server process hands work to the workers: a task now (`enqueue`), or requests gathered
for a moment and handed over as one task (`RequestBatch`).

Under load one task then carries many requests: Celery's own cost (a publish here, a delivery,
a process hop and an acknowledgement there) is paid per task, and it was most of a small task's
cost (docs/performance.md). Each use of a batch names what repairs a batch the broker refused.

A publish is a blocking network call, so the event loop never makes one: it runs on a few
threads of its own, and a broker that stops answering costs the caller at most
PUBLISH_TIMEOUT_SECONDS before it hears "retry shortly" (docs/reliability.md).
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from celery import current_app

from core.errors import SERVICE_UNAVAILABLE, ClientError
from core.logging import Throttled

logger = logging.getLogger(__name__)
# The broker away: one line per half minute, not one per frame.
outage_log = Throttled(logger, seconds=30)

# Above two attempts of a publish that times out (REDIS_SOCKET_TIMEOUT_SECONDS each).
PUBLISH_TIMEOUT_SECONDS = 5.0
PUBLISH_THREADS = 4
_publishers = ThreadPoolExecutor(max_workers=PUBLISH_THREADS, thread_name_prefix="broker-publish")


def enqueue_now(task: str, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Hands work to the workers, by task name, from a thread that may block; the broker being
    down becomes a retryable client error."""
    try:
        # Nobody reads the result of work handed over this way: none is stored.
        current_app.send_task(task, kwargs=kwargs, countdown=countdown, ignore_result=True)
    except Exception as error:
        outage_log.warning("enqueue", "could not enqueue %s: %r", task, error)
        raise ClientError(SERVICE_UNAVAILABLE, code="server_error") from None


async def enqueue(task: str, *, countdown: float | None = None, **kwargs: Any) -> None:
    """`enqueue_now` from the event loop, on a publishing thread."""
    # In the caller's context, so that the task's headers carry the caller's trace (core.tracing).
    publish = functools.partial(contextvars.copy_context().run, enqueue_now, task, countdown=countdown, **kwargs)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(_publishers, publish),
                               PUBLISH_TIMEOUT_SECONDS)
    except TimeoutError:
        # The thread may still get the task through; a retried request is idempotent.
        outage_log.warning("enqueue", "enqueueing %s took over %ss", task, PUBLISH_TIMEOUT_SECONDS)
        raise ClientError(SERVICE_UNAVAILABLE, code="server_error") from None


Loopbound = TypeVar("Loopbound")


def one_per_event_loop(factory: Callable[[asyncio.AbstractEventLoop], Loopbound]) -> Callable[[], Loopbound]:
    """A getter for one instance per running event loop (the server runs one; tests run many)."""
    instances: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Loopbound] = weakref.WeakKeyDictionary()

    def instance() -> Loopbound:
        loop = asyncio.get_running_loop()
        if loop not in instances:
            instances[loop] = factory(loop)
        return instances[loop]

    return instance


class RequestBatch:
    """Requests for one task (`task(requests=[...])`, by name), handed over `window` seconds after
    the first."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, task: str, window: float) -> None:
        self.loop, self.task, self.window = loop, task, window
        self.requests: list[dict[str, Any]] = []
        self.on_refusal: list[Callable[[], Awaitable[None]]] = []

    def add(self, request: dict[str, Any], *, if_refused: Callable[[], Awaitable[None]] | None = None) -> None:
        """`if_refused` runs if the broker refuses the batch."""
        if not self.requests:
            self.loop.call_later(self.window, self.flush)
        self.requests.append(request)
        if if_refused is not None:
            self.on_refusal.append(if_refused)

    def flush(self) -> None:
        requests, self.requests = self.requests, []
        on_refusal, self.on_refusal = self.on_refusal, []
        asyncio.ensure_future(self._hand_over(requests, on_refusal))

    async def _hand_over(self, requests: list[dict[str, Any]], on_refusal: list[Callable[[], Awaitable[None]]]) -> None:
        try:
            await enqueue(self.task, requests=requests)
        except ClientError:
            await asyncio.gather(*(callback() for callback in on_refusal), return_exceptions=True)
