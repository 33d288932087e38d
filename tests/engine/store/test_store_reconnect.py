"""Pooled PostgreSQL connections cut while idle (a restart, a failover) are replaced
before use; connections just handed back are not pinged (no round trip per transaction)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine.store import Store, db

ONLY_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def _backend_pid(store: Store) -> int:
    return int(store.run(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar_one()))


def _cut(url: str, pid: int) -> None:
    """What a database restart does to a pooled connection: the server ends it."""
    dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(
        hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


@ONLY_POSTGRES
def test_a_connection_cut_while_idle_is_replaced_before_use(
        store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = _backend_pid(store)
    _cut(database_url, pid)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # as if it had sat idle

    assert _backend_pid(store) != pid  # a fresh connection, and no error for the caller


@ONLY_POSTGRES
def test_without_the_idle_ping_the_cut_connection_would_fail(
        store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _cut(database_url, _backend_pid(store))
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)  # just used: not pinged

    with pytest.raises(OperationalError):
        _backend_pid(store)


@ONLY_POSTGRES
def test_a_busy_connection_is_not_pinged(store: Store) -> None:
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    pings = 0
    real_ping = store.engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        nonlocal pings
        pings += 1
        return real_ping(dbapi_conn)

    store.engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    for _ in range(5):
        _backend_pid(store)
    assert pings == 0
    assert statements == ["SELECT pg_backend_pid()"] * 5
