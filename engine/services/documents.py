"""The document lifecycle: draft → submitted → in approval → approved | rejected |
withdrawn, and approved → cancelled.

Every action is one transaction (DESIGN.md §5): lock the document → check and
validate → step the flow (pure) → evaluate the rules bound to the events that fired →
post their effects to the ledger → write tasks, timers, timeline, outbox and audit.
If the ledger refuses, nothing of the action is kept and the caller gets the ledger's
result with the rule and line that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from engine.errors import Conflict, NotFound, PermissionDenied, Problem, ValidationError
from engine.flows import (
    Action,
    ActionKind,
    FlowInstance,
    Refusal,
    Step,
    TaskState,
    advance,
    instance_from_json,
    instance_to_json,
    start,
)
from engine.forms import FieldKind, check_document, format_serial, serial_scope, to_json
from engine.services import access_rules, doc_access, doc_checks, doc_effects
from engine.services import definitions as defs
from engine.services.context import SYSTEM, CallContext, audit
from engine.services.doc_support import Conditions, StoreResolver, eval_context
from engine.services.identity import Principal
from engine.store import doc_writes
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Document
from engine.store.driver import Driver
from engine.store.ledger_apply import Stale
from engine.store.uow import UnitOfWork, transaction

T = TypeVar("T")
MAX_ATTEMPTS = 10
STATUS = {"running": "in_approval", "approved": "approved", "rejected": "rejected",
          "withdrawn": "withdrawn", "cancelled": "cancelled"}
ENDED = {"approved", "rejected", "withdrawn", "cancelled"}
USER_ACTIONS = {k.value for k in ActionKind} - {"timeout"}  # timeouts come from timers only


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: int
    form_key: str
    serial: str | None
    status: str
    data: dict[str, Any]
    submitter: str
    revision: int
    versions: dict[str, int | None]
    open_tasks: tuple[dict[str, str], ...] = ()
    links: dict[str, Any] = field(default_factory=dict)  # linked records' display fields


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: the document after it, the events, the ledger movements."""

    document: DocumentView
    events: tuple[str, ...] = ()
    movements: int = 0
    repeated: bool = False  # the same action had already taken effect (a double click)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    kind: str  # approve reject transfer add_before add_after withdraw remind comment cancel
    task: str | None = None
    comment: str | None = None
    target: str | None = None
    return_to: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


def view(doc: Document) -> DocumentView:
    tasks: tuple[dict[str, str], ...] = ()
    if doc.flow:
        instance = instance_from_json(doc.flow)
        tasks = tuple({"task": t.id, "node": t.node, "assignee": t.assignee}
                      for t in instance.tasks if t.state.open)
    return DocumentView(doc.id, doc.form_key, doc.serial, doc.status, dict(doc.data),
                        doc.submitter, doc.revision,
                        {"form": doc.form_version, "flow": doc.flow_version,
                         "rules": doc.rules_version}, tasks)


def seen(uow: UnitOfWork, principal: Principal, doc: Document) -> DocumentView:
    """The document as ``principal`` may read it (see :mod:`.doc_access`)."""
    found: DocumentView = doc_access.present(uow, principal, [doc], [view(doc)])[0]
    return found


def _seen_outcome(uow: UnitOfWork, reader: doc_access.Reader, doc: Document,
                  outcome: Outcome) -> Outcome:
    shown = doc_access.present(uow, reader.principal, [doc], [outcome.document], reader)[0]
    return replace(outcome, document=shown)


