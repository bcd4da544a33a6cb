"""The load generator: a process of its own (plain asyncio, or uvloop), real sockets, an open-loop schedule.

`python -m bench.loadgen` reads one JSON job on stdin and prints JSON results on stdout:

- `chat`: message k goes out at t0 + k / rate from sender k % P, whatever happened to earlier
  messages, and its latency is counted from that scheduled time to the receiver's `message` frame,
  so a stalled server shows up as latency instead of as a slower sender (no coordinated omission).
- `idle`: opens N sockets, reports connects per second, prints `{"held": ...}` and keeps them open
  until stdin says `close`.
- `rest`: keep-alive HTTP GETs from C connections for a while; requests per second and latency.
"""
from __future__ import annotations

import asyncio
import math
import sys
import time
from array import array
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect

from bench.stats import summarize

OPEN_TIMEOUT_SECONDS = 60
# The loop's clock may tick in whole milliseconds (uvloop's does): too coarse for latencies of a few.
clock = time.perf_counter


def socket_url(target: dict) -> str:
    return f"{target['url']}/ws/chat/?token={target['token']}&user={target['user_id']}"


async def open_socket(target: dict) -> ClientConnection:
    ws = await connect(socket_url(target), open_timeout=OPEN_TIMEOUT_SECONDS, ping_interval=None,
                       compression=None, max_size=2**20, close_timeout=1)
    frame = orjson.loads(await ws.recv())
    if frame.get("type") != "connection":
        await ws.close()
        raise RuntimeError(f"expected a connection frame, got {frame}")
    return ws


async def open_sockets(targets: list[dict], concurrency: int) -> tuple[list[ClientConnection | None], float, list[str]]:
    """Opens every socket with at most `concurrency` handshakes in flight; failures are kept as None."""
    sockets: list[ClientConnection | None] = [None] * len(targets)
    errors: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            try:
                sockets[index] = await open_socket(targets[index])
            except Exception as error:
                errors.append(repr(error)[:200])

    started = time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(len(targets))))
    return sockets, time.perf_counter() - started, errors


async def close_all(sockets: list[ClientConnection | None]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets if ws is not None), return_exceptions=True)


# chat ---------------------------------------------------------------------------------------

class ChatRun:
    def __init__(self, job: dict) -> None:
        self.job = job
        self.rate: float = job["rate"]
        self.count = max(1, int(self.rate * job["duration"]))
        self.warmup: float = job.get("warmup", 0.0)
        self.timeline: bool = job.get("timeline", False)
        self.pairs: list[list[int]] = job["pairs"]
        self.labels: list[str] = job.get("pair_labels") or ["all"] * len(self.pairs)
        self.tag: str = job["tag"]
        self.latency = array("d", [math.nan]) * self.count
        self.ack_latency = array("d", [math.nan]) * self.count
        self.send_lag = array("d", [math.nan]) * self.count
        self.receipts = bytearray(self.count)
        self.errors: dict[str, int] = {}
        self.last_receive = 0.0
        self.t0 = 0.0
        self.all_received = asyncio.Event()
        self.received = 0

    def scheduled(self, k: int) -> float:
        return self.t0 + k / self.rate

    def message_index(self, frame: dict) -> int | None:
        temp_id = frame.get("temp_id")
        if not isinstance(temp_id, str) or not temp_id.startswith(self.tag + "-"):
            return None
        return int(temp_id[len(self.tag) + 1:])

    async def read(self, ws: ClientConnection, user_id: int) -> None:
        try:
            async for raw in ws:
                now = clock()
                frame = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "message" and frame.get("receiver_id") == user_id:
                    k = self.message_index(frame)
                    if k is None:
                        continue
                    if self.receipts[k] == 0:
                        self.latency[k] = now - self.scheduled(k)
                        self.received += 1
                        self.last_receive = now
                        if self.received == self.count:
                            self.all_received.set()
                    self.receipts[k] = min(255, self.receipts[k] + 1)
                elif kind == "message_sent":
                    k = self.message_index(frame)
                    if k is not None and math.isnan(self.ack_latency[k]):
                        self.ack_latency[k] = now - self.scheduled(k)
                elif kind == "error":
                    key = f"{frame.get('code')}: {frame.get('error')}"[:120]
                    self.errors[key] = self.errors.get(key, 0) + 1
        except Exception as error:
            key = f"socket closed: {error!r}"[:120]
            self.errors[key] = self.errors.get(key, 0) + 1

    async def send_on_schedule(self, sockets: list[ClientConnection], targets: list[dict]) -> None:
        for k in range(self.count):
            delay = self.scheduled(k) - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            sender, receiver = self.pairs[k % len(self.pairs)]
            frame = {"type": "message", "receiver_id": targets[receiver]["user_id"], "temp_id": f"{self.tag}-{k}",
                     "message": f"bench message {k}"}
            self.send_lag[k] = clock() - self.scheduled(k)
            try:
                await sockets[sender].send(orjson.dumps(frame).decode())
            except Exception as error:
                key = f"send failed: {error!r}"[:120]
                self.errors[key] = self.errors.get(key, 0) + 1

    def report(self) -> dict[str, Any]:
        steady = [k for k in range(self.count) if k / self.rate >= self.warmup]
        by_label: dict[str, list[int]] = {}
        for k in range(self.count):
            by_label.setdefault(self.labels[k % len(self.pairs)], []).append(k)
        received = [k for k in range(self.count) if self.receipts[k]]
        elapsed = (self.last_receive - self.t0) if received else 0.0
        return {
            "offered_rate": self.rate,
            "sent": self.count,
            "received": len(received),
            "lost": self.count - len(received),
            "duplicated": sum(max(0, n - 1) for n in self.receipts),
            "delivered_per_second": len(received) / elapsed if elapsed > 0 else 0.0,
            "latency": summarize([self.latency[k] for k in received]),
            "latency_after_warmup": summarize([self.latency[k] for k in steady if self.receipts[k]]),
            "latency_by_label": {label: summarize([self.latency[k] for k in ks if self.receipts[k]])
                                 for label, ks in by_label.items()},
            "ack_latency": summarize([x for x in self.ack_latency if not math.isnan(x)]),
            "generator_send_lag": summarize([x for x in self.send_lag if not math.isnan(x)]),
            "errors": self.errors,
            **({"timeline": self.timeline_points()} if self.timeline else {}),
        }

    def timeline_points(self) -> list[list[float | None]]:
        """[scheduled send time in s from the first send, latency in ms or None if lost], per message."""
        return [[round(k / self.rate, 4), None if math.isnan(self.latency[k]) else round(self.latency[k] * 1000, 3)]
                for k in range(self.count)]


