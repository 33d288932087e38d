"""Identity use cases: tenants, users, roles, departments, memberships, API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from engine.services import security
from engine.services.context import SYSTEM, CallContext, audit
from engine.store.db import Store
from engine.store.models import (
    ApiToken,
    Department,
    Membership,
    Role,
    Tenant,
    User,
)
from engine.store.uow import UnitOfWork, transaction

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{1,149}$")
MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user acting inside one tenant."""

    user_id: int
    username: str
    display_name: str
    tenant_id: int
    tenant_slug: str
    membership_id: int
    is_admin: bool
    roles: tuple[str, ...]

    def context(self, client_addr: str | None = None, request_id: str | None = None) -> CallContext:
        return CallContext(self.user_id, self.username, client_addr, request_id)


@dataclass(frozen=True, slots=True)
class NewUser:
    principal: Principal
    password: str | None  # set only when generated: show it once


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    name: str
    token: str  # the secret, shown once


def _info(t: Tenant) -> TenantInfo:
    return TenantInfo(t.id, t.slug, t.name)


def _require_tenant(uow: UnitOfWork, slug: str) -> Tenant:
    tenant = uow.identity.tenant_by_slug(slug)
    if tenant is None:
        raise NotFound.of("tenant.not_found", f"No tenant '{slug}'", f"租户 '{slug}' 不存在",
                          path="tenant")
    return tenant


def _require_member(uow: UnitOfWork, tenant: Tenant, username: str) -> tuple[User, Membership]:
    user = uow.identity.user_by_username(username.lower())
    member = uow.identity.membership(tenant.id, user.id) if user else None
    if user is None or member is None:
        raise NotFound.of("user.not_found", f"No user '{username}' in tenant '{tenant.slug}'",
                          f"租户 '{tenant.slug}' 中没有用户 '{username}'", path="username")
    return user, member


def _principal(uow: UnitOfWork, tenant: Tenant, user: User, member: Membership) -> Principal:
    roles = tuple(uow.identity.role_keys(tenant.id, member.id))
    return Principal(user.id, user.username, user.display_name, tenant.id, tenant.slug,
                     member.id, member.is_admin, roles)


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError.of(
            "user.password_too_short",
            f"The password must have at least {MIN_PASSWORD} characters",
            f"密码至少需要 {MIN_PASSWORD} 个字符", path="password")


# tenants ---------------------------------------------------------------------

def create_tenant(store: Store, slug: str, name: str | None = None,
                  ctx: CallContext = SYSTEM) -> TenantInfo:
    if not SLUG.match(slug):
        raise ValidationError.of(
            "tenant.bad_slug",
            f"'{slug}' is not a valid tenant slug: use 2-63 lowercase letters, digits or '-'",
            f"'{slug}' 不是有效的租户标识：请使用 2-63 个小写字母、数字或 '-'", path="slug")

    def work(uow: UnitOfWork) -> TenantInfo:
        if uow.identity.tenant_by_slug(slug) is not None:
            raise Conflict.of("tenant.exists", f"Tenant '{slug}' already exists",
                              f"租户 '{slug}' 已存在", path="slug")
        tenant = Tenant(slug=slug, name=name or slug, status="active", created_at=ctx.now())
        uow.identity.add(tenant)
        uow.audit.start_chain(tenant.id)
        audit(uow, ctx, tenant_id=tenant.id, object_type="tenant", object_id=tenant.id,
              action="create", after={"slug": slug, "name": tenant.name})
        return _info(tenant)

    return transaction(store, work)


def get_tenant_in(uow: UnitOfWork, slug: str) -> Tenant:
    """The tenant row inside an open transaction (NotFound when absent)."""
    return _require_tenant(uow, slug)


def get_tenant(store: Store, slug: str) -> TenantInfo:
    return transaction(store, lambda uow: _info(_require_tenant(uow, slug)), write=False)


def list_tenants(store: Store) -> list[TenantInfo]:
    return transaction(store, lambda uow: [_info(t) for t in uow.identity.tenants()], write=False)


# users -----------------------------------------------------------------------