def _retrying(store: Store, work: Callable[[UnitOfWork], T]) -> T:
    """Run an action, planning it again when the ledger found its snapshot stale."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return transaction(store, work)
        except Stale:
            if attempt == MAX_ATTEMPTS - 1:
                raise Conflict.of("document.busy", "The stock changed too often while posting: "
                                  "try again", "过账时库存变动过于频繁，请重试") from None
    raise AssertionError("unreachable")


def _load(uow: UnitOfWork, principal: Principal, document_id: int, *, lock: bool = False
          ) -> Document:
    doc = DocRepo(uow.session).document(principal.tenant_id, document_id, lock=lock)
    if doc is None:
        raise NotFound.of("document.not_found", f"No document {document_id}",
                          f"单据 {document_id} 不存在", path="document_id")
    return doc


def _load_for_action(uow: UnitOfWork, principal: Principal, document_id: int
                     ) -> tuple[Document, dict[int, set[str]]]:
    """The document, locked, and the actor's task nodes on it; its form's access
    setting and published versions are read with it and remembered."""
    doc, found = DocRepo(uow.session).for_action(principal.tenant_id, document_id,
                                                 principal.username)
    if doc is None:
        raise NotFound.of("document.not_found", f"No document {document_id}",
                          f"单据 {document_id} 不存在", path="document_id")
    _known_form(uow, principal.tenant_id, doc.form_key, found.published, found.access)
    return doc, {doc.id: found.nodes}


def _known_form(uow: UnitOfWork, tenant_id: int, form_key: str,
                published: dict[tuple[str, int], Any], access: dict[str, Any] | None) -> None:
    """Remember a form's published versions and access setting, read with other rows,
    so that the rest of the step does not read them again."""
    defs.known_published(uow, tenant_id, form_key, published)
    access_rules.known(uow, tenant_id, form_key, access)


def _check(uow: UnitOfWork, bundle: defs.Bundle, data: Any, now: datetime, *, partial: bool,
           tenant_id: int, stored: bool = False) -> dict[str, Any]:
    ctx = eval_context(uow, tenant_id, now)
    checked = check_document(bundle.form, data, partial=partial, ctx=ctx,
                             constants=bundle.constants, stored=stored)
    if checked.problems:
        raise ValidationError(checked.problems)
    return checked.values


# drafts --------------------------------------------------------------------------------

def create_draft(store: Store, principal: Principal, form_key: str, data: Mapping[str, Any],
                 ctx: CallContext = SYSTEM) -> DocumentView:
    def work(uow: UnitOfWork) -> DocumentView:
        now = ctx.now()
        bundle = defs.bundle(uow, principal.tenant_id, form_key)
        rules = doc_access.require_create(uow, principal, form_key)
        doc_access.submitter_edits(uow, principal, bundle, data, rules)
        values = _check(uow, bundle, data, now, partial=True, tenant_id=principal.tenant_id)
        doc = Document(tenant_id=principal.tenant_id, form_key=form_key,
                       form_version=bundle.form_version, status="draft",
                       data=to_json(bundle.form, values), submitter=principal.username,
                       submitter_id=principal.user_id, revision=1, created_at=now,
                       updated_at=now)
        DocRepo(uow.session).add(doc)
        _record(uow, doc, principal.username, "create", now)
        audit(uow, ctx, tenant_id=principal.tenant_id, object_type="document",
              object_id=doc.id, action="create", after=doc.data)
        return seen(uow, principal, doc)

    return transaction(store, work)


def update_draft(store: Store, principal: Principal, document_id: int,
                 data: Mapping[str, Any], ctx: CallContext = SYSTEM) -> DocumentView:
    def work(uow: UnitOfWork) -> DocumentView:
        now = ctx.now()
        doc = _load(uow, principal, document_id, lock=True)
        _must_be_own_draft(doc, principal)
        bundle = defs.bundle(uow, principal.tenant_id, doc.form_key)
        doc_access.submitter_edits(uow, principal, bundle, data)
        before = dict(doc.data)
        doc.data = to_json(bundle.form, _check(uow, bundle, data, now, partial=True,
                                             tenant_id=principal.tenant_id))
        doc.form_version, doc.updated_at, doc.revision = bundle.form_version, now, \
            doc.revision + 1
        audit(uow, ctx, tenant_id=principal.tenant_id, object_type="document",
              object_id=doc.id, action="update", before=before, after=doc.data)
        return seen(uow, principal, doc)

    return transaction(store, work)


def _must_be_own_draft(doc: Document, principal: Principal) -> None:
    if doc.status != "draft":
        raise Conflict.of("document.not_draft", f"Document {doc.id} is {doc.status}, "
                          "not a draft", f"单据 {doc.id} 已是 {doc.status} 状态，不是草稿",
                          path="status")
    if doc.submitter != principal.username:
        raise PermissionDenied.of("document.not_yours", "Only its creator may change a draft",
                                  "只有创建人可以修改草稿")


# submit ----------------------------------------------------------------------------------

def submit(store: Store, principal: Principal, document_id: int, *,
           chosen: Mapping[str, Sequence[str]] | None = None,
           ctx: CallContext = SYSTEM) -> Outcome:
    """Submit a draft: validate, number it, start its flow (or approve it at once when
    its form has no flow: the quick path a POS uses) and post the rules' effects."""
    def work(uow: UnitOfWork) -> Outcome:
        doc = _load(uow, principal, document_id, lock=True)
        _must_be_own_draft(doc, principal)
        reader = doc_access.Reader.of(uow, principal, [doc])
        return _seen_outcome(uow, reader, doc, _submit(uow, principal, doc, chosen, ctx))

    return _retrying(store, work)


