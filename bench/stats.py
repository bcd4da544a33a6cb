"""Percentiles and medians, in milliseconds, for the load generator and the report."""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(seconds: Iterable[float]) -> dict[str, float | int]:
    ordered = sorted(seconds)
    milliseconds = {name: percentile(ordered, fraction) * 1000
                    for name, fraction in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99))}
    return {"n": len(ordered), **milliseconds, "max": ordered[-1] * 1000 if ordered else math.nan}


def median(values: Iterable[float | None]) -> float:
    present = [value for value in values if value is not None and not math.isnan(value)]
    return statistics.median(present) if present else math.nan
