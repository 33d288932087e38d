"""Definitions admins author: forms, flows and rule sets, saved as drafts, published
as immutable numbered versions, compiled once per published version.

By convention a form's flow and rule set share the form's key. A document pins the
versions published when it was submitted and finishes on them.

Writing, checking and publishing take ``by``, the member doing it (the API passes its
caller; ``None`` is the system: the CLI, template installs). A member needs the right
to design the key's form: its access setting's ``design`` roles, when it has them
(:func:`.access_rules.require_design`; 403 ``definition.design_denied``). A key with
no published form has no access setting, so anyone holding ``design`` may create it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from engine.errors import NotFound, Problem, ValidationError, problem
from engine.flows import FlowSpec, load_flow
from engine.forms import FormScope, FormSpec, load_form
from engine.rules import CompiledRules, check_rules, compile_rules
from engine.rules.problems import is_error
from engine.services.access_rules import require_design
from engine.services.context import SYSTEM, CallContext, audit
from engine.services.identity import Principal
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Definition
from engine.store.uow import UnitOfWork, transaction

KINDS = ("form", "flow", "rules")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Saved:
    kind: str
    key: str
    version: int  # 0 for a draft
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    """What running a document needs, compiled: the form, its flow and its rules.

    Bundles of published versions never change, so they are cached whole; the
    branch conditions a bundle's flow evaluates are compiled once into ``conditions``.
    """

    form: FormSpec
    form_version: int
    flow: FlowSpec | None
    flow_version: int | None
    rules: CompiledRules | None
    rules_version: int | None
    constants: Mapping[str, str]
    conditions: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_timers(self) -> bool:
        """Whether any node of the flow has a timeout (so timers may exist)."""
        return self.flow is not None and any(
            getattr(node, "timeout", None) is not None for node in self.flow.walk())


class _Compiled:
    """A small LRU of compiled published versions: they never change, so caching them
    by (database, tenant, kind, key, version) is always safe."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        return None

    def put(self, key: tuple[Any, ...], value: T) -> T:
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


_CACHE = _Compiled()


def location_constants(uow: UnitOfWork, tenant_id: int) -> dict[str, str]:
    """The tenant's location codes that rules may name bare (``into warehouse``)."""
    return {code: "location" for code in DocRepo(uow.session).location_codes(tenant_id)
            if code.isidentifier()}


def _not_found(kind: str, key: str, version: int | None = None) -> NotFound:
    which = f" version {version}" if version else ""
    return NotFound.of(f"{kind}.not_found", f"No published {kind} '{key}'{which}",
                       f"没有已发布的{_ZH[kind]} '{key}'{which}", path="key")


_ZH = {"form": "表单", "flow": "流程", "rules": "规则"}


def check(uow: UnitOfWork, tenant_id: int, kind: str, key: str, body: Mapping[str, Any]
          ) -> list[Problem]:
    """Every problem with a definition body, as it would be checked at publish."""
    constants = location_constants(uow, tenant_id)
    if kind == "form":
        return list(load_form(body, constants=constants).problems)
    if kind == "flow":
        return list(load_flow(body).problems)
    form = _form_for(uow, tenant_id, key, constants)
    if form is None:
        return [problem("rules.no_form", f"Publish form '{key}' before its rules",
                        f"请先发布表单 '{key}'，再发布它的规则", rule=key)]
    text = body.get("text")
    if not isinstance(text, str):
        return [problem("rules.no_text", "A rule set needs its text", "规则集缺少规则文本",
                        path="text")]
    found = check_rules(text, FormScope.of(form, constants), form=key, name=key)
    return [p for p in found if not _is_warning(p)]


def _is_warning(p: Problem) -> bool:
    return not is_error(p)


def _form_for(uow: UnitOfWork, tenant_id: int, key: str, constants: Mapping[str, str]
              ) -> FormSpec | None:
    row = DocRepo(uow.session).definition(tenant_id, "form", key)
    return load_form(row.body, constants=constants).spec if row else None


def _may_design(uow: UnitOfWork, by: Principal | None, tenant_id: int, key: str) -> None:
    if by is not None:
        assert by.tenant_id == tenant_id, "a member designs in their own tenant"
        require_design(uow, by, key)