def submit_new(store: Store, principal: Principal, form_key: str, data: Mapping[str, Any], *,
               chosen: Mapping[str, Sequence[str]] | None = None,
               ctx: CallContext = SYSTEM) -> Outcome:
    """Create and submit in one transaction (nothing is kept if it is refused)."""
    def work(uow: UnitOfWork) -> Outcome:
        now = ctx.now()
        _known_form(uow, principal.tenant_id, form_key,
                    *DocRepo(uow.session).form_reads(principal.tenant_id, form_key))
        bundle = defs.bundle(uow, principal.tenant_id, form_key)
        doc = Document(tenant_id=principal.tenant_id, form_key=form_key,
                       form_version=bundle.form_version, status="draft",
                       data=dict(data), submitter=principal.username,
                       submitter_id=principal.user_id, revision=0, created_at=now,
                       updated_at=now)  # inserted by _submit, once it is filled in
        reader = doc_access.Reader.of(uow, principal, [doc])
        return _seen_outcome(uow, reader, doc,
                             _submit(uow, principal, doc, chosen, ctx, bundle))

    return _retrying(store, work)


def _submit(uow: UnitOfWork, principal: Principal, doc: Document,
            chosen: Mapping[str, Sequence[str]] | None, ctx: CallContext,
            bundle: defs.Bundle | None = None) -> Outcome:
    """Submit ``doc`` on ``bundle`` (the newest published versions, read here when the
    caller has not read them already)."""
    now = ctx.now()
    bundle = bundle or defs.bundle(uow, principal.tenant_id, doc.form_key)
    rules = doc_access.require_create(uow, principal, doc.form_key)
    doc_access.submitter_edits(uow, principal, bundle, doc.data, rules)
    values = _check(uow, bundle, doc.data, now, partial=False, tenant_id=doc.tenant_id)
    doc_checks.check_links(uow, doc.tenant_id, bundle.form, to_json(bundle.form, values), now)
    _number(uow, principal.tenant_id, doc, bundle, values, now)
    doc.form_version, doc.flow_version, doc.rules_version = (
        bundle.form_version, bundle.flow_version, bundle.rules_version)
    doc.data, doc.submitted_at = to_json(bundle.form, values), now
    if bundle.flow is None:
        return _finish_quick(uow, principal, doc, bundle, values, ctx)
    econtext = eval_context(uow, principal.tenant_id, now)
    step = start(bundle.flow, values, principal.username, now,
                 StoreResolver(uow, principal.tenant_id),
                 Conditions(bundle.form, bundle.constants, econtext, bundle.conditions),
                 chosen)
    if not step.ok:
        raise ValidationError(step.problems or _refusal_problems(step))
    return _apply(uow, principal.username, doc, bundle, values, step, "submit", None, ctx)


def _save_submitted(uow: UnitOfWork, doc: Document, bundle: defs.Bundle) -> None:
    """Write the submitted document — one INSERT of the filled-in row for one that
    submit_new made — then hold its unique values."""
    if doc.id is None:
        DocRepo(uow.session).insert_document(doc)
    else:
        doc_writes.save_document(Driver.of(uow.session), doc)
    doc_checks.hold_unique(uow, doc, bundle.form, doc.data)


def _number(uow: UnitOfWork, tenant_id: int, doc: Document, bundle: defs.Bundle,
            values: dict[str, Any], now: datetime) -> None:
    """Give each serial field its number: gap-free, the counter moves in this transaction."""
    for f in bundle.form.fields:
        if f.kind is FieldKind.SERIAL and f.pattern and not values.get(f.key):
            day = now.date()
            seq = DocRepo(uow.session).next_serial(tenant_id, doc.form_key,
                                                   serial_scope(f.pattern, day))
            values[f.key] = format_serial(f.pattern, day, seq)
            doc.serial = doc.serial or values[f.key]


def _finish_quick(uow: UnitOfWork, principal: Principal, doc: Document, bundle: defs.Bundle,
                  values: dict[str, Any], ctx: CallContext) -> Outcome:
    events, revision, now = ["submitted", "approved"], doc.revision, ctx.now()
    doc.status, doc.finished_at, doc.revision, doc.updated_at = "approved", now, revision + 1, now
    _save_submitted(uow, doc, bundle)
    moved = doc_effects.post_events(uow, principal, doc, bundle, values, events, ctx,
                                    revision=revision)
    _record(uow, doc, principal.username, "submit", ctx.now())
    audit(uow, ctx, tenant_id=doc.tenant_id, object_type="document", object_id=doc.id,
          action="submit", after={"status": doc.status, "serial": doc.serial})
    return Outcome(view(doc), tuple(events), moved)


