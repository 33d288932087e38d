"""Running jobs: on Redis through RQ when ``REDIS_URL`` is set, in-process otherwise.

Only this module and the worker command import RQ and redis; job functions live in
``engine.jobs`` and take plain ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobHandle:
    id: str
    status: str  # "queued" (Redis) or "finished" / "failed" (in-process)
    result: Any = None


class JobQueue:
    def __init__(self, redis_url: str | None, name: str) -> None:
        self.redis_url = redis_url
        self.name = name
        self._queue: Any = None

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    def _rq_queue(self) -> Any:
        if self._queue is None:
            from redis import Redis
            from rq import Queue

            self._queue = Queue(self.name, connection=Redis.from_url(self.redis_url))
        return self._queue

    def enqueue(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> JobHandle:
        """Queue ``func(*args)``. Never call this while a database lock is held."""
        if self.uses_redis:
            job = self._rq_queue().enqueue(func, *args, **kwargs)
            return JobHandle(job.id, "queued")
        try:
            return JobHandle(f"inline-{id(func)}", "finished", func(*args, **kwargs))
        except Exception:  # an in-process job failing must not fail the request
            log.exception("in-process job %s failed", getattr(func, "__name__", func))
            return JobHandle(f"inline-{id(func)}", "failed")

    def ping(self) -> bool:
        if not self.uses_redis:
            return False
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return bool(Redis.from_url(self.redis_url, socket_timeout=2).ping())
        except RedisError:
            return False