def save_draft(store: Store, tenant_id: int, kind: str, key: str, body: Mapping[str, Any],
               ctx: CallContext = SYSTEM, *, by: Principal | None = None) -> Saved:
    """Save (or replace) the draft; return the problems publishing would refuse."""
    assert kind in KINDS

    def work(uow: UnitOfWork) -> Saved:
        _may_design(uow, by, tenant_id, key)
        repo = DocRepo(uow.session)
        draft = repo.definition(tenant_id, kind, key, state="draft")
        if draft is None:
            draft = Definition(tenant_id=tenant_id, kind=kind, key=key, version=0,
                               state="draft", body=dict(body), source={},
                               created_at=ctx.now(), created_by=ctx.actor_id)
            repo.add(draft)
        else:
            draft.body = dict(body)
        audit(uow, ctx, tenant_id=tenant_id, object_type=kind, object_id=key,
              action="save_draft", after=dict(body))
        return Saved(kind, key, 0, tuple(check(uow, tenant_id, kind, key, body)))

    return transaction(store, work)


def publish(store: Store, tenant_id: int, kind: str, key: str, *,
            body: Mapping[str, Any] | None = None, source: Mapping[str, Any] | None = None,
            ctx: CallContext = SYSTEM, by: Principal | None = None) -> int:
    """Publish the draft (or ``body``) as the next version; refuse it with every problem."""
    assert kind in KINDS

    def work(uow: UnitOfWork) -> int:
        _may_design(uow, by, tenant_id, key)
        return publish_in(uow, tenant_id, kind, key, body=body, source=source, ctx=ctx)

    return transaction(store, work)


def publish_in(uow: UnitOfWork, tenant_id: int, kind: str, key: str, *,
               body: Mapping[str, Any] | None = None, source: Mapping[str, Any] | None = None,
               ctx: CallContext = SYSTEM) -> int:
    """:func:`publish` inside an open transaction (template installs use it)."""
    repo = DocRepo(uow.session)
    draft = repo.definition(tenant_id, kind, key, state="draft")
    content = dict(body) if body is not None else (dict(draft.body) if draft else None)
    if content is None:
        raise NotFound.of(f"{kind}.no_draft", f"No draft of {kind} '{key}' to publish",
                          f"{_ZH[kind]} '{key}' 没有可发布的草稿", path="key")
    problems = check(uow, tenant_id, kind, key, content)
    if problems:
        raise ValidationError(problems)
    version = repo.last_version(tenant_id, kind, key) + 1
    if draft is not None and body is None:
        uow.session.delete(draft)
        uow.session.flush()
    uow.memo.pop(("published", tenant_id, key), None)
    repo.add(Definition(tenant_id=tenant_id, kind=kind, key=key, version=version,
                        state="published", body=content, source=dict(source or {}),
                        created_at=ctx.now(), published_at=ctx.now(),
                        created_by=ctx.actor_id))
    audit(uow, ctx, tenant_id=tenant_id, object_type=kind, object_id=key, action="publish",
          after=content, detail={"version": version})
    return version


def published(uow: UnitOfWork, tenant_id: int, key: str) -> Mapping[tuple[str, int], Any]:
    """The published versions of ``key`` with their row ids and publication times, read
    once per transaction (:func:`publish_in` drops the entry when it adds one)."""
    memo = ("published", tenant_id, key)
    found = uow.memo.get(memo)
    if found is None:
        found = uow.memo[memo] = DocRepo(uow.session).published(tenant_id, key)
    assert isinstance(found, dict)
    return found


def known_published(uow: UnitOfWork, tenant_id: int, key: str,
                    found: dict[tuple[str, int], Any]) -> None:
    """What a read made together with others found for :func:`published`."""
    uow.memo.setdefault(("published", tenant_id, key), found)


