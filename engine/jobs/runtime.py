"""Where job functions find their database.

A worker process calls :func:`configure` once at start-up with the database URL. Job
functions then call :func:`store`, which opens one :class:`Store` per process: RQ forks
a work horse per job, and a forked child must not reuse its parent's connections.
"""

from __future__ import annotations

import os

from engine.store.db import Store

_url: str | None = None
_store: tuple[int, Store] | None = None


def configure(database_url: str) -> None:
    global _url
    reset()
    _url = database_url


def reset() -> None:
    """Forget the configured database, closing this process's connections."""
    global _url, _store
    if _store is not None and _store[0] == os.getpid():
        _store[1].dispose()
    _url, _store = None, None


def store() -> Store:
    global _store
    if _url is None:
        url = os.environ.get("FLOWLEDGER_DATABASE_URL")
        if not url:
            raise RuntimeError("no database configured for jobs: call configure() first")
        configure(url)
    assert _url is not None
    pid = os.getpid()
    if _store is None or _store[0] != pid:
        _store = (pid, Store(_url))
    return _store[1]
