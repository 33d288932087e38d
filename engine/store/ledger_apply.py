"""Applying a plan: guarded balance updates in lock order, valuation, journal rows.

Order inside the transaction (the same for every caller, so locks never cycle):

1. the ``postings`` rows for the effect keys (a concurrent duplicate fails here);
2. balance rows, all in one guarded ``UPDATE … FROM`` the deltas; on PostgreSQL a
   ``SELECT … ORDER BY key FOR UPDATE`` first locks them in ``BalanceKey.lock_order``
   (SQLite's ``BEGIN IMMEDIATE`` already holds the one write lock); then, where a
   posting must not touch a counted location, a look for counts opened meanwhile;
3. valuation rows of the items whose value changes, in item order;
4. movements, reservations and batch receipt sequences (no further locks).

Steps 1–2 are one statement on PostgreSQL, and steps 1–4's driver statements are sent
together (:func:`together`): their answers (a guard that refused, the journal ids) are
read when all of them are back. A guard that refuses (stock taken since the snapshot
was read), a duplicate effect key, a count opened meanwhile or a reservation closed
concurrently raises :class:`Stale`: the transaction rolls back and the service plans
again on a fresh snapshot. Posting is the hot path: its statements
run on the driver cursor (:mod:`engine.store.driver`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.ledger import valuation as val
from engine.ledger.model import BalanceKey, Delta, Movement, Reservation, Valuation
from engine.ledger.numbers import COST_PLACES, MONEY_PLACES, QTY_PLACES
from engine.ledger.planning import aggregate_deltas
from engine.ledger.results import PostingResult, Shortage
from engine.ledger.snapshot import Snapshot
from engine.store import ledger_reads
from engine.store import ledger_tables as t
from engine.store.driver import Driver, Rows, scaled, unscaled
from engine.store.ledger_rows import batch_key

BATCH, RES = (cast(Table, m.__table__) for m in (t.Batch, t.Reservation))
FIRST_RECEIPT = update(BATCH).where(
    BATCH.c.id == bindparam("b"), BATCH.c.first_receipt_seq.is_(None)
).values(first_receipt_seq=bindparam("seq"))
NEW_RESERVATION = insert(RES).returning(RES.c.id)
CLOSE_RESERVATION = update(RES).where(
    RES.c.id == bindparam("r"), RES.c.state == "pending"
).values(state=bindparam("state")).returning(RES.c.id)

_POSTINGS = ("INSERT INTO postings (tenant_id, key, digest, operation, posted_at, result) "
             "SELECT column1, column2, column3, column4, column5, column6 FROM {rows}")
_POSTING_TYPES = ("bigint", "text", "text", "text", "timestamp", "json")
_KEY_TYPES = ("bigint", "bigint", "bigint")
_DELTA_TYPES = (*_KEY_TYPES, "bigint", "bigint", "int")
# PostgreSQL: the rows to update are locked first, in key order, by a subquery.
_LOCKED = ("(SELECT d.* FROM balances AS b JOIN {rows} ON b.item_id = d.column1 "
           "AND b.location_id = d.column2 AND b.batch_key = d.column3 WHERE b.tenant_id = ? "
           "ORDER BY b.item_id, b.location_id, b.batch_key FOR UPDATE OF b) AS d")
_UPDATE = ("UPDATE balances SET on_hand = balances.on_hand + d.column4, "
           "reserved = balances.reserved + d.column5 FROM {rows} "
           "WHERE balances.tenant_id = ? AND balances.item_id = d.column1 "
           "AND balances.location_id = d.column2 AND balances.batch_key = d.column3 "
           "AND (d.column6 = 0 OR "
           "balances.on_hand + d.column4 - (balances.reserved + d.column5) >= 0) "
           "RETURNING balances.item_id, balances.location_id, balances.batch_key")
_NEW_BALANCES = ("INSERT INTO balances (tenant_id, item_id, location_id, batch_key, on_hand, "
                 "reserved) SELECT ?, column1, column2, column3, column4, column5 FROM {rows}")
_MOVEMENT_COLUMNS = ("tenant_id, item_id, batch_id, from_location_id, to_location_id, qty, "
                     "unit_cost, value, document_id, document_version, rule, event, actor_id, "
                     "key, posting_key, posted_at, reversal_of")
_MOVEMENT_TYPES = ("bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint",
                   "bigint", "bigint", "int", "text", "text", "bigint", "text", "text",
                   "timestamp", "bigint")
_MOVEMENTS = (f"INSERT INTO movements ({_MOVEMENT_COLUMNS}) SELECT "
              + ", ".join(f"column{n}" for n in range(1, 18))
              + " FROM {rows}{counts} RETURNING id, key")
_NO_COUNT = (" WHERE NOT EXISTS (SELECT 1 FROM count_sessions WHERE tenant_id = ? "
             "AND state = 'open' AND {ids})")


class Stale(Exception):
    """The snapshot no longer holds: roll back and plan again."""

    def __init__(self, reason: str, shortage: Shortage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shortage = shortage


@dataclass(frozen=True, slots=True)
class Posted:
    """What :func:`post_deltas` sent: the locations to watch, and the check of the
    guarded updates, run once their rows are back (after :meth:`Driver.together`)."""

    watched: frozenset[int]
    driver: Driver
    tenant_id: int
    deltas: Sequence[tuple[BalanceKey, Delta]]
    updated: Rows | None

    def check(self) -> None:
        """Raise :class:`Stale` for a guard that refused; insert first-stock rows."""
        if self.updated is not None:
            _check_updated(self.driver, self.tenant_id, self.deltas,
                           {tuple(r) for r in self.updated.all()})


def post_deltas(d: Driver, tenant_id: int, keyed: Sequence[tuple[str, str, str]],
                now: datetime, deltas: Sequence[tuple[BalanceKey, Delta]],
                watched: Collection[int] = ()) -> Posted:
    """Steps 1–2: record the effect keys (key, digest, operation) and apply the deltas
    (in lock order), each guarded one only where ``on_hand − reserved`` stays ≥ 0.

    :meth:`Posted.check` then raises :class:`Stale` with the shortage for a guarded
    delta that found no such row; any other missing row is the key's first stock and
    is inserted. ``Posted.watched`` are the locations a count opened since the snapshot
    makes stale: the ones to look at under the balance locks (pass them on to
    :func:`journal`), none when the snapshot was read under SQLite's write lock,
    which is held until the commit (:meth:`Driver.lock_for_write`).
    """
    statements: list[tuple[str, list[Any]]] = []
    prefix, prefix_params = "", []
    if keyed:
        at, result = d.time(now), d.json({"code": "ok"})
        rows, params = d.source(_POSTING_TYPES, [(tenant_id, key, digest, operation, at, result)
                                                 for key, digest, operation in keyed])
        if d.sqlite or not deltas:
            statements.append((_POSTINGS.format(rows=rows), params))
        else:  # PostgreSQL: one statement with the balance updates
            prefix, prefix_params = f"WITH p AS ({_POSTINGS.format(rows=rows)}) ", params
    if deltas:
        rows, params = d.source(_DELTA_TYPES, [
            (k.item_id, k.location_id, batch_key(k.batch_id), scaled(delta.on_hand, QTY_PLACES),
             scaled(delta.reserved, QTY_PLACES), int(_lowers(delta))) for k, delta in deltas])
        if not d.sqlite:  # lock the rows in key order first
            rows, params = _LOCKED.format(rows=rows), [*params, tenant_id]
        statements.append((prefix + _UPDATE.format(rows=rows),
                           [*prefix_params, *params, tenant_id]))
    maybe_stale = d.lock_for_write() or not d.sqlite  # the statements are ready: lock now
    with concurrent_keys("duplicate effect key"):
        sent = [d.later(text, params) for text, params in statements]
    return Posted(frozenset(watched) if maybe_stale else frozenset(), d, tenant_id, deltas,
                  sent[-1] if deltas else None)


@contextmanager
def together(d: Driver) -> Iterator[None]:
    """Steps 1–4a sent together (:meth:`Driver.together`): on PostgreSQL the keys,
    the guarded updates, valuation writes, the journal rows and the audit event go out
    as one round trip (two when valuation rows must be read); a key taken concurrently
    that only surfaces when the block ends makes the snapshot :class:`Stale` too."""
    with concurrent_keys("a key taken concurrently"), d.together():
        yield


@contextmanager
def concurrent_keys(reason: str) -> Iterator[None]:
    """A unique key another transaction took first (an effect posted twice at once,
    a reversal, a first row) makes the snapshot :class:`Stale`."""
    try:
        yield
    except IntegrityError as exc:
        raise Stale(reason) from exc


def _lowers(delta: Delta) -> bool:
    return delta.guarded and delta.on_hand - delta.reserved < 0


def _check_updated(d: Driver, tenant_id: int, deltas: Sequence[tuple[BalanceKey, Delta]],
                   updated: set[tuple[Any, ...]]) -> None:
    missing = [(key, delta) for key, delta in deltas
               if (key.item_id, key.location_id, batch_key(key.batch_id)) not in updated]
    for key, delta in missing:
        if _lowers(delta):
            raise Stale("insufficient stock",
                        Shortage(key, -(delta.on_hand - delta.reserved), Decimal(0)))
    if not missing:
        return
    rows, params = d.source(_DELTA_TYPES[:5], [
        (key.item_id, key.location_id, batch_key(key.batch_id),
         scaled(delta.on_hand, QTY_PLACES), scaled(delta.reserved, QTY_PLACES))
        for key, delta in missing])
    with concurrent_keys("balance row created concurrently"):
        d.execute(_NEW_BALANCES.format(rows=rows), [tenant_id, *params])


def value_movements(d: Driver, snap: Snapshot, tenant_id: int,
                    movements: Sequence[Movement], originals: dict[int, Decimal | None]
                    ) -> list[Decimal | None]:
    """Each movement's value (money), updating the items' valuation rows in item order."""
    flows = [val.classify(snap.locations[m.from_location_id], snap.locations[m.to_location_id])
             for m in movements]
    item_ids = sorted({m.item_id for m, f in zip(movements, flows, strict=True)
                       if f is not val.Flow.NONE})
    if not item_ids:
        return [None] * len(movements)
    before = _load_states(d, tenant_id, {i: snap.items[i].valuation for i in item_ids})
    states = dict(before)
    values: list[Decimal | None] = []
    for movement, flow in zip(movements, flows, strict=True):
        if flow is val.Flow.NONE:
            values.append(None)
            continue
        state, next_seq = states[movement.item_id]
        if flow is val.Flow.RECEIPT:
            original = originals.get(movement.reversal_of) if movement.reversal_of else None
            valued = val.receive(state, movement.qty, next_seq, unit_cost=movement.unit_cost,
                                 value=original)
            next_seq += 1
        else:
            valued = val.issue(state, movement.qty)
        states[movement.item_id] = (valued.state, next_seq)
        values.append(valued.amount)
    _save_states(d, tenant_id, before, states)
    return values


State = tuple[val.ValuationState, int]  # the state and the next layer's sequence number

_STATES = ("SELECT item_id, short_qty, short_value, last_unit_cost, next_seq "
           "FROM valuation_states WHERE tenant_id = ? AND item_id IN ({ids}) "
           "ORDER BY item_id{lock}")
_LAYERS = ("SELECT item_id, seq, qty, value FROM cost_layers "
           "WHERE tenant_id = ? AND item_id IN ({ids}) ORDER BY item_id, seq")
_NEW_STATE = ("INSERT INTO valuation_states (tenant_id, item_id, short_qty, short_value, "
              "last_unit_cost, next_seq) VALUES (?, ?, 0, 0, 0, 1)")
_SAVE_STATE = ("UPDATE valuation_states SET short_qty = ?, short_value = ?, "
               "last_unit_cost = ?, next_seq = ? WHERE tenant_id = ? AND item_id = ?")
_DROP_LAYER = "DELETE FROM cost_layers WHERE tenant_id = ? AND item_id = ? AND seq = ?"
_SAVE_LAYER = ("UPDATE cost_layers SET qty = ?, value = ? "
               "WHERE tenant_id = ? AND item_id = ? AND seq = ?")
_NEW_LAYER = ("INSERT INTO cost_layers (tenant_id, item_id, seq, qty, value) "
              "VALUES (?, ?, ?, ?, ?)")


def _load_states(d: Driver, tenant_id: int, methods: dict[int, Valuation]
                 ) -> dict[int, State]:
    """The valuation of each item, its row locked (in item order); a missing row is
    created (a concurrent creator makes this transaction :class:`Stale`)."""
    ids = ", ".join("?" * len(methods))
    lock = "" if d.sqlite else " FOR UPDATE"
    rows = {r[0]: r for r in d.all(_STATES.format(ids=ids, lock=lock), [tenant_id, *methods])}
    layers: dict[int, list[val.Layer]] = {}
    for item_id, seq, qty, value in d.all(_LAYERS.format(ids=ids), [tenant_id, *methods]):
        layers.setdefault(item_id, []).append(
            val.Layer(seq, unscaled(qty, QTY_PLACES), unscaled(value, MONEY_PLACES)))
    missing = [item_id for item_id in methods if item_id not in rows]
    if missing:
        with concurrent_keys("valuation row created concurrently"):
            d.many(_NEW_STATE, [(tenant_id, item_id) for item_id in missing])
    out: dict[int, State] = {}
    for item_id, method in methods.items():
        row = rows.get(item_id)
        if row is None:
            out[item_id] = (val.ValuationState(method), 1)
            continue
        _, short_qty, short_value, last_cost, next_seq = row
        out[item_id] = (val.ValuationState(
            method, tuple(layers.get(item_id, ())), unscaled(short_qty, QTY_PLACES),
            unscaled(short_value, MONEY_PLACES), unscaled(last_cost, COST_PLACES)), next_seq)
    return out


def _save_states(d: Driver, tenant_id: int, before: dict[int, State],
                 after: dict[int, State]) -> None:
    """Write what changed: the state rows, and of the layers only those consumed,
    reduced or added (a FIFO item keeps every receipt still on hand as a layer)."""
    saved, dropped, changed, added = [], [], [], []
    for item_id, (state, next_seq) in after.items():
        if (state, next_seq) == before[item_id]:
            continue
        saved.append((scaled(state.short_qty, QTY_PLACES),
                      scaled(state.short_value, MONEY_PLACES),
                      scaled(state.last_unit_cost, COST_PLACES), next_seq, tenant_id, item_id))
        old = {layer.seq: layer for layer in before[item_id][0].layers}
        new = {layer.seq: layer for layer in state.layers}
        dropped += [(tenant_id, item_id, seq) for seq in old if seq not in new]
        for seq, layer in new.items():
            qty, value = scaled(layer.qty, QTY_PLACES), scaled(layer.value, MONEY_PLACES)
            if seq not in old:
                added.append((tenant_id, item_id, seq, qty, value))
            elif old[seq] != layer:
                changed.append((qty, value, tenant_id, item_id, seq))
    for sql, rows in ((_SAVE_STATE, saved), (_DROP_LAYER, dropped), (_SAVE_LAYER, changed),
                      (_NEW_LAYER, added)):
        if rows:
            d.many(sql, rows)


def insert_movements(d: Driver, tenant_id: int, posting_keys: Sequence[str],
                     movements: Sequence[Movement], values: Sequence[Decimal | None],
                     watched: Collection[int] = ()) -> Callable[[], list[Movement]]:
    """Insert the journal rows; none if a count is open at a ``watched`` location (in
    the same statement). Returns the reader of the stored movements (with their ids),
    for once the rows are back: it raises :class:`Stale` if a count was open."""
    if not movements:
        _check_counts(d, tenant_id, watched)
        return list
    stamps: dict[datetime, Any] = {}
    for m in movements:
        if m.posted_at not in stamps:
            stamps[m.posted_at] = d.time(m.posted_at)
    rows, params = d.source(_MOVEMENT_TYPES, [(
        tenant_id, m.item_id, m.batch_id, m.from_location_id, m.to_location_id,
        scaled(m.qty, QTY_PLACES), scaled(m.unit_cost, COST_PLACES), scaled(v, MONEY_PLACES),
        m.provenance.document_id, m.provenance.document_version, m.provenance.rule,
        m.provenance.event, m.provenance.actor_id, m.key, pk, stamps[m.posted_at],
        m.reversal_of) for m, v, pk in zip(movements, values, posting_keys, strict=True)])
    text = _MOVEMENTS.format(rows=rows, counts="")
    if watched:
        ids, ids_params = ledger_reads.in_list(d, "location_id", watched)
        text = _MOVEMENTS.format(rows=rows, counts=_NO_COUNT.format(ids=ids))
        params = [*params, tenant_id, *ids_params]
    with concurrent_keys("movement key or reversal taken concurrently"):
        rows_back = d.later(text, params)

    def stored() -> list[Movement]:
        ids_by_key = {key: i for i, key in rows_back.all()}
        if len(ids_by_key) < len(movements):
            raise Stale("a count opened at a location meanwhile")
        return [m.with_id(ids_by_key[m.key]) for m in movements]

    return stored


def _check_counts(d: Driver, tenant_id: int, watched: Collection[int]) -> None:
    if watched and ledger_reads.locked_locations(d, tenant_id, watched):
        raise Stale("a count opened at a location meanwhile")


def note_first_receipts(session: Session, snap: Snapshot, movements: Sequence[Movement]) -> None:
    firsts = [{"b": m.batch_id, "seq": m.id} for m in movements
              if m.batch_id is not None and snap.locations[m.to_location_id].internal
              and m.batch_id not in snap.receipt_seq]
    if firsts:
        session.connection().execute(FIRST_RECEIPT, firsts)


def write_reservations(session: Session, reservations: Sequence[Reservation],
                       posting_keys: Sequence[str]) -> list[Reservation]:
    out = []
    for r, posting_key in zip(reservations, posting_keys, strict=True):
        if r.id is None:
            new_id = session.connection().execute(NEW_RESERVATION, {
                "tenant_id": r.tenant_id, "item_id": r.key.item_id,
                "location_id": r.key.location_id, "batch_id": r.key.batch_id, "qty": r.qty,
                "state": r.state.value, "document_id": r.provenance.document_id,
                "document_version": r.provenance.document_version, "rule": r.provenance.rule,
                "event": r.provenance.event, "actor_id": r.provenance.actor_id,
                "posting_key": posting_key, "expires_at": r.expires_at}).scalar_one()
            out.append(replace(r, id=new_id))
            continue
        if session.connection().execute(CLOSE_RESERVATION, {"r": r.id, "state": r.state.value}).first() \
                is None:
            raise Stale("reservation closed concurrently")
        out.append(r)
    return out


def journal(d: Driver, snap: Snapshot, plans: Sequence[tuple[str, PostingResult]],
            originals: dict[int, Decimal | None], watched: Collection[int] = ()
            ) -> Callable[[], list[Movement]]:
    """Steps 3–4a for the OK plans of one event (after :func:`post_deltas`, with the
    locations it returned): valuation and journal rows, on the driver. Returns the
    reader of the stored movements (see :func:`insert_movements`)."""
    movements = [m for _, plan in plans for m in plan.movements]
    keys = [key for key, plan in plans for _ in plan.movements]
    values = value_movements(d, snap, snap.tenant_id, movements, originals)
    return insert_movements(d, snap.tenant_id, keys, movements, values, watched)


def record(session: Session, snap: Snapshot, plans: Sequence[tuple[str, PostingResult]],
           stored: Sequence[Movement]) -> list[PostingResult]:
    """Step 4b, through the session: batch receipt sequences and reservations. Returns
    the plans with their stored ids."""
    note_first_receipts(session, snap, stored)
    out, position = [], 0
    for key, plan in plans:
        mine = tuple(stored[position:position + len(plan.movements)])
        position += len(plan.movements)
        reservations = write_reservations(session, plan.reservations,
                                          [key] * len(plan.reservations))
        out.append(PostingResult(plan.code, mine, plan.deltas, tuple(reservations),
                                 plan.details, plan.shortages))
    return out


def summed_deltas(plans: Sequence[tuple[str, PostingResult]]
                  ) -> list[tuple[BalanceKey, Delta]]:
    """The deltas of one event's plans, summed per key, in lock order."""
    return list(aggregate_deltas(plan for _, plan in plans).items())
