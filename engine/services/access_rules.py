"""A form's access setting as a value: what it says, its checks, and who may design the
form or act for it.

The setting (``form_access``; one small JSON object per form, not versioned — a change
applies at once) says::

    {"create": ["clerk"],                        # who may create; absent: every member
     "view": {"store_manager": "department"},    # per role: own | department | all
     "submitter_fields": {"cost": "hidden"},     # the submitter's field permissions
     "act": ["store_manager"],                   # who may act for the form; absent: admins
     "design": ["purchasing_lead"]}              # who may change it; absent: every designer

* **act** — besides tenant admins, members holding one of these roles may take the
  actions not bound to a task of theirs on the documents of the form **they may view**:
  cancel an approved document (its postings are reversed), and remind or comment on a
  document they are neither the submitter of nor hold a task on. Task actions stay
  with the task's holder, withdraw with the submitter. Absent: tenant admins only.
* **design** — besides tenant admins, only members holding one of these roles may save
  drafts of, check, publish and dry-run the form, flow and rules of the form's key, and
  change this setting. It narrows the ``design`` permission (checked by the API), it
  does not grant it. Absent: whoever holds ``design``. A key with no published form has
  no setting yet, so creating a form needs only the ``design`` permission.

:mod:`.doc_access` applies create and view to documents, :mod:`.documents` applies
``act`` (through the flow's *overseer*), :mod:`.definitions` applies ``design``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Message, PermissionDenied, Problem, Source, problem
from engine.services.identity import Principal
from engine.store.doc_repo import DocRepo
from engine.store.uow import UnitOfWork

SCOPES = ("own", "department", "all")
LEVELS = ("hidden", "read", "edit")
EVERYONE = "*"
MAX_ROLES = 100
KEYS = ("create", "view", "submitter_fields", "act", "design")
ROLE_LISTS = ("create", "act", "design")


@dataclass(frozen=True, slots=True)
class AccessRules:
    """A form's access setting, parsed (the defaults when nothing is declared)."""

    create: tuple[str, ...] | None = None  # None: every member
    view: Mapping[str, str] = field(default_factory=dict)
    submitter_fields: Mapping[str, str] = field(default_factory=dict)
    act: tuple[str, ...] | None = None  # None: tenant admins only
    design: tuple[str, ...] | None = None  # None: whoever holds the design permission

    def may_create(self, principal: Principal) -> bool:
        return principal.is_admin or self.create is None or _holds(principal, self.create)

    def scope(self, principal: Principal) -> str:
        if principal.is_admin:
            return "all"
        found = [self.view.get(role, "own") for role in (*principal.roles, EVERYONE)]
        return max(found, key=SCOPES.index)

    def grants_act(self, principal: Principal) -> bool:
        """A tenant admin, or a member with an ``act`` role (who still needs to be able
        to view the document: see ``doc_access.acts_for``)."""
        return principal.is_admin or (self.act is not None and _holds(principal, self.act))

    def may_design(self, principal: Principal) -> bool:
        return principal.is_admin or self.design is None or _holds(principal, self.design)

    def as_json(self) -> dict[str, Any]:
        return {"create": _listed(self.create), "view": dict(self.view),
                "submitter_fields": dict(self.submitter_fields), "act": _listed(self.act),
                "design": _listed(self.design)}


def _holds(principal: Principal, roles: Iterable[str]) -> bool:
    return not set(principal.roles).isdisjoint(roles)


def _listed(roles: tuple[str, ...] | None) -> list[str] | None:
    return None if roles is None else list(roles)


