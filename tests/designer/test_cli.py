"""The ``flowledger`` command line, driven as an operator would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from designer.cli import main
from engine.services import identity
from engine.store import Store


@pytest.fixture
def run(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"FLOWLEDGER_DATABASE_URL": database_url,
           "FLOWLEDGER_INSTANCE_PATH": str(tmp_path / "instance"),
           "FLOWLEDGER_REDIS_URL": ""}

    def invoke(*args: str, input: str | None = None, code: int = 0) -> str:
        result = CliRunner(env=env).invoke(main, list(args), input=input)
        assert result.exit_code == code, result.output + repr(result.exception)
        return result.output

    return invoke


def test_quickstart_is_idempotent_and_prints_the_password_once(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    first = run("quickstart", "--no-serve")
    password = re.search(r"with password: (\S+)", first)
    assert password, first
    assert "no template 'retail' is shipped yet" in first.lower() or "retail" in first
    second = run("quickstart", "--no-serve")
    assert "with password" not in second and "already exist" in second
    principal = identity.authenticate(store, "admin", password.group(1))
    assert principal.is_admin and principal.tenant_slug == "demo"
    assert password.group(1) not in {"admin", "password"}


def test_db_upgrade_and_current(run) -> None:  # type: ignore[no-untyped-def]
    assert "Already at the newest revision" in run("db", "upgrade")
    assert "not migrated" not in run("db", "current")


def test_identity_commands(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    assert "Created tenant shop" in run("create-tenant", "shop", "--name", "小店")
    out = run("create-user", "owner", "--tenant", "shop", "--admin")
    assert "Password (shown once)" in out
    run("create-user", "clerk", "--tenant", "shop", "--password-stdin", input="clerk-secret-1\n")
    assert identity.authenticate(store, "clerk", "clerk-secret-1").tenant_slug == "shop"
    token = re.search(r"Token \(shown once\): (\S+)", run(
        "create-token", "till", "--tenant", "shop", "--user", "clerk"))
    assert token and identity.authenticate_token(store, token.group(1)).username == "clerk"
    run("revoke-token", "1", "--tenant", "shop")
    new_pw = re.search(r"New password \(shown once\): (\S+)",
                       run("set-password", "clerk", "--tenant", "shop"))
    assert new_pw and identity.authenticate(store, "clerk", new_pw.group(1))


def test_errors_are_reported_with_their_code(run) -> None:  # type: ignore[no-untyped-def]
    run("create-tenant", "shop")
    assert "tenant.exists" in run("create-tenant", "shop", code=1)
    assert "tenant.not_found" in run("create-user", "xy", "--tenant", "nope", code=1)
    out = run("create-user", "x", "--tenant", "shop", code=1)
    assert "user.bad_username" in out and "用户名" in out


def test_audit_verify_exit_codes(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    run("create-tenant", "shop")
    assert "shop: 1 events, ok" in run("audit", "verify")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET action = 'forged'")
    out = run("audit", "verify", "--tenant", "shop", code=1)
    assert "BROKEN" in out and "audit.event_altered" in out


def test_worker_without_redis_says_why(run) -> None:  # type: ignore[no-untyped-def]
    out = run("worker", "--burst", code=2)
    assert "FLOWLEDGER_REDIS_URL" in out


def test_every_command_has_help(run) -> None:  # type: ignore[no-untyped-def]
    for command in ["quickstart", "serve", "worker", "scheduler", "db", "create-tenant",
                    "create-user", "create-token", "revoke-token", "set-password", "audit"]:
        assert "Usage:" in run(command, "--help")
