"""Profiles the chat stack under load: `python -m bench.profile [--rate 100] [--seconds 15]`.

Starts one server and one worker on the bench database, offers the load, and records every
server and worker process with py-spy (`pip install py-spy`) as collapsed stacks under
var/bench/profiles/. Prints, per process role, the functions with the largest share of samples
(inclusive), which is what the tuning in docs/performance.md was decided from. Only threads
holding the GIL are sampled, so waits on sockets do not count.
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from bench.processes import ROOT
from bench.run import Bench, parse_options

PROFILE_DIR = ROOT / "var" / "bench" / "profiles"
# The virtualenv's py-spy, found even when the virtualenv is not activated.
PY_SPY = shutil.which("py-spy", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def session_pids(session_id: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session_id:
                pids.append(int(entry))
    return sorted(pids)


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    return subprocess.Popen([PY_SPY, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                             "--format", "raw", "--output", str(out), "--nonblocking", "--gil"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _shares(paths: list[Path], top: int, frames_of) -> list[tuple[float, str]]:
    """Share of samples counted toward each frame that `frames_of(stack)` names."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, number = line.rpartition(" ")
            samples = int(number)
            total += samples
            for frame in frames_of(stack):
                counts[frame] += samples
    return [(count / total, frame) for frame, count in counts.most_common(top)] if total else []


def inclusive_shares(paths: list[Path], top: int) -> list[tuple[float, str]]:
    """Share of samples in which each frame appears at least once (idle waits included)."""
    return _shares(paths, top, lambda stack: set(stack.split(";")))


def self_shares(paths: list[Path], top: int) -> list[tuple[float, str]]:
    """Share of samples spent in each frame itself (the innermost frame of the stack)."""
    return _shares(paths, top, lambda stack: [stack.rsplit(";", 1)[-1]])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=45)
    args, rest = parser.parse_known_args()
    if PY_SPY is None:
        sys.exit("py-spy is not installed: pip install py-spy")
    bench = Bench(parse_options(["--phases", "latency", *rest]))
    bench.prepare()
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    with bench.stack("chat") as stack:
        roles = {"server": [p for s in stack.servers for p in session_pids(s.pid)],
                 "worker": [p for w in stack.workers for p in session_pids(w.pid)]}
        recorders, files = [], collections.defaultdict(list)
        for role, pids in roles.items():
            for pid in pids:
                out = PROFILE_DIR / f"{role}-{pid}.txt"
                recorders.append(record(pid, args.seconds, out))
                files[role].append(out)
        result: dict = {}
        runner = threading.Thread(target=lambda: result.update(
            bench.chat_job(stack, rate=args.rate, duration=args.seconds, warmup=0.0)))
        runner.start()
        for recorder in recorders:
            recorder.wait()
        runner.join()
    print(f"load: sent {result['sent']} lost {result['lost']} p50 {result['latency']['p50']:.1f} ms "
          f"p99 {result['latency']['p99']:.1f} ms; CPU ms/message server {result['server_cpu_ms_per_message']:.2f} "
          f"worker {result['worker_cpu_ms_per_message']:.2f}")
    for role, paths in files.items():
        print(f"\n== {role} ({len(paths)} processes), inclusive share of samples")
        for share, frame in inclusive_shares(paths, args.top):
            print(f"{share:6.1%}  {frame[:160]}")
        print(f"\n== {role}, self share of samples")
        for share, frame in self_shares(paths, args.top // 2):
            print(f"{share:6.1%}  {frame[:160]}")


if __name__ == "__main__":
    main()
