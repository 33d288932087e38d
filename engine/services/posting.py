"""Posting to the ledger: one effect, one transaction, at most once.

The steps (DESIGN.md §5): read the effect keys' digests (a retry returns the original
result) and a snapshot without locks, plan (pure) and work out the audit event, then
take the write locks last: record the keys, apply the guarded balance updates in lock
order, value the movements, insert the journal rows and the audit event, and commit
at once (docs/ledger.md, "The store"). If the writes find the snapshot stale (stock
taken meanwhile, a duplicate key, a count opened), everything rolls back and the
effect is planned again on a fresh snapshot, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from engine.errors import Conflict
from engine.ledger.keys import check_idempotent, payload_digest
from engine.ledger.memory import PLANNERS
from engine.ledger.model import Provenance
from engine.ledger.planning import CountLine, PostingContext, combine
from engine.ledger.results import PostingResult, Result, failure
from engine.ledger.snapshot import Snapshot, advance
from engine.services.context import SYSTEM, CallContext, audit, audit_fields
from engine.store import ledger_apply, ledger_repo
from engine.store import ledger_rows as rows
from engine.store import ledger_tables as t
from engine.store.db import Store
from engine.store.driver import Driver
from engine.store.ledger_repo import LedgerRepo, Wanted
from engine.store.uow import UnitOfWork, transaction

__all__ = ["CallContext", "Effect", "Origin", "cancel_count", "expire_due", "open_count", "post",
           "post_event"]

MAX_REPLANS = 25
CLOCK_SKEW = timedelta(minutes=1)
_LOCATION_ARGS = ("from_location_id", "to_location_id", "location_id",
                  "transit_location_id", "adjustment_location_id")


@dataclass(frozen=True, slots=True)
class Origin:
    """What caused the effects: document, its version, the rule and the event."""

    document_id: int
    document_version: int = 1
    rule: str = "manual"
    event: str = "manual"


@dataclass(frozen=True, slots=True)
class Effect:
    """One effect of an event: its idempotency key and a ledger operation.

    ``arguments`` are the ``plan_<operation>`` keywords (ids). ``reservation_ids``
    (release, expire) and ``movement_ids`` (reverse) default to the document's pending
    reservations and unreversed movements; transit receipts name ``shipped_ids``.
    """

    key: str
    operation: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


def post(store: Store, tenant_id: int, operation: str, key: str, origin: Origin,
         arguments: Mapping[str, Any], **options: Any) -> PostingResult:
    """Post one effect (see :func:`post_event`)."""
    return post_event(store, tenant_id, origin, [Effect(key, operation, arguments)], **options)


def post_event(store: Store, tenant_id: int, origin: Origin, effects: Sequence[Effect], *,
               ctx: CallContext = SYSTEM, at: datetime | None = None, today: date | None = None,
               close_counts: bool = False) -> PostingResult:
    """Post every effect of one event together, or none of them.

    Postings are dated now: ``at`` in the past is refused with ``past_dated``. A retry
    of the same effects answers ``exists`` with the original movements; the same key
    with a different payload answers ``exists_with_different_payload``.
    """
    for effect in effects:
        assert effect.operation in PLANNERS, f"unknown operation {effect.operation!r}"
    now = ctx.now()
    if at is not None and at < now - CLOCK_SKEW:
        return failure(Result.PAST_DATED, at=at.isoformat(), now=now.isoformat())
    digests = [payload_digest({"operation": e.operation, "origin": origin, **e.arguments})
               for e in effects]
    last: ledger_apply.Stale | None = None
    for _ in range(MAX_REPLANS):
        try:
            return store.run_bare(lambda session: _post_once(
                UnitOfWork(session, store.backend), tenant_id, origin, effects, digests, ctx,
                now, today, close_counts), lock_late=True)
        except ledger_apply.Stale as stale:
            last = stale
    assert last is not None
    shortages = (last.shortage,) if last.shortage else ()
    return failure(Result.INSUFFICIENT_STOCK, shortages, reason=last.reason)


def _post_once(uow: UnitOfWork, tenant_id: int, origin: Origin, effects: Sequence[Effect],
               digests: Sequence[str], ctx: CallContext, now: datetime, today: date | None,
               close_counts: bool) -> PostingResult:
    read = _read(uow, tenant_id, origin, effects, digests)
    if isinstance(read, PostingResult):
        return read
    snap, todo, done = read
    planned = _plan(snap, tenant_id, origin, todo, ctx, now, today)
    if isinstance(planned, PostingResult):
        return planned
    snap, plans = planned
    event = uow.audit.prepare(audit_fields(
        ctx, tenant_id=tenant_id, object_type="document", object_id=origin.document_id,
        action=f"post:{origin.event}", after=[e.key for e, _, _ in todo],
        detail={"movements": len(done[0].movements) if done else  # what combine answers
                sum(len(plan.movements) for _, plan in plans), "rule": origin.rule}))
    originals = ledger_repo.movement_values(uow.session, tenant_id, [
        m.reversal_of for _, plan in plans for m in plan.movements if m.reversal_of])
    driver = Driver.of(uow.session)
    deltas = ledger_apply.summed_deltas(plans)
    with ledger_apply.together(driver):  # one round trip on PostgreSQL
        posted = ledger_apply.post_deltas(
            driver, tenant_id, [(e.key, dg, e.operation) for e, dg, _ in todo], now, deltas,
            _watched(snap, todo, plans))
        stored = ledger_apply.journal(driver, snap, plans, originals, posted.watched)
        uow.audit.append_prepared(event)
    posted.check()
    applied = ledger_apply.record(uow.session, snap, plans, stored())
    if close_counts:
        _close_counts(uow, tenant_id, snap, todo, plans, now)
    return combine([*done, *applied]) if done else PostingResult(
        Result.OK, tuple(m for r in applied for m in r.movements), tuple(deltas),
        tuple(x for r in applied for x in r.reservations))


Todo = list[tuple[Effect, str, dict[str, Any]]]


def _read(uow: UnitOfWork, tenant_id: int, origin: Origin, effects: Sequence[Effect],
          digests: Sequence[str]) -> tuple[Snapshot, Todo, list[PostingResult]] | PostingResult:
    """What is left to post (effects with their digests and filled-in arguments), what
    was posted before, and the snapshot to plan on — or the answer if nothing is left."""
    repo = LedgerRepo(uow.session)
    keys = [e.key for e in effects]
    snap: Snapshot | None = None
    if any(_needs_defaults(e.operation, e.arguments) for e in effects):
        stored_digests = repo.posting_digests(tenant_id, keys)
    else:  # the common case: the digests and the snapshot in one read
        stored_digests, snap = ledger_repo.snapshot_with_digests(
            uow.session, tenant_id, _wanted([e.arguments for e in effects]), keys)
    todo: Todo = []
    done: list[PostingResult] = []
    for effect, digest in zip(effects, digests, strict=True):
        existing = stored_digests.get(effect.key)
        if existing is None:
            arguments = dict(effect.arguments)
            _fill_defaults(repo, tenant_id, effect.operation, origin, arguments)
            todo.append((effect, digest, arguments))
        elif check_idempotent(existing, digest) is Result.EXISTS:
            done.append(_stored(uow, tenant_id, effect.key))
        else:
            return failure(Result.EXISTS_WITH_DIFFERENT_PAYLOAD, key=effect.key)
    if not todo:
        return combine_stored(done)
    if snap is None:
        snap = repo.snapshot(tenant_id, _wanted([a for _, _, a in todo]))
    return snap, todo, done


def _plan(snap: Snapshot, tenant_id: int, origin: Origin,
          todo: Sequence[tuple[Effect, str, dict[str, Any]]], ctx: CallContext, now: datetime,
          today: date | None) -> tuple[Snapshot, list[tuple[str, PostingResult]]] | PostingResult:
    """Plan each effect on the snapshot advanced by the ones before (pure); a refusal
    is returned as it is, naming its effect."""
    provenance = Provenance(tenant_id, origin.document_id, origin.document_version,
                            origin.rule, origin.event, ctx.actor_id or 0)
    plans: list[tuple[str, PostingResult]] = []
    for effect, _, arguments in todo:
        if effect.operation == "transit_receive":
            arguments["shipped"] = [snap.movements[i] for i in arguments.pop("shipped_ids")
                                    if i in snap.movements]
        plan = PLANNERS[effect.operation](
            snap, PostingContext(provenance, effect.key, now, today), **arguments)
        if not plan.ok:
            return replace(plan, details={**plan.details, "effect": effect.key})
        snap = advance(snap, plan)
        plans.append((effect.key, plan))
    return snap, plans


def combine_stored(results: Sequence[PostingResult]) -> PostingResult:
    return PostingResult(Result.EXISTS, tuple(m for r in results for m in r.movements), (),
                         tuple(x for r in results for x in r.reservations))


def _watched(snap: Snapshot, todo: Sequence[tuple[Effect, str, dict[str, Any]]],
             plans: Sequence[tuple[str, PostingResult]]) -> set[int]:
    """The internal locations a count opened meanwhile makes stale: counts may post
    into their locked locations; anything else plans again (then ``location_locked``)."""
    watched: set[int] = set()
    for (effect, _, _), (_, plan) in zip(todo, plans, strict=True):
        if effect.operation != "count":
            watched |= _internal_locations(snap, plan)
    return watched


def _close_counts(uow: UnitOfWork, tenant_id: int, snap: Snapshot,
                  todo: Sequence[tuple[Effect, str, dict[str, Any]]],
                  plans: Sequence[tuple[str, PostingResult]], now: datetime) -> None:
    for (effect, _, _), (_, plan) in zip(todo, plans, strict=True):
        if effect.operation == "count":
            ledger_repo.close_counts(uow.session, tenant_id, _internal_locations(snap, plan),
                                     now)


def _needs_defaults(operation: str, arguments: Mapping[str, Any]) -> bool:
    return (operation in ("release", "expire") and arguments.get("reservation_ids") is None
            or operation == "reverse" and arguments.get("movement_ids") is None)


def _fill_defaults(repo: LedgerRepo, tenant_id: int, operation: str, origin: Origin,
                   arguments: dict[str, Any]) -> None:
    if not _needs_defaults(operation, arguments):
        return
    if operation == "reverse":
        arguments["movement_ids"] = repo.document_movements(tenant_id, origin.document_id)
    else:
        arguments["reservation_ids"] = repo.pending_reservations(tenant_id, origin.document_id)


def _wanted(all_arguments: Sequence[Mapping[str, Any]]) -> Wanted:
    items: set[int] = set()
    locations: set[int] = set()
    batches: set[int] = set()
    reservations: set[int] = set()
    movements: set[int] = set()
    for arguments in all_arguments:
        if "item_id" in arguments:
            items.add(arguments["item_id"])
        for name in _LOCATION_ARGS:
            if arguments.get(name) is not None:
                locations.add(arguments[name])
        if arguments.get("batch_id"):
            batches.add(arguments["batch_id"])
        lines: Sequence[CountLine] = arguments.get("lines", ())
        for ln in lines:
            items.add(ln.item_id)
            locations.add(ln.location_id)
            if ln.batch_id:
                batches.add(ln.batch_id)
        for name, wanted in (("reservation_ids", reservations), ("movement_ids", movements),
                             ("shipped_ids", movements)):
            if name in arguments:
                wanted.update(arguments[name] or ())
    return Wanted(frozenset(items), frozenset(locations), frozenset(batches),
                  frozenset(reservations), frozenset(movements))


def _internal_locations(snap: Snapshot, plan: PostingResult) -> set[int]:
    keys = [k for k, _ in plan.deltas]
    return {k.location_id for k in keys if snap.locations[k.location_id].internal}


def _stored(uow: UnitOfWork, tenant_id: int, key: str) -> PostingResult:
    movements, reservations = ledger_repo.posted_rows(uow.session, tenant_id, key)
    return PostingResult(Result.EXISTS, tuple(rows.movement(m) for m in movements), (),
                         tuple(rows.reservation(r) for r in reservations))


# counts ------------------------------------------------------------------------------

def open_count(store: Store, tenant_id: int, location_id: int, *,
               document_id: int | None = None, ctx: CallContext = SYSTEM) -> int:
    """Open a stocktake: other postings at the location answer ``location_locked``."""
    def work(uow: UnitOfWork) -> int:
        repo = LedgerRepo(uow.session)
        if repo.open_count(tenant_id, location_id) is not None:
            raise Conflict.of("count.already_open", "A count is already open at this location",
                              "该库位已有进行中的盘点", path="location")
        session = t.CountSession(tenant_id=tenant_id, location_id=location_id, state="open",
                                 document_id=document_id, opened_at=ctx.now())
        repo.add(session)
        ledger_repo.lock_location_balances(uow.session, tenant_id, location_id)
        audit(uow, ctx, tenant_id=tenant_id, object_type="count", object_id=session.id,
              action="open", detail={"location": location_id})
        return session.id

    return transaction(store, work)


def cancel_count(store: Store, tenant_id: int, location_id: int,
                 ctx: CallContext = SYSTEM) -> None:
    def work(uow: UnitOfWork) -> None:
        session = LedgerRepo(uow.session).open_count(tenant_id, location_id)
        if session is not None:
            session.state, session.closed_at = "cancelled", ctx.now()
            audit(uow, ctx, tenant_id=tenant_id, object_type="count", object_id=session.id,
                  action="cancel")

    transaction(store, work)



def expire_due(store: Store, ctx: CallContext = SYSTEM) -> int:
    """Expire every pending reservation whose time is up; return how many.

    Each expiry is its own effect (``expire:<reservation id>``), so a run that
    overlaps another, or is retried, expires each reservation once.
    """
    due = transaction(store, lambda uow: ledger_repo.due_reservations(uow.session, ctx.now()),
                      write=False)
    expired = 0
    for tenant_id, document_id, reservation_id in due:
        result = post(store, tenant_id, "expire", f"expire:{reservation_id}",
                      Origin(document_id, 1, "system", "reservation_expired"),
                      {"reservation_ids": [reservation_id]}, ctx=ctx)
        expired += result.code is Result.OK
    return expired


def post_in(uow: UnitOfWork, tenant_id: int, origin: Origin, effects: Sequence[Effect],
            ctx: CallContext = SYSTEM, *, today: date | None = None,
            close_counts: bool = False) -> PostingResult:
    """:func:`post_event` inside a transaction the caller opened (a document action).

    Raises :class:`engine.store.ledger_apply.Stale` when the snapshot went stale: the
    caller must roll its whole transaction back and run it again.
    """
    digests = [payload_digest({"operation": e.operation, "origin": origin, **e.arguments})
               for e in effects]
    return _post_once(uow, tenant_id, origin, effects, digests, ctx, ctx.now(), today,
                      close_counts)