def create_user(
    store: Store, tenant_slug: str, username: str, *, password: str | None = None,
    display_name: str | None = None, email: str | None = None, admin: bool = False,
    department: str | None = None, roles: tuple[str, ...] = (), ctx: CallContext = SYSTEM,
) -> NewUser:
    """Create a user as a member of a tenant. Without a password one is generated."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ValidationError.of(
            "user.bad_username",
            f"'{username}' is not a valid username: use 2-150 letters, digits or _ . @ -",
            f"'{username}' 不是有效的用户名：请使用 2-150 个字母、数字或 _ . @ -",
            path="username")
    generated = None
    if password is None:
        password = generated = security.random_password()
    _check_password_rules(password)
    password_hash = security.hash_password(password)  # slow: outside the transaction

    def work(uow: UnitOfWork) -> NewUser:
        tenant = _require_tenant(uow, tenant_slug)
        if uow.identity.user_by_username(username) is not None:
            raise Conflict.of("user.exists", f"User '{username}' already exists",
                              f"用户 '{username}' 已存在", path="username")
        now = ctx.now()
        user = User(username=username, display_name=display_name or username, email=email,
                    password_hash=password_hash, is_active=True, created_at=now)
        uow.identity.add(user)
        dept = _department(uow, tenant, department) if department else None
        member = Membership(tenant_id=tenant.id, user_id=user.id, is_admin=admin,
                            status="active", created_at=now,
                            department_id=dept.id if dept else None)
        uow.identity.add(member)
        for key in roles:
            uow.identity.grant_role(tenant.id, member.id, _role(uow, tenant, key).id)
        principal = _principal(uow, tenant, user, member)
        audit(uow, ctx, tenant_id=tenant.id, object_type="user", object_id=user.id,
              action="create", after={"username": username, "admin": admin,
                                      "department": department, "roles": list(roles)})
        return NewUser(principal, generated)

    return transaction(store, work)


def create_member_in(uow: UnitOfWork, tenant: Tenant, username: str, *,
                     display_name: str | None = None, admin: bool = False,
                     department: str | None = None, roles: tuple[str, ...] = (),
                     password_hash: str | None = None, now: datetime) -> int:
    """A user who belongs to ``tenant``, inside an open transaction, without audit.

    Without a password hash the user cannot sign in until an administrator sets a
    password (template demo staff are created this way)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ValidationError.of(
            "user.bad_username", f"'{username}' is not a valid username",
            f"'{username}' 不是有效的用户名", path="username")
    if uow.identity.user_by_username(username) is not None:
        raise Conflict.of("user.exists", f"User '{username}' already exists",
                          f"用户 '{username}' 已存在", path="username")
    user = User(username=username, display_name=display_name or username,
                password_hash=password_hash, is_active=True, created_at=now)
    uow.identity.add(user)
    _join(uow, tenant, user.id, admin=admin, department=department, roles=roles, now=now)
    return user.id


def add_member_in(uow: UnitOfWork, tenant: Tenant, username: str, *, admin: bool = False,
                  department: str | None = None, roles: tuple[str, ...] = (),
                  now: datetime) -> None:
    """Make an existing user a member of ``tenant`` (open transaction, no audit)."""
    user = uow.identity.user_by_username(username)
    assert user is not None
    _join(uow, tenant, user.id, admin=admin, department=department, roles=roles, now=now)


def _join(uow: UnitOfWork, tenant: Tenant, user_id: int, *, admin: bool,
          department: str | None, roles: tuple[str, ...], now: datetime) -> None:
    """The user's membership of ``tenant``, in a department, with roles."""
    dept = _department(uow, tenant, department) if department else None
    member = Membership(tenant_id=tenant.id, user_id=user_id, is_admin=admin, status="active",
                        created_at=now, department_id=dept.id if dept else None)
    uow.identity.add(member)
    for key in roles:
        uow.identity.grant_role(tenant.id, member.id, _role(uow, tenant, key).id)


def set_head_in(uow: UnitOfWork, tenant: Tenant, department: str, username: str) -> None:
    """Make ``username`` the head of ``department`` (open transaction, no audit)."""
    _department(uow, tenant, department).head_user_id = _require_member(
        uow, tenant, username)[0].id


def set_password(store: Store, tenant_slug: str, username: str, password: str | None = None,
                 ctx: CallContext = SYSTEM) -> str | None:
    """Set (or generate and return) a user's password."""
    generated = None
    if password is None:
        password = generated = security.random_password()
    _check_password_rules(password)
    password_hash = security.hash_password(password)

    def work(uow: UnitOfWork) -> None:
        tenant = _require_tenant(uow, tenant_slug)
        user, _ = _require_member(uow, tenant, username)
        user.password_hash = password_hash
        audit(uow, ctx, tenant_id=tenant.id, object_type="user", object_id=user.id,
              action="set_password")

    transaction(store, work)
    return generated


