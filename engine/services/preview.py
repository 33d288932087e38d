"""Effect previews and rule dry runs: do the real thing, look, and roll it back.

An approver sees, before acting, exactly what the action would post: the movements
with the batches picked and their values, the balances before and after, and the
ledger's refusal if there would be one. The action runs in a savepoint of a
transaction that is always rolled back, through the very code that would commit it —
so a preview can never disagree with the outcome it previews.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import Conflict, EngineError, Problem, ValidationError
from engine.forms import FormScope, check_document, load_form
from engine.rules import DictScope, compile_rules
from engine.services import definitions as defs
from engine.services import doc_access
from engine.services.access_rules import require_design
from engine.services.context import SYSTEM, CallContext
from engine.services.doc_effects import refused, split_event
from engine.services.doc_support import Bridge, eval_context
from engine.services.documents import ActionRequest, act_in
from engine.services.identity import Principal
from engine.services.posting import Origin, post_in
from engine.store import preview_repo
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.ledger_apply import Stale
from engine.store.uow import UnitOfWork

Key = tuple[int, int, int]
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class MovementLine:
    item: str
    qty: Decimal
    from_location: str
    to_location: str
    batch: str | None = None
    expiry: date | None = None
    value: Decimal | None = None
    reverses: int | None = None


@dataclass(frozen=True, slots=True)
class BalanceLine:
    item: str
    location: str
    batch: str | None
    on_hand_before: Decimal
    on_hand_after: Decimal
    reserved_before: Decimal
    reserved_after: Decimal

    @property
    def available_after(self) -> Decimal:
        return self.on_hand_after - self.reserved_after


@dataclass(frozen=True, slots=True)
class Preview:
    ok: bool
    status_after: str | None
    events: tuple[str, ...]
    effects: tuple[dict[str, Any], ...]  # the rule effects, as the rules produced them
    movements: tuple[MovementLine, ...]
    balances: tuple[BalanceLine, ...]
    problems: tuple[Problem, ...] = ()


class _Rollback(Exception):
    def __init__(self, preview: Preview) -> None:
        super().__init__("preview")
        self.preview = preview


def _observe(uow: UnitOfWork, tenant_id: int, document_id: int,
             run: Callable[[], tuple[str | None, tuple[str, ...], tuple[dict[str, Any], ...]]]
             ) -> Preview:
    """Run ``run`` in a savepoint, read what it wrote, roll the savepoint back, read the
    same balances as they were, and describe the difference."""
    session = uow.session
    moved_before, reserved_before = preview_repo.high_water(session, tenant_id)
    savepoint = session.begin_nested()
    try:
        status, events, effects = run()
        problems: tuple[Problem, ...] = ()
    except EngineError as error:
        status, events, effects, problems = None, (), (), error.problems
    session.flush()
    lines = preview_repo.movements_since(session, tenant_id, moved_before)
    keys = {(m["item_id"], loc, m["batch_id"] or 0) for m in lines
            for loc in (m["from_id"], m["to_id"])}
    keys |= preview_repo.reservation_keys(session, tenant_id, document_id, reserved_before)
    after = preview_repo.balances(session, tenant_id, keys)
    savepoint.rollback()
    before = preview_repo.balances(session, tenant_id, keys)
    return Preview(not problems, status, events, effects,
                   tuple(_movement(m) for m in lines), _balances(keys, before, after), problems)


def _movement(m: dict[str, Any]) -> MovementLine:
    return MovementLine(m["item"], m["qty"], m["from"], m["to"], m["batch"], m["expiry"],
                        m["value"], m["reversal_of"])


def _balances(keys: set[Key], before: Mapping[Key, Any], after: Mapping[Key, Any]
              ) -> tuple[BalanceLine, ...]:
    zero = Decimal(0)
    out = []
    for key in sorted(keys):
        b, a = before.get(key), after.get(key)
        names = a or b
        if names is None:
            continue
        out.append(BalanceLine(names[2], names[3], names[4], b[0] if b else zero,
                               a[0] if a else zero, b[1] if b else zero, a[1] if a else zero))
    return tuple(line for line in out if (line.on_hand_before, line.reserved_before)
                 != (line.on_hand_after, line.reserved_after))


def _rolled_back(store: Store, work: Callable[[UnitOfWork], Preview]) -> Preview:
    def wrapped(uow: UnitOfWork) -> Preview:
        raise _Rollback(work(uow))

    for _ in range(MAX_ATTEMPTS):
        try:
            store.run(lambda session: wrapped(UnitOfWork(session, store.backend, store.url)))
        except _Rollback as done:
            return done.preview
        except Stale:
            continue  # stock moved while we looked: look again
    raise Conflict.of("preview.busy", "The stock changed too often to preview: try again",
                      "库存变动过于频繁，无法预览，请重试")


def _compiled(form: Mapping[str, Any], text: str, document: Mapping[str, Any],
              constants: Mapping[str, str], ctx: Any) -> tuple[str, Any, Mapping[str, Any]]:
    """(form key, compiled rules, typed document) from a form or a short scope."""
    if isinstance(form.get("fields"), Mapping):
        all_constants = {**constants, **(form.get("constants") or {})}
        scope = DictScope.from_spec(form["fields"], constants=all_constants)
        key = _form_key(form)
        return key, compile_rules(text, scope, form=key, name=key), \
            typed(document, form["fields"])
    spec = load_form(form, constants=constants).require()
    checked = check_document(spec, document, ctx=ctx, constants=constants)
    if checked.problems:
        raise ValidationError(checked.problems)
    return spec.key, compile_rules(text, FormScope.of(spec, constants), form=spec.key,
                                   name=spec.key), checked.values


def _form_key(form: Mapping[str, Any]) -> str:
    """The key of a form definition or of a short scope (``{"form", "fields"}``)."""
    return str(form.get("form", "") if isinstance(form.get("fields"), Mapping)
               else form.get("key", ""))


def typed(value: Any, spec: Any) -> Any:
    """A document's values as the scope's field kinds say (numbers exact, dates parsed)."""
    if isinstance(spec, Mapping) and "kind" not in spec:
        if isinstance(value, list):
            return [typed(row, spec) for row in value]
        if isinstance(value, Mapping):
            return {k: typed(v, spec.get(k, "text")) for k, v in value.items()}
        return value
    kind = spec["kind"] if isinstance(spec, Mapping) else spec
    if value is None:
        return None
    if kind in ("number", "money"):
        return Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    return value


def preview_action(store: Store, principal: Principal, document_id: int,
                   request: ActionRequest, ctx: CallContext = SYSTEM) -> Preview:
    """What ``request`` would do to the document and the stock; nothing is kept."""
    def work(uow: UnitOfWork) -> Preview:
        doc = DocRepo(uow.session).document(principal.tenant_id, document_id, lock=True)
        if doc is None:
            from engine.errors import NotFound

            raise NotFound.of("document.not_found", f"No document {document_id}",
                              f"单据 {document_id} 不存在", path="document_id")

        def run() -> tuple[str | None, tuple[str, ...], tuple[dict[str, Any], ...]]:
            outcome = act_in(uow, principal.tenant_id, principal.username, doc, request, ctx,
                             overseer=doc_access.acts_for(uow, principal, doc))
            return outcome.document.status, outcome.events, ()

        return _observe(uow, principal.tenant_id, document_id, run)

    return _rolled_back(store, work)


def dry_run(store: Store, tenant_id: int, rules_text: str, form: Mapping[str, Any],
            document: Mapping[str, Any], event: str, *, document_id: int = 0,
            ctx: CallContext = SYSTEM, by: Principal | None = None) -> Preview:
    """The effects a rule set would produce for ``document`` on ``event`` (``approved``,
    ``approved_at:finance`` …), posted and rolled back: movements with picked batches
    and values, balances before and after, and any refusal.

    ``form`` is a form definition, or the short scope docs/rules.md writes
    (``{"form", "fields", "constants"}``, the document typed from the scope).
    ``by``: the member trying it, who must be able to design that form (see
    :mod:`.definitions`)."""
    def work(uow: UnitOfWork) -> Preview:
        if by is not None:
            require_design(uow, by, _form_key(form))
        constants = defs.location_constants(uow, tenant_id)
        econtext = eval_context(uow, tenant_id, ctx.now())
        form_key, rules, values = _compiled(form, rules_text, document, constants, econtext)
        name, node = split_event(event)
        found = rules.effects(form_key, name, node, values, econtext)

        def run() -> tuple[str | None, tuple[str, ...], tuple[dict[str, Any], ...]]:
            bridged = Bridge(uow, tenant_id, document_id, event).convert(found)
            if bridged.problems:
                raise ValidationError(bridged.problems)
            if not bridged.effects:  # a lock, say: nothing to post
                return None, (event,), ()
            result = post_in(uow, tenant_id, Origin(document_id, 0, f"{form_key}.dry-run",
                                                    event), bridged.effects, ctx)
            if not result.ok:
                raise refused(result, form_key)
            return None, (event,), ()

        seen = _observe(uow, tenant_id, document_id, run)
        return replace(seen, effects=tuple(e.as_dict() for e in found))

    return _rolled_back(store, work)