def bundle(uow: UnitOfWork, tenant_id: int, form_key: str, *, form_version: int | None = None,
           flow_version: int | None = None, rules_version: int | None = None,
           pinned: bool = False) -> Bundle:
    """The compiled form, flow and rules: the newest published versions, or, with
    ``pinned``, exactly the versions given (``None`` meaning the document has none).

    A bundle in the cache costs one small query: which versions exist, with their row
    ids and publication times — so a cache entry can never serve a database whose
    rows were replaced (a restore, a test's truncation) under the same numbers."""
    stamps = published(uow, tenant_id, form_key)
    if pinned:
        versions = {"form": form_version, "flow": flow_version, "rules": rules_version}
    else:
        versions = {kind: max((v for k, v in stamps if k == kind), default=None)
                    for kind in KINDS}
    if versions.get("form") is None or ("form", versions["form"]) not in stamps:
        raise _not_found("form", form_key, form_version)
    key = (uow.store_url, tenant_id, form_key, *(
        (kind, versions.get(kind), stamps.get((kind, versions.get(kind) or 0)))
        for kind in KINDS))
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE.put(key, _build(uow, tenant_id, form_key, versions))
    assert isinstance(found, Bundle)
    return found


def _build(uow: UnitOfWork, tenant_id: int, form_key: str, versions: Mapping[str, int | None]
           ) -> Bundle:
    repo = DocRepo(uow.session)
    constants = location_constants(uow, tenant_id)

    def row(kind: str) -> Definition | None:
        version = versions.get(kind)
        return None if version is None else repo.definition(tenant_id, kind, form_key, version)

    form_row, flow_row, rules_row = row("form"), row("flow"), row("rules")
    if form_row is None:
        raise _not_found("form", form_key, versions.get("form"))
    form = load_form(form_row.body, constants=constants).require()
    flow = load_flow(flow_row.body).require() if flow_row else None
    rules = compile_rules(rules_row.body["text"], FormScope.of(form, constants), form=form_key,
                          name=form_key) if rules_row else None
    return Bundle(form, form_row.version, flow, flow_row.version if flow_row else None,
                  rules, rules_row.version if rules_row else None, constants)


def versions(store: Store, tenant_id: int, kind: str | None = None) -> list[tuple[str, str, int,
                                                                                   str]]:
    """(kind, key, version, state) of every definition of a tenant."""
    return transaction(store, lambda uow: [
        (d.kind, d.key, d.version, d.state)
        for d in DocRepo(uow.session).definitions(tenant_id, kind)], write=False)


@dataclass(frozen=True, slots=True)
class DefinitionView:
    kind: str
    key: str
    version: int  # 0: the draft
    state: str  # draft | published
    body: dict[str, Any]
    source: dict[str, Any]  # the template (and version) it came from, if any
    created_at: datetime
    published_at: datetime | None


def get(store: Store, tenant_id: int, kind: str, key: str, version: int | None = None, *,
        draft: bool = False) -> DefinitionView:
    """A published version (the newest when ``version`` is None), or the draft."""
    assert kind in KINDS

    def work(uow: UnitOfWork) -> DefinitionView:
        row = DocRepo(uow.session).definition(tenant_id, kind, key, version,
                                              state="draft" if draft else "published")
        if row is None:
            which = "draft" if draft else (f"version {version}" if version else "version")
            raise NotFound.of(f"{kind}.not_found", f"No {which} of {kind} '{key}'",
                              f"{_ZH[kind]} '{key}' 没有该{'草稿' if draft else '版本'}",
                              path="version" if version else "key")
        return DefinitionView(row.kind, row.key, row.version, row.state, dict(row.body),
                              dict(row.source), row.created_at, row.published_at)

    return transaction(store, work, write=False)


def validate(store: Store, tenant_id: int, kind: str, key: str,
             body: Mapping[str, Any] | None = None, *,
             by: Principal | None = None) -> list[Problem]:
    """Every problem publishing ``body`` (default: the draft) would refuse; saves nothing."""
    assert kind in KINDS

    def work(uow: UnitOfWork) -> list[Problem]:
        _may_design(uow, by, tenant_id, key)
        content = body
        if content is None:
            draft = DocRepo(uow.session).definition(tenant_id, kind, key, state="draft")
            if draft is None:
                raise NotFound.of(f"{kind}.no_draft", f"No draft of {kind} '{key}' to check",
                                  f"{_ZH[kind]} '{key}' 没有可检查的草稿", path="key")
            content = draft.body
        return check(uow, tenant_id, kind, key, content)

    return transaction(store, work, write=False)
