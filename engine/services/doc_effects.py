"""What a document action leaves behind besides the document: ledger postings for the
events that fired, and the task, timer and outbox rows mirroring the flow's effects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from engine.errors import Conflict, Problem, Source, ValidationError
from engine.flows import FlowInstance
from engine.flows.outcomes import CancelTimers, Effect, Notify, NotifyKind, ScheduleTimer
from engine.ledger.numbers import canonical
from engine.ledger.results import PostingResult, Result
from engine.rules import RuleRuntimeError
from engine.services import posting
from engine.services.context import CallContext
from engine.services.definitions import Bundle
from engine.services.doc_support import Bridge, eval_context
from engine.services.posting import Origin
from engine.store import doc_writes, ledger_repo
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Document, Timer
from engine.store.doc_writes import TaskChange, TaskRow
from engine.store.driver import Driver
from engine.store.ledger_repo import LedgerRepo
from engine.store.ledger_tables import CountSession
from engine.store.uow import UnitOfWork

_KEY = re.compile(r":r(\d+):(\d+):(\d+):([\d.]*)")
FINAL_RELEASE = {"rejected", "withdrawn", "cancelled"}


class Actor(Protocol):
    @property
    def tenant_id(self) -> int: ...

    @property
    def username(self) -> str: ...


def split_event(event: str) -> tuple[str, str | None]:
    """``approved_at:finance`` → (``approved``, ``finance``); ``approved`` → (…, None)."""
    name, _, node = event.partition("_at:")
    return name, node or None


def post_events(uow: UnitOfWork, actor: Actor, doc: Document, bundle: Bundle,
                values: Mapping[str, Any], events: Sequence[str], ctx: CallContext, *,
                revision: int | None = None) -> int:
    """Evaluate the rules for each event and post their effects in this transaction.
    The movements name the document at ``revision``: the one the action started from
    (by default the document's revision, when it has not moved on yet).

    Ending rejected, withdrawn or cancelled also releases the document's pending
    reservations, and cancelling reverses every movement it posted. Raises a
    Conflict carrying the ledger's result and the rule line that caused it.
    """
    moved = 0
    econtext = eval_context(uow, doc.tenant_id, ctx.now())
    for event in events:
        name, node = split_event(event)
        try:
            found = bundle.rules.effects(doc.form_key, name, node, values, econtext) \
                if bundle.rules else []
        except RuleRuntimeError as error:
            raise ValidationError(error.problems) from error
        bridged = Bridge(uow, doc.tenant_id, doc.id, event).convert(found)
        if bridged.problems:
            raise ValidationError(bridged.problems)
        if bridged.effects:
            moved += _post(uow, actor, doc, bundle, event, bridged.effects, ctx, revision)
        for location_id, locked in bridged.locks:
            set_lock(uow, doc, location_id, locked, ctx.now())
        # After the rules: what a document that ends this way must never leave behind.
        if node is None and name == "cancelled":
            moved += _post(uow, actor, doc, bundle, event, [
                posting.Effect(f"doc:{doc.id}:cancelled:reverse", "reverse", {})], ctx,
                revision)
        if node is None and name in FINAL_RELEASE:
            moved += _post(uow, actor, doc, bundle, event, [
                posting.Effect(f"doc:{doc.id}:{name}:release", "release", {})], ctx, revision)
    return moved


def _post(uow: UnitOfWork, actor: Actor, doc: Document, bundle: Bundle, event: str,
          effects: list[posting.Effect], ctx: CallContext, revision: int | None) -> int:
    origin = Origin(doc.id, doc.revision if revision is None else revision,
                    f"{doc.form_key}.rules@{bundle.rules_version or 0}", event)
    acting = CallContext(ctx.actor_id, actor.username, ctx.client_addr, ctx.request_id,
                         ctx.clock)
    result = posting.post_in(uow, doc.tenant_id, origin, effects, acting)
    if result.code in (Result.OK, Result.EXISTS):
        return len(result.movements) if result.code is Result.OK else 0
    raise refused(result, doc.form_key)


def refused(result: PostingResult, rule_set: str) -> Conflict:
    """The ledger's refusal as an error: the problem located at the rule and document
    line, and the named result, its details and shortages for API clients."""
    error = Conflict(located(result.problem(), result.details.get("effect", ""), rule_set))
    error.extensions = {  # type: ignore[attr-defined]
        "result": result.code.value, "details": dict(result.details),
        "shortages": [{"item_id": s.key.item_id, "location_id": s.key.location_id,
                       "batch_id": s.key.batch_id, "requested": canonical(s.requested),
                       "available": canonical(s.available), "missing": canonical(s.missing)}
                      for s in result.shortages]}
    return error


def located(found: Problem, effect_key: str, rule_set: str = "rules") -> Problem:
    """Point a ledger refusal at the rule statement and document line behind it."""
    match = _KEY.search(effect_key)
    if not match:
        return found
    rows = match.group(4)
    line_index = rows.split(".")[-1] if rows else None
    source = Source(rule=rule_set, line=int(match.group(2)), column=int(match.group(3)),
                    path=None if line_index is None else f"lines[{line_index}]")
    return Problem(found.code, found.message, source, found.hint)


def set_lock(uow: UnitOfWork, doc: Document, location_id: int, locked: bool,
             now: datetime) -> None:
    """``lock`` opens a count at the location (others posting there are refused with
    ``location_locked``); ``unlock`` closes it. A lock is opened once per document."""
    repo = LedgerRepo(uow.session)
    existing = repo.open_count(doc.tenant_id, location_id)
    if not locked:
        ledger_repo.close_counts(uow.session, doc.tenant_id, [location_id], now)
        return
    if existing is not None:
        if existing.document_id == doc.id:
            return
        raise Conflict.of("count.already_open", "Another stocktake is already counting this "
                          "location", "该库位已有进行中的盘点", path="location")
    repo.add(CountSession(tenant_id=doc.tenant_id, location_id=location_id, state="open",
                          document_id=doc.id, opened_at=now))
    ledger_repo.lock_location_balances(uow.session, doc.tenant_id, location_id)


# tasks, timers, outbox -------------------------------------------------------------------

def sync_tasks(uow: UnitOfWork, doc: Document, before: FlowInstance | None,
               instance: FlowInstance, effects: Sequence[Effect], now: datetime, *,
               has_timers: bool) -> Callable[[Driver], None]:
    """Mirror the flow's tasks into ``doc_tasks``: insert the new ones, update the ones
    whose state changed (no read needed: the instance before the step says what was
    there), add cc rows, schedule and cancel timers, queue notifications.

    Timers are scheduled and cancelled, and cc rows looked up, now (through the
    session); the task and outbox rows are written by the function returned, on the
    driver, so that the caller can send them together with the rest of the action."""
    repo = DocRepo(uow.session)
    old = {t.id: t for t in before.tasks} if before else {}
    fresh: list[TaskRow] = []
    changed: list[TaskChange] = []
    for task in instance.tasks:
        was = old.get(task.id)
        if was is None:
            fresh.append((task.id, task.node, task.assignee, task.state.value, task.created_at,
                          task.decided_at))
        elif (was.state, was.assignee, was.decided_at) != (task.state, task.assignee,
                                                           task.decided_at):
            changed.append((task.id, task.assignee, task.state.value, task.decided_at))
    notes: list[tuple[str, dict[str, Any]]] = []
    for effect in effects:
        fresh += _one(uow, repo, doc, effect, now, notes, {row[0] for row in fresh})
    if has_timers and doc.status in ("approved", "rejected", "withdrawn", "cancelled"):
        repo.cancel_timers(doc.tenant_id, doc.id)

    def write(d: Driver) -> None:
        doc_writes.insert_tasks(d, doc.tenant_id, doc.id, fresh)
        doc_writes.update_tasks(d, doc.tenant_id, doc.id, changed)
        for topic, payload in notes:
            doc_writes.notify(d, doc.tenant_id, topic, payload, now)

    return write


def _one(uow: UnitOfWork, repo: DocRepo, doc: Document, effect: Effect, now: datetime,
         notes: list[tuple[str, dict[str, Any]]], fresh: set[str]) -> list[TaskRow]:
    """Timers now; the cc task rows and notification to write (``fresh``: the keys of
    tasks about to be inserted)."""
    if isinstance(effect, ScheduleTimer):
        uow.session.add(Timer(tenant_id=doc.tenant_id, document_id=doc.id, node=effect.node,
                              task_key=effect.task, action=effect.action.value,
                              due_at=effect.due_at, state="pending"))
    elif isinstance(effect, CancelTimers):
        repo.cancel_timers(doc.tenant_id, doc.id, effect.node)
    elif isinstance(effect, Notify):
        notes.append((f"document.{effect.kind.value}", {
            "document": doc.id, "form": doc.form_key, "serial": doc.serial,
            "node": effect.node, "users": list(effect.users)}))
        if effect.kind is NotifyKind.CC:
            have = set(repo.tasks_of(doc.tenant_id, doc.id)) | fresh
            return [(key, effect.node or "", user, "cc", now, None) for user in effect.users
                    if (key := f"cc:{effect.node}:{user}") not in have]
    return []
