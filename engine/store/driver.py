"""Hot-path SQL on the driver's own cursor, inside the session's transaction.

Posting runs a dozen statements per document; through SQLAlchemy each one costs far
more Python than the database spends on it. Here a statement is a SQL string written
once with ``?`` placeholders (rewritten once for psycopg) and run on the DBAPI cursor
of the connection the session already holds: the same transaction, the same locks.

Values are converted by hand exactly as the column types would
(:mod:`engine.store.types`): quantities and money to scaled integers, timestamps to
naive UTC, JSON to text. Driver errors are re-raised as SQLAlchemy's
(``IntegrityError``, ``OperationalError``, …), so callers and :meth:`Store.run`'s
retries see what they always saw. Fewer round trips is the other saving: the callers
build set-based statements (:meth:`Driver.source`), and on PostgreSQL send the ones
whose answers can wait together (:meth:`Driver.together`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

Params = Sequence[Any]

_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's SQLite DateTime stores


def scaled(value: Decimal | None, places: int) -> int | None:
    """``value`` as an integer of ``10**-places`` units; refuses to round."""
    if value is None:
        return None
    units = value.scaleb(places)
    exact = int(units)
    if units != exact:
        raise ValueError(f"{value} has more than {places} decimal places")
    return exact


def unscaled(units: int, places: int) -> Decimal:
    """The exact decimal of ``units`` (``places`` decimals, as the column type reads it)."""
    return Decimal(units).scaleb(-places)


@lru_cache(maxsize=256)
def _format_style(sql: str) -> str:
    return sql.replace("?", "%s")


DRIVER = "flowledger.driver"  # the session.info key of a bare transaction's Driver
# The session.info key of a session that lives for one transaction (Store.session's):
# its driver can be remembered on it rather than found through its connection.
ONE_TRANSACTION = "flowledger.one_transaction"


class Driver:
    """The driver cursor of one transaction, with typed helpers."""

    def __init__(self, conn: Connection, *, read_first: bool = False) -> None:
        self.backend: str = conn.dialect.name
        self.sqlite = self.backend == "sqlite"
        self.raw: Any = conn.connection.driver_connection
        assert self.raw is not None, "the connection is closed"
        self.cursor: Any = self.raw.cursor()
        self._error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self.read_first = read_first
        self._pipeline: Any = None  # psycopg's, inside together()

    @staticmethod
    def of(session: Session) -> Driver:
        """The driver of ``session``'s transaction: the one a bare transaction made,
        else one per database connection, so every caller in a transaction shares it
        (and its :meth:`together` block)."""
        found = session.info.get(DRIVER)
        if found is not None:
            if session.in_nested_transaction():
                # The session emits a begin_nested() SAVEPOINT with its next statement:
                # asking for its connection emits it now, before the driver writes.
                session.connection()
            return cast(Driver, found)
        conn = session.connection()  # (which emits a pending SAVEPOINT too)
        found = conn.info.get(DRIVER)
        if found is None:
            found = conn.info[DRIVER] = Driver(conn)
        if session.info.get(ONE_TRANSACTION):  # the session ends with it: remember
            session.info[DRIVER] = found
        return cast(Driver, found)

    @staticmethod
    def reading(session: Session) -> Driver:
        """:meth:`of`, after the session flushed what it holds, as a query's autoflush
        would: for reads on the driver that must see the transaction's own ORM changes."""
        session.flush()
        return Driver.of(session)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Send the block's statements to PostgreSQL together, not one round trip each
        (psycopg's pipeline mode): :meth:`later` reads a statement's rows after the
        block; :meth:`all` inside it waits for everything sent so far. A database error
        surfaces at the latest when the block ends. SQLite runs each statement as it
        comes. Only this driver's statements may run inside the block: SQLAlchemy's
        would find no result yet."""
        if self.sqlite or self._pipeline is not None:
            yield
            return
        try:
            with self.raw.pipeline() as pipeline:
                self._pipeline = pipeline
                try:
                    yield
                finally:
                    self._pipeline = None
        except self._error as exc:
            raise DBAPIError.instance("(statements sent together)", (), exc,
                                      self._error) from exc

    def later(self, text: str, params: Params = ()) -> Rows:
        """Run a statement whose rows are read once :meth:`together` ends (at once
        outside such a block)."""
        if self._pipeline is None:
            return Rows(self.all(text, params))
        cursor = self.raw.cursor()
        sql = self.sql(text)
        try:
            cursor.execute(sql, params)
        except self._error as exc:
            raise DBAPIError.instance(sql, params, exc, self._error) from exc
        return Rows(cursor=cursor)

    def lock_for_write(self) -> bool:
        """Take SQLite's write lock if this transaction started as a read (see
        :meth:`Store.run_bare`): end the read and begin immediately. True when it did:
        what was read may since have changed, as on PostgreSQL."""
        if not self.read_first:
            return False
        self.read_first = False
        self.execute("COMMIT")
        self.execute("BEGIN IMMEDIATE")
        return True

    # values ------------------------------------------------------------------------
    def time(self, value: datetime | None) -> Any:
        """A timestamp as the UTC column stores it (naive UTC; text on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime(_SQLITE_TIME) if self.sqlite else naive

    def load_time(self, value: Any) -> datetime:
        """A timestamp column's value as the ORM reads it: aware UTC."""
        if self.sqlite:
            value = datetime.fromisoformat(value)
        return cast(datetime, value).replace(tzinfo=UTC)

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value)

    def loads(self, value: Any) -> Any:
        """A JSON column's value decoded (psycopg decodes ``json`` itself)."""
        return json.loads(value) if isinstance(value, str) and self.sqlite else value

    # statements --------------------------------------------------------------------
    def sql(self, text: str) -> str:
        return text if self.sqlite else _format_style(text)

    def execute(self, text: str, params: Params = ()) -> Any:
        """Run one statement; returns the cursor (fetch from it before the next)."""
        sql = self.sql(text)
        try:
            self.cursor.execute(sql, params)
        except self._error as exc:
            raise DBAPIError.instance(sql, params, exc, self._error) from exc
        return self.cursor

    def all(self, text: str, params: Params = ()) -> list[Any]:
        """Run one statement and return its rows (``[]`` for one that returns none)."""
        cursor = self.execute(text, params)
        if self._pipeline is not None:
            try:
                self._pipeline.sync()
            except self._error as exc:
                raise DBAPIError.instance(self.sql(text), params, exc, self._error) from exc
        return list(cursor.fetchall()) if cursor.description is not None else []

    def many(self, text: str, rows: Sequence[Params]) -> None:
        """One statement for each parameter row (no result)."""
        sql = self.sql(text)
        try:
            self.cursor.executemany(sql, rows)
        except self._error as exc:
            raise DBAPIError.instance(sql, rows, exc, self._error) from exc

    def source(self, types: Sequence[str], rows: Sequence[Params]) -> tuple[str, list[Any]]:
        """``rows`` as a table ``d`` with columns ``column1``… to join or insert from:
        ``(VALUES …) AS d`` on SQLite; on PostgreSQL ``json_to_recordset`` of one JSON
        parameter typed by ``types``, so the statement text does not depend on the
        number of rows (and psycopg adapts one string, not an array per column, which
        costs a tenth of the CPU). Timestamps travel as ISO text, ``json`` columns as
        the JSON text :meth:`json` made."""
        if self.sqlite:
            return (f"(VALUES {_values(len(types), len(rows))}) AS d",
                    [value for row in rows for value in row])
        names, convert = _record(tuple(types))
        records = [{name: (value if f is None or value is None else f(value))
                    for name, f, value in zip(names, convert, row, strict=True)}
                   for row in rows]
        return _recordset(tuple(types)), [json.dumps(records)]


_TO_JSON: dict[str, Any] = {"timestamp": datetime.isoformat, "json": json.loads}


@lru_cache(maxsize=64)
def _record(types: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return (tuple(f"column{n}" for n in range(1, len(types) + 1)),
            tuple(_TO_JSON.get(t) for t in types))


@lru_cache(maxsize=64)
def _recordset(types: tuple[str, ...]) -> str:
    columns = ", ".join(f"{name} {t}" for name, t in zip(_record(types)[0], types, strict=True))
    return f"json_to_recordset(?::json) AS d({columns})"


class Rows:
    """The rows of a statement run by :meth:`Driver.later`, read when needed."""

    def __init__(self, rows: list[Any] | None = None, *, cursor: Any = None) -> None:
        self._rows, self._cursor = rows, cursor

    def all(self) -> list[Any]:
        if self._rows is None:
            self._rows = list(self._cursor.fetchall())
        return self._rows


@lru_cache(maxsize=128)
def _values(columns: int, rows: int) -> str:
    one = "(" + ", ".join("?" * columns) + ")"
    return ", ".join([one] * rows)
