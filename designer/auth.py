"""Who is calling, and what may they do.

Two credentials, and the tenant always comes from the credential:

* **Bearer API tokens** (``Authorization: Bearer flt_…``) for integrations. A token
  acts as the user it was made for, in that token's tenant.
* **The session cookie** for the UI (set by ``/login`` or ``POST /api/v1/session``).
  Unsafe API methods with a session also need the CSRF token in ``X-CSRFToken``.

Permissions are names such as ``stock.view``. Tenant admins hold every one. Other
members hold :data:`MEMBER_PERMISSIONS` (documents: create, view, act — the flow
itself decides whose turn an action is) plus the permissions of their roles: a role
whose key is a permission name grants it; a few conventional role keys grant a set
(:data:`ROLE_PERMISSIONS`). ``identity.manage`` is for admins only and no role grants
it.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, g, request, session

from designer import runtime
from engine.errors import AuthenticationFailed, Message, PermissionDenied
from engine.services import identity
from engine.services.context import CallContext, enter_tenant, leave_tenant
from engine.services.identity import Principal

ADMIN = "identity.manage"

PERMISSIONS: Mapping[str, Message] = {
    ADMIN: Message("manage users, roles, departments, memberships and others' API tokens",
                   "管理用户、角色、部门、成员和他人的 API 令牌"),
    "identity.view": Message("see users, roles and departments", "查看用户、角色和部门"),
    "masterdata.view": Message("see items, locations, batches, BOMs and recipes",
                               "查看物料、库位、批次、物料清单和配方"),
    "masterdata.edit": Message("create items, locations, batches; set BOMs and recipes",
                               "创建物料、库位、批次，设置物料清单和配方"),
    "stock.view": Message("see balances, movements and stock reports", "查看库存、流水和库存报表"),
    "stock.value": Message("see stock valuation", "查看库存估值"),
    "ledger.post": Message("post ledger effects directly (integrations)", "直接过账（集成）"),
    "sales.post": Message("upload point-of-sale batches", "上传门店销售批次"),
    "audit.view": Message("read the audit log", "查看审计日志"),
    "design": Message("author forms, flows and rules: drafts, checks, publishing, dry runs; "
                      "see the industry templates",
                      "设计表单、流程和规则：草稿、检查、发布、试运行；查看行业模板"),
    "definitions.view": Message("see published forms, flows and rules",
                                "查看已发布的表单、流程和规则"),
    "documents.create": Message("create, edit and submit own documents", "创建、编辑并提交自己的单据"),
    "documents.view": Message("see documents, their timelines and the task boxes",
                              "查看单据、单据动态和待办箱"),
    "documents.act": Message("act on documents (approve, reject, transfer…) when the flow "
                             "allows it", "在流程允许时处理单据（同意、驳回、转交…）"),
}

# What every member holds whatever their roles: the flow decides who may act when.
MEMBER_PERMISSIONS = frozenset({"definitions.view", "documents.create", "documents.view",
                                "documents.act"})

_VIEW = frozenset({"identity.view", "masterdata.view", "stock.view"})
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "viewer": _VIEW,
    "staff": _VIEW | {"sales.post"},
    "cashier": _VIEW | {"sales.post"},
    "pos": _VIEW | {"sales.post"},
    "storekeeper": _VIEW | {"masterdata.edit", "ledger.post"},
    "stock_manager": _VIEW | {"masterdata.edit", "ledger.post", "stock.value"},
    "integration": _VIEW | {"masterdata.edit", "ledger.post", "sales.post", "stock.value"},
    "accountant": _VIEW | {"stock.value", "audit.view"},
    "auditor": _VIEW | {"stock.value", "audit.view"},
    "designer": _VIEW | {"design"},
}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_TOKEN_LENGTH = 512


def login_session(principal: Principal) -> None:
    session.clear()  # a fresh session on login: no fixation
    session["uid"], session["tid"] = principal.user_id, principal.tenant_id
    session.permanent = True


def current_principal() -> Principal | None:
    """The session's principal (UI pages)."""
    if "principal" not in g:
        uid, tid = session.get("uid"), session.get("tid")
        g.principal = (
            identity.principal(runtime(current_app).store, tid, uid) if uid and tid else None
        )
        if g.principal is not None:
            scope_request(g.principal.tenant_id)
    return g.principal  # type: ignore[no-any-return]


