"""The benchmark's smoke run keeps `python -m bench.run` working. It asserts no timings: only
that every phase ran, reported sane figures, lost nothing and stored every message."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.settings import SLOT
from tests.support.stack import ROOT

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    # The slot's application Redis database (flushed before every test anyway) holds the bench's
    # keys and queue; the session stack's broker database is left alone.
    command = [
        sys.executable, "-m", "bench.run", "--smoke", f"--database=erp_comm_bench_smoke_{SLOT}",
        f"--redis-db={2 + 2 * SLOT}", f"--broker-db={2 + 2 * SLOT}", f"--prefix=benchsmoke{SLOT}", f"--out={out}",
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads(out.read_text())
    results["stdout"] = completed.stdout
    return results


@pytest.mark.timeout(600)
def test_smoke_run_reports_every_phase(smoke_results):
    assert {"latency", "ceiling", "idle", "rest", "cross"} <= smoke_results.keys()
    assert "| figure | chat | baseline | ratio | target | met |" in smoke_results["stdout"]


@pytest.mark.timeout(600)
def test_nothing_is_lost_duplicated_or_left_unstored(smoke_results):
    [latency] = smoke_results["latency"]
    for app in ("chat", "relay"):
        for run in latency[app]:
            assert run["sent"] > 0
            assert run["lost"] == 0 and run["duplicated"] == 0, run
            assert run["errors"] == {}, run["errors"]
            assert run["latency"]["n"] == run["sent"]
            assert 0 < run["latency"]["p50"] <= run["latency"]["p99"] <= run["latency"]["max"]
    for run in latency["chat"]:
        assert run["persisted"] == run["sent"]
    assert smoke_results["cross"]["chat"]["lost"] == 0
    assert smoke_results["cross"]["chat"]["persisted"] == smoke_results["cross"]["chat"]["sent"]


@pytest.mark.timeout(600)
def test_other_figures_are_sane(smoke_results):
    for app in ("chat", "relay"):
        idle = smoke_results["idle"][app]
        assert idle["held"] == idle["still_open_at_end"] > 0 and idle["failed"] == 0
        assert idle["connects_per_second"] > 0 and idle["kb_per_socket"] > 0
        assert smoke_results["ceiling"][app]["steps"]
    history = smoke_results["rest"]["history"]
    assert history["requests"] > 0 and set(history["statuses"]) == {"200"}
    assert {row["figure"] for row in smoke_results["table"]} >= {"20 msg/s: p50 ms, first seconds included", "KB per idle socket (RSS delta / sockets)"}


@pytest.mark.timeout(600)
def test_the_timeline_records_every_message_and_draws_it(tmp_path):
    out, png = tmp_path / "timeline.json", tmp_path / "timeline-20.png"
    command = [
        sys.executable, "-m", "bench.timeline", "--smoke", "--duration=2", f"--database=erp_comm_bench_smoke_{SLOT}",
        f"--redis-db={2 + 2 * SLOT}", f"--broker-db={2 + 2 * SLOT}", f"--prefix=benchsmoke{SLOT}", f"--out={out}",
        "--png-prefix", str(tmp_path / "timeline"),
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads(out.read_text())["20"]
    for app in ("chat", "relay"):
        timeline = results[app]["timeline"]
        assert len(timeline) == results[app]["sent"] > 0
        assert all(latency is not None for _, latency in timeline)  # nothing lost
        assert [at for at, _ in timeline] == sorted(at for at, _ in timeline)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "slowest messages" in completed.stdout
