"""Periodic jobs that ``flowledger scheduler`` enqueues, at most once per period.

Several scheduler processes may run (one per machine, say): each period's enqueue is
claimed with a Redis ``SET NX EX`` key, so exactly one of them enqueues it. Losing
Redis loses nothing: the jobs are idempotent checks, run again at the next period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.jobs import tasks


@dataclass(frozen=True, slots=True)
class Periodic:
    name: str
    every_seconds: int
    func: Callable[..., Any]


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("verify_audit", 24 * 3600, tasks.verify_audit),
    Periodic("expire_reservations", 60, tasks.expire_reservations),
    Periodic("tick_timers", 30, tasks.tick_timers),
    Periodic("purge_idempotency_keys", 3600, tasks.purge_idempotency_keys),
)


def run_due(redis: Any, queue: Any, now: float, schedule: tuple[Periodic, ...] = SCHEDULE
            ) -> list[str]:
    """Enqueue every periodic job whose period has no enqueue yet; return their names."""
    enqueued = []
    for job in schedule:
        slot = int(now) // job.every_seconds
        key = f"flowledger:periodic:{job.name}:{slot}"
        if redis.set(key, "1", nx=True, ex=job.every_seconds * 2):
            queue.enqueue(job.func)
            enqueued.append(job.name)
    return enqueued
