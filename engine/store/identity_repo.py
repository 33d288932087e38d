"""Tenants, users, departments, roles, memberships and API tokens."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import doc_reads
from engine.store.driver import Driver
from engine.store.models import (
    ApiToken,
    Department,
    Membership,
    MembershipRole,
    Role,
    Tenant,
    User,
)


class IdentityRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    # tenants -----------------------------------------------------------------
    def tenant_by_slug(self, slug: str) -> Tenant | None:
        return self.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()

    def tenant(self, tenant_id: int) -> Tenant | None:
        return self.session.get(Tenant, tenant_id)

    def tenants(self) -> Sequence[Tenant]:
        return self.session.execute(select(Tenant).order_by(Tenant.id)).scalars().all()

    # users -------------------------------------------------------------------
    def user_by_username(self, username: str) -> User | None:
        return self.session.execute(
            select(User).where(User.username == username)
        ).scalar_one_or_none()

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def membership(self, tenant_id: int, user_id: int) -> Membership | None:
        return self.session.execute(
            select(Membership).where(
                Membership.tenant_id == tenant_id, Membership.user_id == user_id
            )
        ).scalar_one_or_none()

    def memberships_of(self, user_id: int) -> Sequence[Membership]:
        return self.session.execute(
            select(Membership).where(Membership.user_id == user_id).order_by(Membership.id)
        ).scalars().all()

    def admins(self, tenant_id: int) -> Sequence[Membership]:
        return self.session.execute(
            select(Membership).where(Membership.tenant_id == tenant_id, Membership.is_admin)
        ).scalars().all()

    # roles and departments ---------------------------------------------------
    def role(self, tenant_id: int, key: str) -> Role | None:
        return self.session.execute(
            select(Role).where(Role.tenant_id == tenant_id, Role.key == key)
        ).scalar_one_or_none()

    def existing_roles(self, tenant_id: int, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are roles of the tenant."""
        if not keys:
            return set()
        return set(self.session.execute(
            select(Role.key).where(Role.tenant_id == tenant_id, Role.key.in_(set(keys)))
        ).scalars())

    def role_keys(self, tenant_id: int, membership_id: int) -> list[str]:
        return list(self.session.execute(
            select(Role.key).join(MembershipRole, MembershipRole.role_id == Role.id).where(
                MembershipRole.tenant_id == tenant_id,
                MembershipRole.membership_id == membership_id,
            ).order_by(Role.key)
        ).scalars())

    def grant_role(self, tenant_id: int, membership_id: int, role_id: int) -> bool:
        key = (tenant_id, membership_id, role_id)
        if self.session.get(MembershipRole, key) is not None:
            return False
        self.add(MembershipRole(tenant_id=tenant_id, membership_id=membership_id, role_id=role_id))
        return True

    def department(self, tenant_id: int, code: str) -> Department | None:
        return self.session.execute(
            select(Department).where(Department.tenant_id == tenant_id, Department.code == code)
        ).scalar_one_or_none()

    def department_by_id(self, tenant_id: int, department_id: int) -> Department | None:
        return self.session.execute(
            select(Department).where(
                Department.tenant_id == tenant_id, Department.id == department_id
            )
        ).scalar_one_or_none()

    # tokens ------------------------------------------------------------------
    def token_by_prefix(self, prefix: str) -> ApiToken | None:
        return self.session.execute(
            select(ApiToken).where(ApiToken.prefix == prefix)
        ).scalar_one_or_none()

    def token(self, tenant_id: int, token_id: int) -> ApiToken | None:
        return self.session.execute(
            select(ApiToken).where(ApiToken.tenant_id == tenant_id, ApiToken.id == token_id)
        ).scalar_one_or_none()

    # approver resolution ---------------------------------------------------------
    def usernames_with_role(self, tenant_id: int, role: str) -> list[str]:
        return doc_reads.usernames_with_role(Driver.reading(self.session), tenant_id, role)

    def admin_usernames(self, tenant_id: int) -> list[str]:
        return list(self.session.execute(
            select(User.username).join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant_id, Membership.is_admin,
                   Membership.status == "active", User.is_active)
            .order_by(User.username)).scalars())

    def heads_above(self, tenant_id: int, username: str, levels: int) -> list[str]:
        """Department heads above a user, nearest first (see identity.department_heads)."""
        return doc_reads.heads_above(Driver.reading(self.session), tenant_id, username, levels)

    def user_ids(self, usernames: list[str]) -> dict[str, int]:
        return {name: uid for uid, name in self.session.execute(
            select(User.id, User.username).where(User.username.in_(usernames)))}
