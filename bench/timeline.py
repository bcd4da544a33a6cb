"""Where the tail comes from: every message's latency against its send time, over one long run.

    python -m bench.timeline                      # 60 s at 50 and at 200 msg/s, chat and relay
    python -m bench.timeline --rates 400 --png-prefix var/timeline

Runs the pipeline and the relay (bench/relay_app.py) once each per rate, on fresh processes, the
first seconds included, and draws both on one time axis (docs/latency-timeline-<rate>.png) with
the moments of the server's periodic work marked (its socket watch's stream check and token
re-check, counted from the first socket). Prints the slowest messages with their send times, and
writes every point to `--out` (default `bench/results/<time>.json`). Same isolation and options
as `python -m bench.run` (docs/performance.md).
"""
from __future__ import annotations

import sys
from pathlib import Path

import orjson

from bench.processes import ROOT
from bench.run import Bench, log, parse_options

DEFAULT_PNG_PREFIX = ROOT / "docs" / "latency-timeline"
SLOWEST_LISTED = 15
# config/settings.py defaults: the socket watch's periodic work (realtime/watch.py).
PERIODIC_WORK = {"stream check (WS_STREAM_CHECK_SECONDS)": 15.0, "token re-check (WS_TOKEN_RECHECK_SECONDS)": 30.0}


def run(argv: list[str]) -> tuple[dict[str, dict[str, dict]], Path, Path]:
    """{rate: {app: result}}, the PNGs' prefix and the JSON file."""
    prefix = DEFAULT_PNG_PREFIX
    if "--png-prefix" in argv:
        at = argv.index("--png-prefix")
        prefix, argv = Path(argv[at + 1]), argv[:at] + argv[at + 2:]
    options = parse_options(["--duration", "60", "--warmup", "0", "--rates", "50,200", "--phases", "latency", *argv])
    bench = Bench(options)
    bench.prepare()
    results: dict[str, dict[str, dict]] = {}
    for rate in options.rates:
        for app in ("relay", "chat"):
            with bench.stack(app) as stack:
                result = bench.chat_job(stack, rate=rate, duration=options.duration, warmup=0.0, timeline=True)
            results.setdefault(f"{rate:g}", {})[app] = result
            log(f"timeline {rate:g}/s {app}: p50 {result['latency']['p50']:.1f} p99 {result['latency']['p99']:.1f} "
                f"max {result['latency']['max']:.1f} ms, CPU {cpu_per_message(result):.2f} ms/message")
    return results, prefix, options.out


def cpu_per_message(result: dict) -> float:
    return result["server_cpu_ms_per_message"] + result.get("worker_cpu_ms_per_message", 0.0)


def slowest(points: list[list[float | None]]) -> list[tuple[float, float]]:
    delivered = [(at, latency) for at, latency in points if latency is not None]
    return sorted(delivered, key=lambda point: point[1], reverse=True)[:SLOWEST_LISTED]


def plot(results: dict[str, dict], png: Path, rate: float) -> None:
    import matplotlib  # a development dependency: imported only to draw

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axis = pyplot.subplots(figsize=(12, 5), dpi=110)
    for app, colour in (("chat", "#2563eb"), ("relay", "#9ca3af")):
        points = [(at, latency) for at, latency in results[app]["timeline"] if latency is not None]
        axis.scatter([at for at, _ in points], [latency for _, latency in points], s=2, color=colour,
                     label=f"{app}: p50 {results[app]['latency']['p50']:.1f}, p99 {results[app]['latency']['p99']:.1f}, "
                           f"max {results[app]['latency']['max']:.0f} ms; CPU {cpu_per_message(results[app]):.2f} ms/message")
    duration = max(at for at, _ in results["chat"]["timeline"])
    for (name, period), style in zip(PERIODIC_WORK.items(), (":", "--"), strict=True):
        marks = [period * n for n in range(1, int(duration // period) + 1)]
        for index, mark in enumerate(marks):
            axis.axvline(mark, color="#dc2626", linestyle=style, linewidth=0.8, label=name if index == 0 else None)
    axis.set_yscale("log")
    axis.set_xlabel("scheduled send time, s from the first message")
    axis.set_ylabel("latency to the receiver's frame, ms (log)")
    axis.set_title(f"Every message at {rate:.0f} msg/s, first seconds included (python -m bench.timeline)")
    axis.legend(loc="upper right", fontsize=8, markerscale=4)
    axis.grid(True, which="both", alpha=0.2)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png)


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    results, prefix, out = run(arguments)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(results))
    for rate, by_app in results.items():
        png = prefix.with_name(f"{prefix.name}-{rate}.png")
        plot(by_app, png, float(rate))
        for app in ("chat", "relay"):
            print(f"\n{app} at {rate} msg/s: slowest messages (send time s, latency ms)")
            print(", ".join(f"{at:.2f}: {latency:.0f}" for at, latency in slowest(by_app[app]["timeline"])))
        print(f"plot: {png}")
    print(f"\npoints: {out}")


if __name__ == "__main__":
    main()