def authenticate(store: Store, username: str, password: str, ctx: CallContext = SYSTEM,
                 tenant_slug: str | None = None) -> Principal:
    """Check a password; on success record the login and upgrade the hash if needed."""
    failed = AuthenticationFailed.of(
        "auth.invalid_credentials", "Wrong username or password", "用户名或密码错误")
    user_row = transaction(
        store, lambda uow: uow.identity.user_by_username(username.strip().lower()), write=False)
    ok, new_hash = security.check_password(user_row.password_hash if user_row else None, password)
    if not ok or user_row is None or not user_row.is_active:
        raise failed

    def work(uow: UnitOfWork) -> Principal:
        user = uow.identity.user(user_row.id)
        members = [m for m in uow.identity.memberships_of(user_row.id) if m.status == "active"]
        if tenant_slug is not None:
            members = [m for m in members
                       if (t := uow.identity.tenant(m.tenant_id)) and t.slug == tenant_slug]
        if user is None or not members:
            raise failed
        member = members[0]
        tenant = uow.identity.tenant(member.tenant_id)
        assert tenant is not None
        user.last_login_at = ctx.now()
        if new_hash:
            user.password_hash = new_hash
        audit(uow, CallContext(user.id, user.username, ctx.client_addr, ctx.request_id,
                               ctx.clock),
              tenant_id=tenant.id, object_type="user", object_id=user.id, action="login",
              detail={"rehashed": bool(new_hash)})
        return _principal(uow, tenant, user, member)

    return transaction(store, work)


def principal(store: Store, tenant_id: int, user_id: int) -> Principal | None:
    """Reload a session's principal; ``None`` when the user or membership is gone."""
    def work(uow: UnitOfWork) -> Principal | None:
        tenant, user = uow.identity.tenant(tenant_id), uow.identity.user(user_id)
        member = uow.identity.membership(tenant_id, user_id) if user else None
        if not tenant or not user or not member or not user.is_active:
            return None
        if member.status != "active":
            return None
        return _principal(uow, tenant, user, member)

    return transaction(store, work, write=False)


def principal_named(store: Store, tenant_slug: str, username: str) -> Principal:
    """A member's principal by username: for system jobs acting as a person (demo data)."""
    def work(uow: UnitOfWork) -> Principal:
        tenant = _require_tenant(uow, tenant_slug)
        user, member = _require_member(uow, tenant, username)
        return _principal(uow, tenant, user, member)

    return transaction(store, work, write=False)


# roles and departments -------------------------------------------------------

def _role(uow: UnitOfWork, tenant: Tenant, key: str) -> Role:
    role = uow.identity.role(tenant.id, key)
    if role is None:
        raise NotFound.of("role.not_found", f"No role '{key}' in tenant '{tenant.slug}'",
                          f"租户 '{tenant.slug}' 中没有角色 '{key}'", path="role")
    return role


def _department(uow: UnitOfWork, tenant: Tenant, code: str) -> Department:
    dept = uow.identity.department(tenant.id, code)
    if dept is None:
        raise NotFound.of("department.not_found", f"No department '{code}'",
                          f"部门 '{code}' 不存在", path="department")
    return dept


def create_role(store: Store, tenant_slug: str, key: str, labels: dict[str, str],
                ctx: CallContext = SYSTEM) -> int:
    def work(uow: UnitOfWork) -> int:
        tenant = _require_tenant(uow, tenant_slug)
        role_id = create_role_in(uow, tenant.id, key, labels)
        audit(uow, ctx, tenant_id=tenant.id, object_type="role", object_id=role_id,
              action="create", after={"key": key, "labels": labels})
        return role_id

    return transaction(store, work)


def create_role_in(uow: UnitOfWork, tenant_id: int, key: str, labels: dict[str, str]) -> int:
    """:func:`create_role` inside an open transaction, without its audit event."""
    if uow.identity.role(tenant_id, key) is not None:
        raise Conflict.of("role.exists", f"Role '{key}' already exists",
                          f"角色 '{key}' 已存在", path="key")
    role = Role(tenant_id=tenant_id, key=key, labels=labels)
    uow.identity.add(role)
    return role.id


def grant_role(store: Store, tenant_slug: str, username: str, key: str,
               ctx: CallContext = SYSTEM) -> None:
    def work(uow: UnitOfWork) -> None:
        tenant = _require_tenant(uow, tenant_slug)
        user, member = _require_member(uow, tenant, username)
        if uow.identity.grant_role(tenant.id, member.id, _role(uow, tenant, key).id):
            audit(uow, ctx, tenant_id=tenant.id, object_type="user", object_id=user.id,
                  action="grant_role", detail={"role": key})

    transaction(store, work)


def create_department(store: Store, tenant_slug: str, code: str, labels: dict[str, str], *,
                      parent: str | None = None, head: str | None = None,
                      ctx: CallContext = SYSTEM) -> int:
    def work(uow: UnitOfWork) -> int:
        tenant = _require_tenant(uow, tenant_slug)
        dept_id = create_department_in(uow, tenant, code, labels, parent=parent, head=head)
        audit(uow, ctx, tenant_id=tenant.id, object_type="department", object_id=dept_id,
              action="create", after={"code": code, "parent": parent, "head": head})
        return dept_id

    return transaction(store, work)


