"""Django middleware of this project's own."""
from __future__ import annotations

import functools
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from django.urls import resolve, reverse
from django.utils.decorators import sync_and_async_middleware
from whitenoise.middleware import WhiteNoiseMiddleware

from core.db import release_connection

PROBE_URL_NAMES = ("healthz", "readyz", "metrics")


@functools.cache
def _probe_views() -> dict[str, Callable[[HttpRequest], HttpResponse]]:
    return {reverse(name): resolve(reverse(name)).func for name in PROBE_URL_NAMES}


@sync_and_async_middleware
def probes_before_host_check(get_response):
    """Answers `/healthz`, `/readyz` and `/metrics` before any other middleware validates the Host header.

    A probe (the container's health check, a load balancer, Prometheus) reaches the process by its
    address, which a production `ALLOWED_HOSTS` does not list; the probes read nothing from the
    request but `/metrics` its Authorization header. Every other path goes through the whole chain,
    host validation included.
    """
    if iscoroutinefunction(get_response):
        async def amiddleware(request: HttpRequest) -> HttpResponse:
            probe = _probe_views().get(request.path_info)
            if probe is not None:
                return await sync_to_async(_answer)(probe, request)
            return await get_response(request)
        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = _probe_views().get(request.path_info)
        return _answer(probe, request) if probe is not None else get_response(request)
    return middleware


def _answer(probe: Callable[[HttpRequest], HttpResponse], request: HttpRequest) -> HttpResponse:
    response = probe(request)
    # CommonMiddleware, which sets it for every other response, is skipped: without it the server
    # would answer in chunks, which simple probe clients do not read.
    response.headers["Content-Length"] = str(len(response.content))
    return response


@sync_and_async_middleware
def release_database_connection(get_response):
    """A request gives its database connection back when its view returns, not when the last byte
    of the response reached the client: a slow download or a slow network otherwise holds a
    pooled connection for as long as the client takes. No response body here reads the database."""
    if iscoroutinefunction(get_response):
        async def amiddleware(request: HttpRequest) -> HttpResponse:
            response = await get_response(request)
            # On the request's own thread, which holds its connection.
            await sync_to_async(release_connection)()
            return response
        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        release_connection()
        return response
    return middleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, able to sit in an asynchronous middleware chain: with a synchronous-only
    middleware in it, Django runs every view behind it on a thread, the asynchronous ones (REST
    actions awaiting the workers) included. The files are looked up in WhiteNoise's in-memory
    table, and only looked for on disk with autorefresh (development)."""

    async_capable = True

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self.serve_or_pass_on(request)
        return super().__call__(request)

    async def serve_or_pass_on(self, request: HttpRequest) -> HttpResponse:
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return self.serve(static_file, request)
        return await self.get_response(request)
