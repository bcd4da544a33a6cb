"""Notification fan-out: one notification to 10,000 recipients, stored and pushed; then resolved.

`python -m bench.notification_fanout [--recipients 10000] [--live 200] [--runs 5]`

Starts an ASGI server and a Celery worker on a bench database (created and migrated here, never
the dev one), opens live notification sockets for a sample of the recipients, then per run sends
`notifications.send_notification` by name from a plain Celery client, exactly as an ERP module
would, and times from the send to:

- `stored_and_pushed`: the task's result is ready, i.e. every row is committed and every frame
  has been handed to the channel layer;
- `last_live_frame`: the last sampled socket has its `notification` frame;

then sends `notifications.resolve` for the notification's ERP object, as the module that dealt
with it would, and times from that send to:

- `resolved`: the task's result is ready (every row closed, every `notification_update` handed over);
- `last_live_resolve`: the last sampled socket has its `notification_update` (event `resolved`).

Prints the median of the runs (and each run). Its own Redis database and channel-layer prefix:
the Redis database is flushed here, so pass one nothing else uses.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

import orjson
import psycopg
import redis
import websockets
from celery import Celery

from bench.processes import ROOT, Server, Worker
from bench.stats import median


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.notification_fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=200, help="recipients with an open notification socket")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--database", default="erp_comm_bench")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=12, help="flushed by the bench: use one nothing else uses")
    parser.add_argument("--prefix", default="benchnotify", help="channel-layer prefix")
    options = parser.parse_args(argv)
    if "bench" not in options.database:
        parser.error("--database must contain 'bench'")
    options.live = min(options.live, options.recipients)
    return options


def environment(options: argparse.Namespace) -> dict[str, str]:
    redis_url = f"{options.redis_url}/{options.redis_db}"
    env = {key: value for key, value in os.environ.items() if key not in {"TEST_SLOT", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SECURE_SSL_REDIRECT="false",
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789", ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"{options.postgres_url}/{options.database}", REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url, CHANNEL_LAYER_PREFIX=options.prefix,
        ACCESS_LOG="false", PYTHONUNBUFFERED="1",
    )
    return env


def run_python(args: list[str], env: dict[str, str]) -> None:
    import subprocess

    completed = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=900)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stderr.decode()[-3000:]}")


def prepare(options: argparse.Namespace, env: dict[str, str]) -> list[tuple[int, str]]:
    """The bench database, migrated, with the users; its notification table emptied."""
    with psycopg.connect(f"{options.postgres_url}/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [options.database]).fetchone():
            connection.execute(f'CREATE DATABASE "{options.database}"')
    run_python(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    users_file = ROOT / "var" / "bench" / "notification-users.json"
    users_file.parent.mkdir(parents=True, exist_ok=True)
    run_python(["-m", "bench.fixtures", str(options.recipients), str(users_file)], env)
    with psycopg.connect(f"{options.postgres_url}/{options.database}", autocommit=True) as connection:
        connection.execute("TRUNCATE in_app_notification RESTART IDENTITY")
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return [tuple(pair) for pair in orjson.loads(users_file.read_bytes())]


class LiveSockets:
    """Notification sockets of the sampled recipients; notes when each gets a given notification."""

    def __init__(self) -> None:
        self.connections: list[websockets.ClientConnection] = []
        self.arrivals: dict[str, list[float]] = {}
        self.readers: list[asyncio.Task] = []

    async def open(self, url: str, tokens: list[str]) -> None:
        for batch_start in range(0, len(tokens), 50):
            batch = tokens[batch_start : batch_start + 50]
            connections = await asyncio.gather(
                *(websockets.connect(f"{url}/ws/notifications/?token={token}", max_size=None) for token in batch))
            for connection in connections:
                assert orjson.loads(await connection.recv())["type"] == "connection"
                self.connections.append(connection)
                self.readers.append(asyncio.create_task(self.read(connection)))

    async def read(self, connection: websockets.ClientConnection) -> None:
        async for raw in connection:
            frame = orjson.loads(raw)
            if frame.get("type") == "notification":
                self.arrivals.setdefault(frame["notification"]["title"], []).append(time.perf_counter())
            elif frame.get("type") == "notification_update" and frame["event"] == "resolved":
                self.arrivals.setdefault(f"resolved:{frame['reason']}", []).append(time.perf_counter())

    async def close(self) -> None:
        await asyncio.gather(*(connection.close() for connection in self.connections), return_exceptions=True)
        await asyncio.gather(*self.readers, return_exceptions=True)


async def one_run(client: Celery, sockets: LiveSockets, recipient_ids: list[int], live: int, object_id: int) -> dict:
    title = f"Fan-out {uuid.uuid4().hex[:8]}"
    created = await timed_task(client, "notifications.send_notification", {
        "recipient_ids": recipient_ids, "notification_type": "announcement", "title": title,
        "message": "The campus is closed tomorrow 🌨️", "priority": "high", "dedupe_key": title,
        "related_object_type": "bench.closure", "related_object_id": object_id,
    }, expected={"created": len(recipient_ids)})
    created_live = await last_arrival(sockets, title, created["started"], live)
    resolved = await timed_task(client, "notifications.resolve", {
        "related_object_type": "bench.closure", "related_object_id": object_id, "reason": title,
    }, expected={"resolved": len(recipient_ids)})
    resolved_live = await last_arrival(sockets, f"resolved:{title}", resolved["started"], live)
    return {
        "stored_and_pushed_s": created["seconds"], "last_live_frame_s": created_live[0], "live_frames": created_live[1],
        "resolved_s": resolved["seconds"], "last_live_resolve_s": resolved_live[0], "live_resolves": resolved_live[1],
    }


async def timed_task(client: Celery, name: str, kwargs: dict, *, expected: dict) -> dict:
    """Sends a task by name and waits for its result; the seconds from the send to the result."""
    started = time.perf_counter()
    result = client.send_task(name, kwargs=kwargs)
    while not result.ready():
        await asyncio.sleep(0.005)
    seconds = time.perf_counter() - started
    if (outcome := result.get()) != expected:
        raise RuntimeError(f"{name} answered {outcome}, not {expected}")
    return {"started": started, "seconds": seconds}


async def last_arrival(sockets: LiveSockets, key: str, started: float, live: int) -> tuple[float | None, int]:
    """When the last of the live sockets got the frame, from `started`, and how many got it."""
    deadline = time.perf_counter() + 60
    while len(sockets.arrivals.get(key, [])) < live and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    arrivals = sockets.arrivals.get(key, [])
    return ((max(arrivals) - started) if arrivals else None), len(arrivals)


async def measure(options: argparse.Namespace) -> dict:
    env = environment(options)
    users = prepare(options, env)
    recipient_ids = [user_id for user_id, _ in users[: options.recipients]]
    # Spread the live sockets over the whole audience, not only its first ids.
    step = max(1, len(users) // options.live)
    live_tokens = [token for _, token in users[::step][: options.live]]
    log_dir = ROOT / "var" / "bench" / "logs"
    worker = Worker("notify-worker", "prefork", options.concurrency, 1, env, log_dir)
    server = Server("notify-server", "chat", "uvicorn", env, log_dir)
    client = Celery(broker=env["CELERY_BROKER_URL"], backend=env["CELERY_RESULT_BACKEND"])
    sockets = LiveSockets()
    try:
        await sockets.open(server.ws_url, live_tokens)
        runs = []
        for index in range(options.runs):
            runs.append(await one_run(client, sockets, recipient_ids, len(live_tokens), object_id=index + 1))
            print(f"run {index + 1}/{options.runs}: {runs[-1]}", file=sys.stderr)
    finally:
        await sockets.close()
        server.stop()
        worker.stop()
    return {
        "recipients": len(recipient_ids),
        "live_sockets": len(live_tokens),
        "runs": runs,
        "median_stored_and_pushed_s": median([run["stored_and_pushed_s"] for run in runs]),
        "median_last_live_frame_s": median([run["last_live_frame_s"] for run in runs if run["last_live_frame_s"]]),
        "median_resolved_s": median([run["resolved_s"] for run in runs]),
        "median_last_live_resolve_s": median([run["last_live_resolve_s"] for run in runs if run["last_live_resolve_s"]]),
        "every_live_socket_got_every_frame": all(
            run["live_frames"] == run["live_resolves"] == len(live_tokens) for run in runs),
    }


def main(argv: list[str] | None = None) -> None:
    result = asyncio.run(measure(parse_options(argv)))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    print(f"one notification to {result['recipients']:,} recipients ({result['live_sockets']} live sockets): "
          f"stored and pushed in {result['median_stored_and_pushed_s']:.2f} s, last live frame at "
          f"{result['median_last_live_frame_s']:.2f} s; resolved for all in {result['median_resolved_s']:.2f} s, "
          f"last live update at {result['median_last_live_resolve_s']:.2f} s (median of {len(result['runs'])} runs)")


if __name__ == "__main__":
    main()