def create_department_in(uow: UnitOfWork, tenant: Tenant, code: str, labels: dict[str, str], *,
                         parent: str | None = None, head: str | None = None) -> int:
    """:func:`create_department` inside an open transaction, without its audit event."""
    if uow.identity.department(tenant.id, code) is not None:
        raise Conflict.of("department.exists", f"Department '{code}' already exists",
                          f"部门 '{code}' 已存在", path="code")
    parent_row = _department(uow, tenant, parent) if parent else None
    head_user = _require_member(uow, tenant, head)[0] if head else None
    dept = Department(tenant_id=tenant.id, code=code, labels=labels,
                      parent_id=parent_row.id if parent_row else None,
                      head_user_id=head_user.id if head_user else None)
    uow.identity.add(dept)
    return dept.id


def set_membership(store: Store, tenant_slug: str, username: str, *,
                   department: str | None = None, ctx: CallContext = SYSTEM) -> None:
    """Move a member to a department (or none)."""
    def work(uow: UnitOfWork) -> None:
        tenant = _require_tenant(uow, tenant_slug)
        user, member = _require_member(uow, tenant, username)
        before = member.department_id
        member.department_id = _department(uow, tenant, department).id if department else None
        audit(uow, ctx, tenant_id=tenant.id, object_type="user", object_id=user.id,
              action="set_department", before={"department_id": before},
              after={"department_id": member.department_id})

    transaction(store, work)


def department_heads(store: Store, tenant_slug: str, username: str, levels: int) -> list[str]:
    """The heads above a user, nearest first, up to ``levels`` (for approver rules).

    Level 1 is the head of the user's own department, or of the nearest department
    above it whose head is someone else; departments without a head are passed over.
    """
    def work(uow: UnitOfWork) -> list[str]:
        tenant = _require_tenant(uow, tenant_slug)
        _require_member(uow, tenant, username)
        return uow.identity.heads_above(tenant.id, username.lower(), levels)

    return transaction(store, work, write=False)


# API tokens ------------------------------------------------------------------

def create_token(store: Store, tenant_slug: str, username: str, name: str, *,
                 expires_at: datetime | None = None, ctx: CallContext = SYSTEM) -> NewToken:
    token, prefix, secret_hash = security.new_token()

    def work(uow: UnitOfWork) -> NewToken:
        tenant = _require_tenant(uow, tenant_slug)
        user, _ = _require_member(uow, tenant, username)
        row = ApiToken(tenant_id=tenant.id, user_id=user.id, name=name, prefix=prefix,
                       secret_hash=secret_hash, created_at=ctx.now(), expires_at=expires_at)
        uow.identity.add(row)
        audit(uow, ctx, tenant_id=tenant.id, object_type="api_token", object_id=row.id,
              action="create", after={"name": name, "user": username, "prefix": prefix})
        return NewToken(row.id, name, token)

    return transaction(store, work)


def revoke_token(store: Store, tenant_slug: str, token_id: int, ctx: CallContext = SYSTEM) -> None:
    def work(uow: UnitOfWork) -> None:
        tenant = _require_tenant(uow, tenant_slug)
        row = uow.identity.token(tenant.id, token_id)
        if row is None:
            raise NotFound.of("token.not_found", f"No API token {token_id}",
                              f"API 令牌 {token_id} 不存在", path="token_id")
        if row.revoked_at is None:
            row.revoked_at = ctx.now()
            audit(uow, ctx, tenant_id=tenant.id, object_type="api_token", object_id=row.id,
                  action="revoke")

    transaction(store, work)


def authenticate_token(store: Store, token: str, ctx: CallContext = SYSTEM) -> Principal:
    """Resolve a bearer token to its principal, or fail without saying why."""
    failed = AuthenticationFailed.of("auth.invalid_token", "Invalid or revoked API token",
                                     "API 令牌无效或已被撤销")
    parts = security.split_token(token)
    if parts is None:
        raise failed
    prefix, secret = parts

    now = ctx.now()

    def work(uow: UnitOfWork) -> tuple[Principal, int | None]:
        row = uow.identity.token_by_prefix(prefix)
        if row is None or not security.same_hash(row.secret_hash, security.token_hash(secret)):
            raise failed
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            raise failed
        tenant, user = uow.identity.tenant(row.tenant_id), uow.identity.user(row.user_id)
        member = uow.identity.membership(row.tenant_id, row.user_id)
        if not tenant or not user or not member or not user.is_active:
            raise failed
        stale = row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)
        return _principal(uow, tenant, user, member), row.id if stale else None

    # A read transaction: bearer requests never queue behind writers to authenticate.
    principal, stale_id = transaction(store, work, write=False)
    if stale_id is not None:
        # Bookkeeping, not an action of the user: at most one write per token and minute.
        def touch(uow: UnitOfWork) -> None:
            row = uow.identity.token(principal.tenant_id, stale_id)
            if row is not None:
                row.last_used_at = now

        transaction(store, touch)
    return principal
