"""Tenants, users, passwords, roles, departments and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from engine.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from engine.services import identity, security
from engine.services.context import CallContext
from engine.store import Store
from engine.store.models import ApiToken, AuditEvent, User


@pytest.fixture
def acme(store: Store) -> str:
    identity.create_tenant(store, "acme", "Acme 超市")
    return "acme"


def audit_actions(store: Store) -> list[str]:
    with store.session(write=False) as s:
        return list(s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_create_tenant_validates_and_refuses_duplicates(store: Store) -> None:
    info = identity.create_tenant(store, "shop-1", "一号店")
    assert (info.slug, info.name) == ("shop-1", "一号店")
    with pytest.raises(Conflict) as exc:
        identity.create_tenant(store, "shop-1")
    assert exc.value.code == "tenant.exists"
    with pytest.raises(ValidationError) as bad:
        identity.create_tenant(store, "Bad Slug!")
    assert bad.value.problems[0].source.path == "slug"
    assert "小写" in bad.value.problems[0].message.zh


def test_user_with_generated_password_can_log_in(store: Store, acme: str) -> None:
    new = identity.create_user(store, acme, "Alice", admin=True)
    assert new.password and len(new.password) >= 16
    assert new.principal.username == "alice" and new.principal.is_admin
    principal = identity.authenticate(store, "ALICE", new.password)
    assert principal.tenant_slug == acme
    with pytest.raises(AuthenticationFailed):
        identity.authenticate(store, "alice", new.password + "x")
    with pytest.raises(AuthenticationFailed):
        identity.authenticate(store, "nobody", "whatever-password")


def test_password_is_stored_as_argon2id(store: Store, acme: str) -> None:
    identity.create_user(store, acme, "bob", password="correct horse battery")
    with store.session(write=False) as s:
        stored = s.execute(select(User.password_hash)).scalar_one()
    assert stored is not None and stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_login_rehashes_when_parameters_change(store: Store, acme: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    identity.create_user(store, acme, "carol", password="0123456789")
    with store.session() as s:
        s.execute(select(User)).scalar_one().password_hash = weak.hash("0123456789")
    identity.authenticate(store, "carol", "0123456789")
    with store.session(write=False) as s:
        upgraded = s.execute(select(User.password_hash)).scalar_one()
    assert upgraded is not None and not security.password_hasher().check_needs_rehash(upgraded)
    identity.authenticate(store, "carol", "0123456789")  # still works after the upgrade


def test_short_passwords_are_refused(store: Store, acme: str) -> None:
    with pytest.raises(ValidationError) as exc:
        identity.create_user(store, acme, "dave", password="short")
    assert exc.value.code == "user.password_too_short"


def test_roles_and_departments(store: Store, acme: str) -> None:
    identity.create_role(store, acme, "store_manager", {"zh": "店长", "en": "Store manager"})
    identity.create_user(store, acme, "boss", password="boss-password")
    identity.create_user(store, acme, "lead", password="lead-password")
    identity.create_department(store, acme, "hq", {"zh": "总部", "en": "HQ"}, head="boss")
    identity.create_department(store, acme, "east", {"zh": "华东区", "en": "East"},
                               parent="hq", head="lead")
    identity.create_department(store, acme, "store1", {"zh": "一号店", "en": "Store 1"},
                               parent="east")
    clerk = identity.create_user(store, acme, "clerk", password="clerk-password",
                                 department="store1", roles=("store_manager",))
    assert clerk.principal.roles == ("store_manager",)
    # store1 has no head: level 1 is the head of east, level 2 of hq.
    assert identity.department_heads(store, acme, "clerk", 1) == ["lead"]
    assert identity.department_heads(store, acme, "clerk", 5) == ["lead", "boss"]
    identity.set_membership(store, acme, "lead", department="east")
    # A head is not their own approver: the lead's first head is the boss.
    assert identity.department_heads(store, acme, "lead", 1) == ["boss"]
    with pytest.raises(NotFound):
        identity.grant_role(store, acme, "clerk", "no_such_role")


def test_api_tokens_are_random_hashed_and_revocable(store: Store, acme: str) -> None:
    identity.create_user(store, acme, "pos", password="pos-password-1")
    token = identity.create_token(store, acme, "pos", "till 1")
    prefix, secret = security.split_token(token.token) or ("", "")
    assert len(secret) >= 43  # 32 bytes = 256 bits, base64url
    with store.session(write=False) as s:
        row = s.execute(select(ApiToken)).scalar_one()
    assert row.secret_hash == security.token_hash(secret) and secret not in row.secret_hash
    assert identity.authenticate_token(store, token.token).username == "pos"
    with pytest.raises(AuthenticationFailed):
        identity.authenticate_token(store, token.token[:-2] + "xx")
    identity.revoke_token(store, acme, token.id)
    with pytest.raises(AuthenticationFailed):
        identity.authenticate_token(store, token.token)


def test_expired_tokens_fail(store: Store, acme: str) -> None:
    identity.create_user(store, acme, "pos", password="pos-password-1")
    past = datetime.now(UTC) - timedelta(seconds=1)
    token = identity.create_token(store, acme, "pos", "old", expires_at=past)
    with pytest.raises(AuthenticationFailed):
        identity.authenticate_token(store, token.token)


def test_each_mutating_call_writes_one_audit_event(store: Store, acme: str) -> None:
    ctx = CallContext(None, "tester", "10.0.0.7", "req-1")
    identity.create_user(store, acme, "erin", password="erin-password", ctx=ctx)
    identity.create_role(store, acme, "clerk", {"zh": "店员", "en": "Clerk"}, ctx=ctx)
    identity.grant_role(store, acme, "erin", "clerk", ctx=ctx)
    identity.grant_role(store, acme, "erin", "clerk", ctx=ctx)  # no change, no event
    with pytest.raises(Conflict):
        identity.create_role(store, acme, "clerk", {"zh": "店员", "en": "Clerk"}, ctx=ctx)
    assert audit_actions(store) == ["create", "create", "create", "grant_role"]
    with store.session(write=False) as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert last is not None
    assert (last.client_addr, last.request_id, last.actor_label) == ("10.0.0.7", "req-1", "tester")