def scope_request(tenant_id: int) -> None:
    """From now on this request's transactions see only this tenant's rows (row-level
    security on PostgreSQL; see engine.store.tenancy). Undone when the request ends."""
    if "tenancy_token" not in g:
        g.tenancy_token = enter_tenant(tenant_id)


def unscope_request(exc: BaseException | None = None) -> None:
    token = g.pop("tenancy_token", None)
    if token is not None:
        leave_tenant(token)


def call_context(principal: Principal | None = None) -> CallContext:
    addr, rid = request.remote_addr, g.get("request_id")
    if principal is None:
        return CallContext(None, "anonymous", addr, rid)
    return principal.context(addr, rid)


# permissions ---------------------------------------------------------------------------

def permissions_of(principal: Principal) -> frozenset[str]:
    if principal.is_admin:
        return frozenset(PERMISSIONS)
    granted: set[str] = set(MEMBER_PERMISSIONS)
    for role in principal.roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
        if role in PERMISSIONS and role != ADMIN:
            granted.add(role)
    return frozenset(granted)


def has_permission(principal: Principal, permission: str) -> bool:
    assert permission in PERMISSIONS, f"unknown permission {permission!r}"
    return permission in permissions_of(principal)


def denied(permission: str) -> PermissionDenied:
    words = PERMISSIONS[permission]
    exc = PermissionDenied.of(
        "auth.permission_denied",
        f"You need the permission '{permission}' ({words.en}): ask a tenant admin",
        f"需要权限 '{permission}'（{words.zh}）：请联系租户管理员")
    exc.extensions = {"permission": permission}  # type: ignore[attr-defined]
    return exc


# API credentials -----------------------------------------------------------------------

def _unauthenticated() -> AuthenticationFailed:
    return AuthenticationFailed.of(
        "auth.required", "Sign in, or send 'Authorization: Bearer <API token>'",
        "请登录，或发送 'Authorization: Bearer <API 令牌>'")


def _bearer(header: str) -> Principal:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed.of(
            "auth.invalid_token", "Use 'Authorization: Bearer <API token>'",
            "请使用 'Authorization: Bearer <API 令牌>'")
    return identity.authenticate_token(runtime(current_app).store, token,
                                       call_context())


def _check_csrf() -> None:
    csrf = current_app.extensions.get("csrf")
    if csrf is None or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    from flask_wtf.csrf import CSRFError

    try:
        csrf.protect()
    except CSRFError as exc:
        raise PermissionDenied.of(
            "auth.csrf_invalid",
            "Missing or invalid CSRF token: send the one from GET /api/v1/session "
            "in the X-CSRFToken header",
            "CSRF 令牌缺失或无效：请在 X-CSRFToken 头中发送 GET /api/v1/session 返回的令牌",
        ) from exc


def api_principal() -> Principal:
    """The caller of an API operation, or 401. A bearer token wins over the cookie."""
    if "api_principal" in g:
        return g.api_principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization")
    if header is not None:
        principal = _bearer(header)
        g.api_credential = "token"
        scope_request(principal.tenant_id)
    else:
        found = current_principal()
        if found is None:
            raise _unauthenticated()
        if request.method in _UNSAFE:
            _check_csrf()
        principal = found
        g.api_credential = "session"
    g.api_principal = principal
    return principal


def require(permission: str | None) -> Principal:
    """The caller, who must hold ``permission`` (``None``: any member): 401 or 403."""
    principal = api_principal()
    if permission is not None and not has_permission(principal, permission):
        raise denied(permission)
    return principal
