"""Interleaved A/B timing: the median of paired ratios, robust to machine drift."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Paired:
    engine_rates: tuple[float, ...]  # operations per second, one per pair
    baseline_rates: tuple[float, ...]

    @property
    def ratios(self) -> tuple[float, ...]:
        return tuple(e / b for e, b in zip(self.engine_rates, self.baseline_rates, strict=True))

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def engine_median(self) -> float:
        return statistics.median(self.engine_rates)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_rates)


Run = Callable[[], int] | Callable[[], tuple[int, float]]


def rate(run: Run) -> float:
    """Operations per second of one run. ``run`` returns how many operations it did,
    or (operations, seconds) when it times itself (e.g. excluding process start-up)."""
    start = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - start
    if isinstance(result, tuple):
        ops, elapsed = result
    else:
        ops = result
    return ops / elapsed


def interleave(engine: Run, baseline: Run, pairs: int = 5) -> Paired:
    """Run A B A B … ``pairs`` times (alternating which goes first) and pair the rates."""
    assert pairs >= 5, "at least five pairs: the machine drifts"
    e_rates, b_rates = [], []
    for i in range(pairs):
        if i % 2 == 0:
            e_rates.append(rate(engine))
            b_rates.append(rate(baseline))
        else:
            b_rates.append(rate(baseline))
            e_rates.append(rate(engine))
    return Paired(tuple(e_rates), tuple(b_rates))