# actions -----------------------------------------------------------------------------------

def act(store: Store, principal: Principal, document_id: int, request: ActionRequest,
        ctx: CallContext = SYSTEM) -> Outcome:
    """Approve, reject, transfer, add an approver, withdraw, remind, comment or cancel.

    Task actions are the task holder's, withdraw the submitter's, as the flow says.
    Cancel, and remind or comment by someone neither the submitter nor involved, are for
    those who act for the form — tenant admins and members with one of its ``act`` roles
    who may view the document (:func:`.doc_access.acts_for`); others get 403
    ``document.act_denied`` naming who may."""
    if request.kind not in USER_ACTIONS:
        raise PermissionDenied.of("document.bad_action", f"'{request.kind}' is not an action "
                                  "people can take", f"'{request.kind}' 不是可执行的操作",
                                  path="action")

    def work(uow: UnitOfWork) -> Outcome:
        doc, nodes = _load_for_action(uow, principal, document_id)
        reader = doc_access.Reader.of(uow, principal, [doc], nodes)  # before the ledger
        outcome = act_in(uow, principal.tenant_id, principal.username, doc, request, ctx,
                         overseer=doc_access.acts_for(uow, principal, doc,
                                                      reader.rules[doc.form_key]))
        return _seen_outcome(uow, reader, doc, outcome)

    return _retrying(store, work)


def act_in(uow: UnitOfWork, tenant_id: int, actor: str, doc: Document, request: ActionRequest,
           ctx: CallContext, *, overseer: bool = False) -> Outcome:
    """:func:`act` on a locked document inside an open transaction (timers use it).
    ``overseer``: the actor acts for the document's form (see :func:`act`)."""
    now = ctx.now()
    bundle = defs.bundle(uow, tenant_id, doc.form_key, form_version=doc.form_version,
                         flow_version=doc.flow_version, rules_version=doc.rules_version,
                         pinned=True)
    if bundle.flow is None or doc.flow is None:
        return _act_without_flow(uow, tenant_id, actor, doc, bundle, request, ctx, overseer)
    data = {**doc.data, **request.fields}  # submitted data, checked then on this version
    values = _check(uow, bundle, data, now, partial=False, tenant_id=tenant_id,
                    stored=not request.fields)
    action = Action(ActionKind(request.kind), request.task, request.comment, request.target,
                    request.return_to, tuple(sorted(_changed(doc.data, request.fields))))
    econtext = eval_context(uow, tenant_id, now)
    instance = instance_from_json(doc.flow)
    step = advance(bundle.flow, instance, action, actor, now, StoreResolver(uow, tenant_id),
                   Conditions(bundle.form, bundle.constants, econtext, bundle.conditions),
                   values, overseer=overseer)
    if _already_done(step, instance, actor, request.kind):
        return Outcome(view(doc), repeated=True)
    if not step.ok:
        raise _refused(uow, doc, step, request.kind)
    if action.fields:
        data = to_json(bundle.form, values)  # doc.data takes it once the ledger has posted
        doc_checks.check_links(uow, tenant_id, bundle.form, data, now, only=action.fields)
        doc_checks.hold_unique(uow, doc, bundle.form, data)
    return _apply(uow, actor, doc, bundle, values, step, request.kind, request.comment, ctx,
                  before=instance)


def _already_done(step: Step, instance: FlowInstance, actor: str, kind: str) -> bool:
    """A double click or a retry: this actor already decided this way."""
    if step.refusal not in (Refusal.ALREADY_DECIDED, Refusal.NOT_RUNNING):
        return False
    decided = {"approve": TaskState.APPROVED, "reject": TaskState.REJECTED}.get(kind)
    return decided is not None and any(
        t.assignee == actor and t.state is decided for t in instance.tasks)


def _changed(before: Mapping[str, Any], edits: Mapping[str, Any]) -> set[str]:
    return {k for k, v in edits.items() if before.get(k) != v}