def _roles(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def parse(body: Mapping[str, Any]) -> AccessRules:
    """The setting as stored (already checked by :func:`check`; keys added later may be
    missing from older rows, and mean their default)."""
    return AccessRules(_roles(body.get("create")), dict(body.get("view") or {}),
                       dict(body.get("submitter_fields") or {}), _roles(body.get("act")),
                       _roles(body.get("design")))


def known(uow: UnitOfWork, tenant_id: int, form_key: str, body: dict[str, Any] | None
          ) -> None:
    """What a read made together with others found for :func:`rules_in`."""
    uow.memo.setdefault(("form_access", tenant_id, form_key),
                        AccessRules() if body is None else parse(body))


def rules_in(uow: UnitOfWork, tenant_id: int, form_key: str) -> AccessRules:
    """The form's setting, read once per transaction (``set_rules`` drops the entry)."""
    memo = ("form_access", tenant_id, form_key)
    found = uow.memo.get(memo)
    if found is None:
        body = DocRepo(uow.session).form_access_body(tenant_id, form_key)
        found = uow.memo[memo] = AccessRules() if body is None else parse(body)
    assert isinstance(found, AccessRules)
    return found


# checks -------------------------------------------------------------------------------------

def check(body: Mapping[str, Any], field_keys: Iterable[str]) -> list[Problem]:
    """Every problem with the shape of an access setting, with its path."""
    found: list[Problem] = []
    known = set(field_keys)
    for key in body:
        if key not in KEYS:
            found.append(problem("access.unknown_key", f"Unknown key '{key}': use "
                                 f"{', '.join(KEYS)}", f"未知的键 '{key}'：请使用 "
                                 f"{'、'.join(KEYS)}", path=str(key)))
    for name in ROLE_LISTS:
        roles = body.get(name)
        if roles is not None and (not isinstance(roles, list) or len(roles) > MAX_ROLES
                                  or not all(isinstance(r, str) and r for r in roles)):
            found.append(problem(f"access.bad_{name}", f"'{name}' is a list of role keys",
                                 f"'{name}' 应为角色标识列表", path=name))
    for name, allowed in (("view", SCOPES), ("submitter_fields", LEVELS)):
        value = body.get(name) or {}
        if not isinstance(value, Mapping) or len(value) > MAX_ROLES:
            found.append(problem(f"access.bad_{name}", f"'{name}' maps names to one of "
                                 f"{', '.join(allowed)}", f"'{name}' 应映射到 "
                                 f"{'、'.join(allowed)} 之一", path=name))
            continue
        for key, level in value.items():
            if level not in allowed:
                found.append(problem(f"access.bad_{name}", f"'{level}' is not one of "
                                     f"{', '.join(allowed)}", f"'{level}' 不是 "
                                     f"{'、'.join(allowed)} 之一", path=f"{name}.{key}"))
            elif name == "submitter_fields" and key.split(".")[0] not in known:
                found.append(problem("access.unknown_field", f"The form has no field '{key}'",
                                     f"表单没有字段 '{key}'", path=f"{name}.{key}"))
    return found


def named_roles(body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, role key) of every role a well-shaped setting names (``"*"`` aside)."""
    for name in ROLE_LISTS:
        for n, role in enumerate(body.get(name) or ()):
            yield f"{name}[{n}]", role
    for role in body.get("view") or {}:
        if role != EVERYONE:
            yield f"view.{role}", role


def check_roles(body: Mapping[str, Any], existing: Iterable[str],
                principal: Principal) -> list[Problem]:
    """Roles the tenant does not have, and a ``design`` list that would shut its own
    author (not an admin) out of the form."""
    have = set(existing)
    found = [problem("access.unknown_role", f"There is no role '{role}': create it first, "
                     "or name one of the tenant's roles", f"没有角色 '{role}'：请先创建，"
                     "或填写租户已有的角色", path=path)
             for path, role in named_roles(body) if role not in have]
    design = body.get("design")
    if design is not None and not principal.is_admin and not _holds(principal, design):
        mine = ", ".join(principal.roles) or "-"
        found.append(problem(
            "access.design_excludes_you", "This 'design' list leaves you out: you could no "
            f"longer change the form. Add one of your roles ({mine}), or ask a tenant admin",
            f"该 design 列表不包含您：保存后您将无法再修改此表单。请加入您的角色（{mine}），"
            "或联系租户管理员", path="design"))
    return found


# refusals ----------------------------------------------------------------------------------

def _who(roles: tuple[str, ...] | None) -> tuple[str, str]:
    """'tenant admins and members with the role …' in both languages."""
    if not roles:
        return "tenant admins", "租户管理员"
    quoted = [f"'{r}'" for r in roles]
    return (f"tenant admins and members with the role {', '.join(quoted)}",
            f"租户管理员和拥有角色 {'、'.join(quoted)} 的成员")


def require_design(uow: UnitOfWork, principal: Principal, form_key: str) -> None:
    """Refuse a member whom the form's ``design`` roles leave out: 403
    ``definition.design_denied``, naming who may design it and how to get access."""
    rules = rules_in(uow, principal.tenant_id, form_key)
    if rules.may_design(principal):
        return
    en, zh = _who(rules.design)
    raise _denied("definition.design_denied",
                  Message(f"Only {en} may design form '{form_key}' (its flow and rules too)",
                          f"只有{zh}可以设计表单 '{form_key}'（含其流程和规则）"),
                  Source(form=form_key, path="key"), "design")


def _denied(code: str, message: Message, source: Source, setting: str) -> PermissionDenied:
    """403 ``code``, with the way in: a role from the tenant admin, or the setting."""
    return PermissionDenied(Problem(code, message, source, hint=Message(
        "Ask a tenant admin to grant you one of these roles, or to add one of yours to the "
        f"form's access setting ('{setting}')",
        f"请联系租户管理员授予您其中一个角色，或将您的角色加入该表单访问设置的 {setting}")))


ACTS = {
    "cancel": (("", "cancel approved '{form}' documents"), ("", "作废已通过的 '{form}' 单据")),
    "remind": (("the submitter, ", "remind the approvers of '{form}' documents"),
               ("提交人、", "催办 '{form}' 单据")),
    "comment": (("the submitter, the people with its tasks or copies, ",
                 "comment on '{form}' documents"),
                ("提交人、审批及抄送相关人员、", "评论 '{form}' 单据")),
}


def act_denied(form_key: str, rules: AccessRules, kind: str) -> PermissionDenied:
    """403 ``document.act_denied``: who may take ``kind`` on the form's documents, and how
    to become one of them."""
    (en_also, en_what), (zh_also, zh_what) = ACTS[kind]
    en, zh = _who(rules.act)
    scope_en = " (members: on documents they may view)" if rules.act else ""
    scope_zh = "（成员限其可查看的单据）" if rules.act else ""
    return _denied("document.act_denied",
                   Message(f"Only {en_also}{en}{scope_en} may {en_what.format(form=form_key)}",
                           f"只有{zh_also}{zh}{scope_zh}可以{zh_what.format(form=form_key)}"),
                   Source(form=form_key, path="action"), "act")
