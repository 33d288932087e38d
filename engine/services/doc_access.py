"""Who may create, view and act on a form's documents, and which fields a reader sees.

The form's **access setting** (:mod:`.access_rules`: ``create``, ``view``,
``submitter_fields``, ``act``, ``design``) is read and replaced here; this module
applies its document parts:

* Tenant admins create and view everything.
* **own** — documents one submitted, and those one holds or held a task on (cc too);
  every member has it. **department** adds the documents submitted by members of
  one's department and the departments below it; **all** adds every document of the
  form. A member's scope is the widest of their roles' (and of ``"*"``). Nobody but
  its creator sees a draft.
* A document one may not view answers ``document.not_found`` (404), like another
  tenant's.
* **act** — tenant admins, and members with an ``act`` role on documents they may view,
  act for the form (:func:`acts_for`): cancel, remind, comment.

Fields on read: the submitter sees the document as the implicit start node allows
(``submitter_fields``: ``hidden`` fields removed; ``hidden`` and ``read`` fields may not
be given on create, update or submit); someone who holds or held tasks on it sees what
the nodes of those tasks do not hide (the widest of them); admins and readers who
see it through their view scope alone see every field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.flows import FlowSpec, instance_from_json
from engine.flows.spec import BranchNode
from engine.forms import apply_permissions, edits_allowed, with_defaults
from engine.services import definitions as defs
from engine.services import doc_checks
from engine.services.access_rules import (
    LEVELS,
    check,
    check_roles,
    named_roles,
    parse,
    require_design,
)
from engine.services.access_rules import AccessRules as AccessRules  # re-exported
from engine.services.access_rules import rules_in as rules_in  # re-exported
from engine.services.context import SYSTEM, CallContext, audit
from engine.services.identity import Principal
from engine.store.db import Store
from engine.store.doc_repo import DocRepo, Visible
from engine.store.doc_tables import Document, FormAccess
from engine.store.uow import UnitOfWork, transaction

# the setting -----------------------------------------------------------------------------

def get_rules(store: Store, principal: Principal, form_key: str) -> AccessRules:
    """A published form's access setting (the defaults when none was set)."""
    def work(uow: UnitOfWork) -> AccessRules:
        defs.bundle(uow, principal.tenant_id, form_key)  # 404 for an unknown form
        return rules_in(uow, principal.tenant_id, form_key)

    return transaction(store, work, write=False)


def set_rules(store: Store, principal: Principal, form_key: str, body: Mapping[str, Any],
              ctx: CallContext = SYSTEM) -> AccessRules:
    """Replace a published form's access setting; refuse it with every problem (422).
    Only those who may design the form may (403 ``definition.design_denied``)."""
    def work(uow: UnitOfWork) -> AccessRules:
        form = defs.bundle(uow, principal.tenant_id, form_key).form
        require_design(uow, principal, form_key)
        problems = check(body, (f.key for f in form.fields))
        if not problems:
            used = {role for _, role in named_roles(body)}
            problems = check_roles(body, uow.identity.existing_roles(principal.tenant_id, used),
                                   principal)
        if problems:
            raise ValidationError(problems)
        rules = parse(body)
        uow.memo.pop(("form_access", principal.tenant_id, form_key), None)
        repo = DocRepo(uow.session)
        row = repo.form_access(principal.tenant_id, form_key)
        now = ctx.now()
        if row is None:
            repo.add(FormAccess(tenant_id=principal.tenant_id, form_key=form_key,
                                body=rules.as_json(), updated_at=now,
                                updated_by=principal.username))
        else:
            row.body, row.updated_at, row.updated_by = rules.as_json(), now, principal.username
        audit(uow, ctx, tenant_id=principal.tenant_id, object_type="form_access",
              object_id=form_key, action="update", after=rules.as_json())
        return rules

    return transaction(store, work)


# checks used by the document services -------------------------------------------------

def require_create(uow: UnitOfWork, principal: Principal, form_key: str) -> AccessRules:
    rules = rules_in(uow, principal.tenant_id, form_key)
    if not rules.may_create(principal):
        raise PermissionDenied.of(
            "document.create_denied", f"Your roles may not create '{form_key}' documents: "
            "ask a tenant admin", f"您的角色不能创建 '{form_key}' 单据：请联系租户管理员",
            form=form_key)
    return rules


def submitter_edits(uow: UnitOfWork, principal: Principal, bundle: defs.Bundle,
                    data: Mapping[str, Any], rules: AccessRules | None = None) -> None:
    """Refuse values the submitter may not give (fields hidden or read-only at start)."""
    rules = rules or rules_in(uow, principal.tenant_id, bundle.form.key)
    if not rules.submitter_fields or principal.is_admin:
        return
    allowed = {**{f.key: "edit" for f in bundle.form.fields}, **rules.submitter_fields}
    found = edits_allowed(bundle.form, with_defaults(bundle.form, {}), data, allowed)
    if found:
        raise ValidationError(found)


def may_view(uow: UnitOfWork, principal: Principal, doc: Document) -> bool:
    if principal.is_admin or doc.submitter == principal.username:
        return True
    if doc.status == "draft":
        return False
    repo = DocRepo(uow.session)
    if repo.involved(doc.tenant_id, doc.id, principal.username):
        return True
    scope = rules_in(uow, doc.tenant_id, doc.form_key).scope(principal)
    if scope == "all":
        return True
    return scope == "department" and doc.submitter_id in repo.department_users(
        doc.tenant_id, principal.user_id)


