"""Database engines, sessions and the transaction helper.

SQLite (the embedded default) runs in WAL mode with foreign keys on; every write
transaction starts with ``BEGIN IMMEDIATE`` so two writers never both read and then
collide on upgrade. PostgreSQL runs at READ COMMITTED; correctness comes from guarded
updates and row locks taken in a fixed order (see the ledger repositories). Both
retry serialization failures, deadlocks and busy databases a bounded number of times
with jittered back-off, so callers only ever see a final answer.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from engine.store.driver import DRIVER, ONE_TRANSACTION, Driver

T = TypeVar("T")

_WRITE = "flowledger_write"
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
# A pooled PostgreSQL connection idle this long is pinged before use (see _ping_if_idle).
IDLE_PING_SECONDS = 1.0


def normalize_url(url: str) -> str:
    """Pick the drivers Flowledger is tested with: psycopg 3 for PostgreSQL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_retryable(exc: BaseException) -> bool:
    """True for errors that a fresh attempt of the same transaction can cure."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    text = str(orig).lower()
    return any(marker in text for marker in _SQLITE_BUSY)


def _sqlite_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the driver: we emit BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_WRITE, False)
    statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    dbapi_conn = conn.connection.driver_connection
    try:  # on the driver itself: every transaction begins here, so keep it cheap
        dbapi_conn.execute(statement)
    except sqlite3.Error as exc:  # e.g. busy: wrapped, so that Store.run retries it
        raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


def _ping_if_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out, but only one that sat idle.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per
    transaction, about a sixth of a ledger posting's time on PostgreSQL. A connection
    handed back moments ago is as good as the last statement that ran on it; one idle
    for ``IDLE_PING_SECONDS`` may have been cut (a database restart, a failover, an
    idle timeout) and is pinged, and replaced by a fresh one if the ping fails.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: ConnectionPoolEntry,
                  _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or just used
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("pooled connection lost while idle") from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_if_idle(engine)
    return engine


class Store:
    """One database: its engine, session factories and the retrying transaction runner."""

    def __init__(self, url: str, *, engine: Engine | None = None, max_attempts: int = 8) -> None:
        self.url = normalize_url(url)
        self.engine = engine or make_engine(self.url)
        self.backend = self.engine.dialect.name  # "sqlite" or "postgresql"
        self.max_attempts = max_attempts
        writer = self.engine.execution_options(**{_WRITE: True})
        self._write_sessions = sessionmaker(bind=writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        consistent = (self.engine.execution_options(isolation_level="REPEATABLE READ")
                      if self.backend == "postgresql" else self.engine)
        self._consistent_sessions = sessionmaker(bind=consistent, expire_on_commit=False)
        self._writer, self._late_writer = writer, self.engine.execution_options(
            **{_WRITE: False})

    @contextmanager
    def session(self, *, write: bool = True, consistent: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error.

        ``consistent`` reads see one snapshot of the whole database (REPEATABLE READ
        on PostgreSQL; SQLite transactions always do) — for reports and checks.
        """
        if consistent:
            factory = self._consistent_sessions
        else:
            factory = self._write_sessions if write else self._read_sessions
        with factory(info={ONE_TRANSACTION: True}) as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, write: bool = True,
            consistent: bool = False) -> T:
        """Run ``work`` in one transaction, retrying retryable database errors.

        ``work`` must be safe to run again from the start: it should only read and
        write through the session it is given.
        """
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.session(write=write, consistent=consistent) as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == self.max_attempts or not is_retryable(exc):
                    raise
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # jitter only
        raise AssertionError("unreachable")  # pragma: no cover

    def run_bare(self, work: Callable[[Session], T], *, lock_late: bool = False) -> T:
        """:meth:`run` for a write, with less machinery: one pooled connection and its
        transaction, and a session bound to it for the ORM reads ``work`` may make
        (the posting path's hot statements use the driver cursor,
        :class:`~engine.store.driver.Driver`).

        ``lock_late`` (SQLite): the transaction starts as a plain read; ``work`` takes
        the database's write lock when it is ready to write
        (:meth:`Driver.lock_for_write`), so writers queue only for their writes.
        """
        engine = self._late_writer if lock_late and self.backend == "sqlite" else self._writer
        for attempt in range(1, self.max_attempts + 1):
            try:
                with engine.connect() as conn, conn.begin():
                    session = Session(bind=conn, expire_on_commit=False)
                    try:
                        session.info[DRIVER] = Driver(conn, read_first=engine is not
                                                      self._writer)
                        result = work(session)
                        session.flush()
                        return result
                    finally:
                        session.close()
            except DBAPIError as exc:
                if attempt == self.max_attempts or not is_retryable(exc):
                    raise
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # jitter only
        raise AssertionError("unreachable")  # pragma: no cover

    def dispose(self) -> None:
        self.engine.dispose()
