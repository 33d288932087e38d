"""Interleaved A/B timing: the median of paired ratios, robust to machine drift."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
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


def rounds(runs: Sequence[Run], count: int = 5) -> list[tuple[float, ...]]:
    """Run each of ``runs`` once per round (A B C, B C A, C A B, …), ``count`` rounds;
    the rates of each run, one per round, in the order of ``runs``."""
    assert count >= 5, "at least five rounds: the machine drifts"
    rates: list[list[float]] = [[] for _ in runs]
    for i in range(count):
        for n in range(len(runs)):
            which = (n + i) % len(runs)
            rates[which].append(rate(runs[which]))
    return [tuple(r) for r in rates]


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