def acts_for(uow: UnitOfWork, principal: Principal, doc: Document,
             rules: AccessRules | None = None) -> bool:
    """Whether ``principal`` acts for ``doc``'s form (the flow's *overseer*): a tenant
    admin, or a member with one of its ``act`` roles who may view ``doc``."""
    rules = rules or rules_in(uow, doc.tenant_id, doc.form_key)
    return principal.is_admin or (rules.grants_act(principal)
                                  and may_view(uow, principal, doc))


def viewable(uow: UnitOfWork, principal: Principal, document_id: int, *, lock: bool = False
             ) -> Document:
    """The document, or 404 when it is not there or not for this principal's eyes."""
    doc = DocRepo(uow.session).document(principal.tenant_id, document_id, lock=lock)
    if doc is None or not may_view(uow, principal, doc):
        raise NotFound.of("document.not_found", f"No document {document_id}",
                          f"单据 {document_id} 不存在", path="document_id")
    return doc


def visible(uow: UnitOfWork, principal: Principal) -> Visible | None:
    """The list filter for a principal (None: an admin sees every document)."""
    if principal.is_admin:
        return None
    repo = DocRepo(uow.session)
    scopes = {key: parse(body).scope(principal)
              for key, body in repo.form_accesses(principal.tenant_id).items()}
    department = frozenset(k for k, s in scopes.items() if s == "department")
    return Visible(principal.username, frozenset(k for k, s in scopes.items() if s == "all"),
                   department,
                   repo.department_users(principal.tenant_id, principal.user_id)
                   if department else frozenset())


# fields on read -------------------------------------------------------------------------------

def reader_permissions(principal: Principal, doc: Document, flow: FlowSpec | None,
                       nodes: Iterable[str], rules: AccessRules) -> dict[str, str] | None:
    """What ``principal`` may see of ``doc`` (None: everything)."""
    if principal.is_admin:
        return None
    if doc.submitter == principal.username:
        return dict(rules.submitter_fields) or None
    held = [node for n in nodes if flow is not None
            and not isinstance(node := flow.index.nodes.get(n), BranchNode | None)]
    if not held:
        return None
    keys = {k for n in held for k in n.permissions}
    out: dict[str, str] = {}
    for key in keys:
        levels = []
        for node in held:
            given = node.permissions.get(key) or node.permissions.get(key.split(".")[0])
            levels.append("read" if given is None else given.value)
        out[key] = max(levels, key=LEVELS.index)
    return out


@dataclass(frozen=True, slots=True)
class Reader:
    """What a principal's reads of several documents need, fetched once."""

    principal: Principal
    nodes: dict[int, set[str]]
    rules: dict[str, AccessRules]

    @classmethod
    def of(cls, uow: UnitOfWork, principal: Principal, docs: Iterable[Document],
           nodes: dict[int, set[str]] | None = None) -> Reader:
        """``nodes``: the principal's task nodes per document, when already read."""
        docs = list(docs)
        others = [d.id for d in docs if d.submitter != principal.username]
        if nodes is None:
            nodes = DocRepo(uow.session).task_nodes(principal.tenant_id, principal.username,
                                                    others)
        else:
            nodes = {doc_id: nodes[doc_id] for doc_id in others if nodes.get(doc_id)}
        rules = {k: rules_in(uow, principal.tenant_id, k) for k in {d.form_key for d in docs}}
        return cls(principal, nodes, rules)

    def data(self, uow: UnitOfWork, doc: Document, data: Mapping[str, Any]) -> dict[str, Any]:
        if self.principal.is_admin:
            return dict(data)
        bundle = pinned(uow, doc)
        nodes = set(self.nodes.get(doc.id, ()))
        if doc.flow and doc.submitter != self.principal.username:
            # The instance knows the reader's tasks too, even those this very
            # transaction just made (the outcome of an action): no query needed.
            nodes |= {t.node for t in instance_from_json(doc.flow).tasks
                      if t.assignee == self.principal.username}
        permissions = reader_permissions(self.principal, doc, bundle.flow, nodes,
                                         self.rules[doc.form_key])
        return dict(data) if permissions is None else apply_permissions(bundle.form, data,
                                                                        permissions)


def pinned(uow: UnitOfWork, doc: Document) -> defs.Bundle:
    """The definitions a document runs on (a draft: the form version it was saved on)."""
    return defs.bundle(uow, doc.tenant_id, doc.form_key, form_version=doc.form_version,
                       flow_version=doc.flow_version, rules_version=doc.rules_version,
                       pinned=True)


def present(uow: UnitOfWork, principal: Principal, docs: Sequence[Document],
            views: Sequence[Any], reader: Reader | None = None) -> list[Any]:
    """``views`` of ``docs`` as ``principal`` may read them: hidden fields removed, the
    display fields of linked records added. An action passes the ``reader`` it read
    before touching the ledger, so that nothing is read while balances are locked
    (but linked records, for forms that have them)."""
    reader = reader or Reader.of(uow, principal, docs)
    out: list[Any] = []
    by_form: dict[tuple[str, int], list[int]] = {}
    for n, doc in enumerate(docs):
        by_form.setdefault((doc.form_key, doc.form_version), []).append(n)
    shown = [reader.data(uow, doc, view.data) for doc, view in zip(docs, views, strict=True)]
    links: dict[int, dict[str, Any]] = {}
    for indexes in by_form.values():
        form = pinned(uow, docs[indexes[0]]).form
        links.update(doc_checks.links_of(uow, principal.tenant_id, form,
                                         [(docs[i].id, shown[i]) for i in indexes]))
    for doc, view, data in zip(docs, views, shown, strict=True):
        out.append(replace(view, data=data, links=links.get(doc.id, {})))
    return out