async def run_chat(job: dict) -> dict:
    targets = job["sockets"]
    sockets, connect_seconds, connect_errors = await open_sockets(targets, job.get("connect_concurrency", 50))
    if connect_errors:
        await close_all(sockets)
        return {"error": f"{len(connect_errors)} sockets failed to open", "examples": connect_errors[:3]}
    run = ChatRun(job)
    print(orjson.dumps({"progress": "connected"}).decode(), flush=True)
    readers = [asyncio.create_task(run.read(ws, target["user_id"])) for ws, target in zip(sockets, targets, strict=True)]
    run.t0 = clock() + 0.2
    await run.send_on_schedule(sockets, targets)
    try:
        await asyncio.wait_for(run.all_received.wait(), timeout=job.get("drain", 5.0))
    except TimeoutError:
        pass
    # Frames still in flight to the receiver (duplicates, late copies) get a moment to arrive.
    await asyncio.sleep(job.get("settle", 0.3))
    await close_all(sockets)
    for reader in readers:
        reader.cancel()
    return {"connect_seconds": connect_seconds, **run.report()}


# idle ---------------------------------------------------------------------------------------

async def run_idle(job: dict) -> dict:
    sockets, seconds, errors = await open_sockets(job["sockets"], job.get("connect_concurrency", 50))
    opened = sum(ws is not None for ws in sockets)
    held = {"held": opened, "failed": len(errors), "connect_seconds": seconds,
            "connects_per_second": opened / seconds if seconds else 0.0, "errors": errors[:3]}
    print(orjson.dumps(held).decode(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    still_open = sum(ws is not None and ws.close_code is None for ws in sockets)
    return {**held, "still_open_at_end": still_open}


# rest ---------------------------------------------------------------------------------------

async def http_worker(url: str, headers: dict[str, str], deadline: float, latencies: list[float],
                      statuses: dict[int, int]) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.hostname}\r\n{head}\r\n".encode()
    try:
        while clock() < deadline:
            started = clock()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(clock() - started)
    finally:
        writer.close()


async def run_rest(job: dict) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = clock()
    deadline = started + job["duration"]
    await asyncio.gather(*(http_worker(job["url"], job.get("headers", {}), deadline, latencies, statuses)
                           for _ in range(job["concurrency"])))
    elapsed = clock() - started
    return {"requests": len(latencies), "requests_per_second": len(latencies) / elapsed,
            "statuses": {str(code): n for code, n in statuses.items()}, "latency": summarize(latencies)}


MODES = {"chat": run_chat, "idle": run_idle, "rest": run_rest}


def main() -> None:
    job = orjson.loads(sys.stdin.readline())
    run = uvloop.run if job.get("client_loop", "uvloop") == "uvloop" else asyncio.run
    result = run(MODES[job["mode"]](job))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
