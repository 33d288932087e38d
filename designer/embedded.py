"""The embedded runtime's clock: without Redis, a background thread of the serving
process runs the periodic jobs (timers, reservation expiry) itself."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from designer import runtime
from engine.services import posting, timers

log = logging.getLogger(__name__)


def start_ticker(app: Flask, interval: float = 15.0) -> threading.Thread | None:
    """Start the in-process tick unless Redis workers and the scheduler do the work."""
    if runtime(app).queue.uses_redis:
        return None
    stop = threading.Event()

    def loop() -> None:
        store = runtime(app).store
        while not stop.wait(interval):
            try:
                timers.tick(store)
                posting.expire_due(store)
            except Exception:  # a failing round must not stop the clock
                log.exception("in-process tick failed")

    thread = threading.Thread(target=loop, name="flowledger-tick", daemon=True)
    thread.start()
    app.extensions["flowledger.ticker"] = stop
    return thread