def _act_without_flow(uow: UnitOfWork, tenant_id: int, actor: str, doc: Document,
                      bundle: defs.Bundle, request: ActionRequest, ctx: CallContext,
                      overseer: bool) -> Outcome:
    """A document without a flow can only be cancelled once approved (by those who act
    for its form)."""
    if request.kind != "cancel":
        raise Conflict.of("document.no_flow", "This document has no approval flow",
                          "该单据没有审批流程", path="action")
    if not overseer and actor not in StoreResolver(uow, tenant_id).admins():
        raise access_rules.act_denied(
            doc.form_key, access_rules.rules_in(uow, tenant_id, doc.form_key), "cancel")
    if doc.status == "cancelled":
        return Outcome(view(doc), repeated=True)
    if doc.status != "approved":
        raise Conflict.of("flows.not_approved", "Only an approved document can be cancelled",
                          "只有已通过的单据可以作废")
    values = _check(uow, bundle, doc.data, ctx.now(), partial=False,
                    tenant_id=tenant_id)
    principal_like = _Actor(tenant_id, actor)
    doc_checks.release_unique(uow, doc, bundle.form, "cancelled")
    moved = doc_effects.post_events(uow, principal_like, doc, bundle, values, ["cancelled"], ctx)
    doc.status, doc.revision, doc.updated_at = "cancelled", doc.revision + 1, ctx.now()
    _record(uow, doc, actor, "cancel", ctx.now(), request.comment)
    audit(uow, ctx, tenant_id=tenant_id, object_type="document", object_id=doc.id,
          action="cancel", after={"status": doc.status})
    return Outcome(view(doc), ("cancelled",), moved)


@dataclass(frozen=True, slots=True)
class _Actor:
    tenant_id: int
    username: str


# A flow's refusal of someone who does not act for the form, by action.
_OVERSEEN = {"cancel": Refusal.NOT_ADMIN, "remind": Refusal.NOT_SUBMITTER,
             "comment": Refusal.NOT_INVOLVED}


def _refused(uow: UnitOfWork, doc: Document, step: Step, kind: str) -> Exception:
    if step.refusal is not None and _OVERSEEN.get(kind) is step.refusal:
        return access_rules.act_denied(
            doc.form_key, access_rules.rules_in(uow, doc.tenant_id, doc.form_key), kind)
    problems = list(step.problems) or _refusal_problems(step)
    if step.refusal in (Refusal.NOT_YOUR_TASK, Refusal.NOT_SUBMITTER, Refusal.NOT_ADMIN,
                        Refusal.NOT_INVOLVED):
        return PermissionDenied(problems)
    return Conflict(problems)


def _refusal_problems(step: Step) -> list[Problem]:
    from engine.errors import problem

    refusal = step.refusal
    assert refusal is not None
    return [problem(refusal.code, refusal.name.replace("_", " ").lower(),
                    refusal.name.replace("_", " ").lower(), path="action")]


def _apply(uow: UnitOfWork, actor: str, doc: Document, bundle: defs.Bundle,
           values: dict[str, Any], step: Step, action: str, comment: str | None,
           ctx: CallContext, before: FlowInstance | None = None) -> Outcome:
    now = ctx.now()
    assert step.instance is not None
    events = [str(e) for e in step.events]
    instance = step.instance
    status = STATUS[instance.status.value]
    submitting, revision = action == "submit", doc.revision
    if submitting:  # written whole before the ledger needs its id
        _settle(doc, bundle, values, instance, status, now)
        _save_submitted(uow, doc, bundle)
    doc_checks.release_unique(uow, doc, bundle.form, status)
    moved = doc_effects.post_events(uow, _Actor(doc.tenant_id, actor), doc, bundle, values,
                                    events, ctx, revision=revision)
    if not submitting:  # changed after the ledger's reads, which would flush it first
        _settle(doc, bundle, values, instance, status, now)
    write_tasks = doc_effects.sync_tasks(uow, doc, before, instance, step.effects, now,
                                         has_timers=bundle.has_timers)
    driver = Driver.of(uow.session)
    with driver.together():  # on PostgreSQL: document, tasks, timeline, outbox, audit at once
        doc_writes.save_document(driver, doc)
        write_tasks(driver)
        _record(uow, doc, actor, action, now, comment, detail={"events": events})
        audit(uow, ctx, tenant_id=doc.tenant_id, object_type="document", object_id=doc.id,
              action=action, after={"status": doc.status, "events": events})
    return Outcome(view(doc), tuple(events), moved)


def _settle(doc: Document, bundle: defs.Bundle, values: dict[str, Any],
            instance: FlowInstance, status: str, now: datetime) -> None:
    """The document after its step: data, flow, status, revision."""
    doc.data, doc.flow, doc.status = to_json(bundle.form, values), instance_to_json(instance), \
        status
    doc.revision, doc.updated_at = doc.revision + 1, now
    if status in ENDED:
        doc.finished_at = now


def _record(uow: UnitOfWork, doc: Document, actor: str, action: str, now: datetime,
            comment: str | None = None, detail: dict[str, Any] | None = None) -> None:
    doc_writes.add_event(Driver.of(uow.session), doc.tenant_id, doc.id, now, actor, action,
                         comment, detail)
