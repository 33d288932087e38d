"""Jobs on the real Redis are run by ``flowledger worker``; periodic jobs once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job

from designer import periodic
from designer.queue import JobQueue
from engine.jobs import tasks
from engine.services import identity
from engine.store import Store

pytestmark = pytest.mark.redis


def test_worker_runs_a_job_from_redis(store: Store, database_url: str, redis_url: str,
                                      tmp_path: Path) -> None:
    identity.create_tenant(store, "acme")
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    handle = JobQueue(redis_url, queue_name).enqueue(tasks.verify_audit, "acme")
    assert handle.status == "queued"
    env = {**os.environ, "FLOWLEDGER_DATABASE_URL": database_url,
           "FLOWLEDGER_REDIS_URL": redis_url, "FLOWLEDGER_QUEUE_NAME": queue_name,
           "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-m", "designer.cli", "worker", "--burst"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    job = Job.fetch(handle.id, connection=Redis.from_url(redis_url))
    result = job.latest_result()
    assert result is not None and result.return_value == {"acme": {"events": 1, "problems": []}}


def test_in_process_queue_runs_immediately(store: Store, database_url: str) -> None:
    from engine.jobs import runtime

    identity.create_tenant(store, "acme")
    runtime.configure(database_url)
    try:
        handle = JobQueue(None, "unused").enqueue(tasks.verify_audit, "acme")
    finally:
        runtime.reset()
    assert handle.status == "finished"
    assert handle.result == {"acme": {"events": 1, "problems": []}}


def test_periodic_jobs_are_enqueued_once_per_period(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    calls: list[str] = []

    class FakeQueue:  # records what would be enqueued; the claim itself is real Redis
        def enqueue(self, func: object) -> None:
            calls.append(getattr(func, "__name__", "?"))

    name = f"probe-{uuid.uuid4().hex[:8]}"
    schedule = (periodic.Periodic(name, 3600, tasks.verify_audit),)
    now = 1_800_000_000.0
    assert periodic.run_due(redis, FakeQueue(), now, schedule) == [name]
    assert periodic.run_due(redis, FakeQueue(), now + 10, schedule) == []  # same period
    assert periodic.run_due(redis, FakeQueue(), now + 3600, schedule) == [name]
    assert calls == ["verify_audit", "verify_audit"]
