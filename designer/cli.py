"""The ``flowledger`` command line.

Every command reads the same configuration as the web app (defaults → instance file →
``FLOWLEDGER_*`` variables) and calls the same services.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar

import click
from flask import Flask

from designer import create_app, runtime
from engine.errors import EngineError
from engine.services import audit, identity, system
from engine.services.context import CallContext

F = TypeVar("F", bound=Callable[..., Any])
CLI = CallContext(None, "cli")


def with_app(func: F) -> F:
    """Give the command the app (built once per invocation) as its first argument."""
    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = ctx.ensure_object(dict).setdefault("app", None) or create_app()
        ctx.obj["app"] = app
        try:
            with app.app_context():
                return func(app, *args, **kwargs)
        except EngineError as exc:
            for p in exc.problems:
                click.secho(f"error: {p}", fg="red", err=True)
            sys.exit(1)
        finally:
            runtime(app).store.dispose()

    return update_wrapper(wrapper, func)  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flowledger")
def main() -> None:
    """Flowledger: low-code purchase-sale-inventory workflows."""


# database ----------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@with_app
def db_upgrade(app: Flask) -> None:
    """Migrate the database to the newest schema."""
    store = runtime(app).store
    click.echo(f"Migrating {store.backend} database …")
    before, after = system.upgrade_database(store)
    if before == after:
        click.echo(f"Already at the newest revision ({after}).")
    else:
        click.echo(f"Upgraded from {before or 'an empty database'} to {after}.")


@db.command("grant")
@click.argument("role")
@with_app
def db_grant(app: Flask, role: str) -> None:
    """Let ROLE (a non-owner PostgreSQL role) use the tables: the app connects as it, so
    row-level security applies. The journal and audit log stay append-only for it."""
    system.grant_app_role(runtime(app).store, role)
    click.echo(f"Granted {role} the use of the tables (no UPDATE/DELETE on the journal "
               "and audit log).")


@db.command("current")
@with_app
def db_current(app: Flask) -> None:
    """Show the database's schema revision."""
    health = system.database_health(runtime(app).store)
    click.echo(f"{health.backend}: {health.revision or 'not migrated'}"
               f"{'' if health.migrated else ' (run: flowledger db upgrade)'}")


# identity ----------------------------------------------------------------------

@main.command("create-tenant")
@click.argument("slug")
@click.option("--name", help="Display name (defaults to the slug).")
@with_app
def create_tenant(app: Flask, slug: str, name: str | None) -> None:
    """Create a tenant (a company using Flowledger)."""
    tenant = identity.create_tenant(runtime(app).store, slug, name, CLI)
    click.echo(f"Created tenant {tenant.slug} (id {tenant.id}).")


@main.command("create-user")
@click.argument("username")
@click.option("--tenant", "tenant_slug", required=True, help="Tenant slug.")
@click.option("--display-name")
@click.option("--email")
@click.option("--admin", is_flag=True, help="Make the user an administrator of the tenant.")
@click.option("--department", help="Department code.")
@click.option("--role", "roles", multiple=True, help="Role key (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_app
def create_user(app: Flask, username: str, tenant_slug: str, display_name: str | None,
                email: str | None, admin: bool, department: str | None,
                roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user in a tenant; without --password-stdin a password is generated."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    new = identity.create_user(
        runtime(app).store, tenant_slug, username, password=password,
        display_name=display_name, email=email, admin=admin, department=department,
        roles=roles, ctx=CLI)
    click.echo(f"Created user {new.principal.username} in {tenant_slug}.")
    if new.password:
        click.echo(f"Password (shown once): {new.password}")


@main.command("set-password")
@click.argument("username")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--password-stdin", is_flag=True)
@with_app
def set_password(app: Flask, username: str, tenant_slug: str, password_stdin: bool) -> None:
    """Set a user's password (generated and shown once unless read from stdin)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    generated = identity.set_password(runtime(app).store, tenant_slug, username, password, CLI)
    click.echo(f"Password of {username} changed.")
    if generated:
        click.echo(f"New password (shown once): {generated}")


@main.command("create-token")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--user", "username", required=True, help="The user the token acts as.")
@with_app
def create_token(app: Flask, name: str, tenant_slug: str, username: str) -> None:
    """Create an API token; the secret is printed once and never stored."""
    token = identity.create_token(runtime(app).store, tenant_slug, username, name, ctx=CLI)
    click.echo(f"Created API token {token.id} ({token.name}).")
    click.echo(f"Token (shown once): {token.token}")


@main.command("revoke-token")
@click.argument("token_id", type=int)
@click.option("--tenant", "tenant_slug", required=True)
@with_app
def revoke_token(app: Flask, token_id: int, tenant_slug: str) -> None:
    """Revoke an API token."""
    identity.revoke_token(runtime(app).store, tenant_slug, token_id, CLI)
    click.echo(f"Revoked API token {token_id}.")


# audit -------------------------------------------------------------------------

@main.group("audit")
def audit_group() -> None:
    """Audit log commands."""


@audit_group.command("verify")
@click.option("--tenant", "tenant_slug", help="Only this tenant (default: all).")
@with_app
def audit_verify(app: Flask, tenant_slug: str | None) -> None:
    """Check the hash chain of the audit log; exit 1 if anything was tampered with."""
    reports = audit.verify(runtime(app).store, tenant_slug)
    broken = False
    with click.progressbar(reports, label="Verifying audit chains",
                           file=sys.stderr) as bar:
        for report in bar:
            broken |= not report.ok
    for report in reports:
        state = "ok" if report.ok else "BROKEN"
        click.echo(f"{report.tenant_slug}: {report.events} events, {state}")
        for p in report.problems:
            click.echo(f"  [{p.code}] {p.source.path}: {p.message.en}")
    sys.exit(1 if broken else 0)


@main.command("verify")
@click.option("--tenant", "tenant_slug", help="Only this tenant (default: all).")
@with_app
def verify_ledger(app: Flask, tenant_slug: str | None) -> None:
    """Check every ledger invariant on the live database; exit 1 if any is broken."""
    from engine.services import verify

    reports = verify.verify(runtime(app).store, tenant_slug)
    for report in reports:
        state = "ok" if report.ok else f"{len(report.violations)} BROKEN"
        click.echo(f"{report.tenant_slug}: {report.movements} movements, invariants {state}")
        for v in report.violations:
            click.echo(f"  [{v.invariant}] {v.key}: expected {v.expected}, found {v.actual}")
    sys.exit(0 if all(r.ok for r in reports) else 1)


from designer import cli_rules, cli_run, cli_templates  # noqa: E402  (the other commands)

cli_run.register(main)
cli_run.register_scheduler(main)
cli_rules.register(main)
cli_templates.register(main)

if __name__ == "__main__":  # python -m designer.cli
    main()
