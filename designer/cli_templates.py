"""``flowledger templates list | show | install | upgrade``."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask

from designer import runtime
from engine.services import templates
from engine.services.context import CallContext
from engine.services.templates import Report

CLI = CallContext(None, "cli")


def _print(report: Report, *, dry_run: bool = False) -> None:
    verb = "would apply" if dry_run else "applied"
    click.echo(f"{report.template} {report.version}: {verb} {len(report.applied)}, "
               f"unchanged {report.unchanged}, kept {len(report.kept)} of your own edits")
    for line in report.applied:
        click.echo(f"  + {line}")
    for line in report.kept:
        click.echo(f"  = {line} (your version is kept)")
    for line in report.demo:
        click.echo(f"  demo {line}")


def register(main: click.Group) -> None:
    from designer.cli import with_app

    @main.group("templates")
    def group() -> None:
        """Industry templates: list, show, install, upgrade."""

    @group.command("list")
    def list_() -> None:
        """The templates shipped with Flowledger."""
        for manifest in templates.available():
            click.echo(f"{manifest['key']:<14}{manifest['version']:<10}"
                       f"{manifest['labels']['zh']} / {manifest['labels']['en']}")

    @group.command("show")
    @click.argument("name")
    def show(name: str) -> None:
        """A template's manifest and contents (NAME: a shipped key or a folder)."""
        pkg, problems = templates.load_package(name)
        click.echo(json.dumps(pkg.manifest, ensure_ascii=False, indent=2))
        click.echo(f"forms: {', '.join(sorted(pkg.forms))}")
        click.echo(f"flows: {', '.join(sorted(pkg.flows))}")
        click.echo(f"rules: {', '.join(sorted(pkg.rules))}")
        click.echo(", ".join(f"{k}: {len(v)}" for k, v in pkg.seed.items())
                   + f", demo documents: {len(pkg.demo)}")
        for p in problems:
            click.secho(f"problem: {p}", fg="red")
        sys.exit(1 if problems else 0)

    @group.command("install")
    @click.argument("name")
    @click.option("--tenant", "tenant_slug", required=True)
    @click.option("--no-demo", is_flag=True, help="Skip the demo documents.")
    @with_app
    def install(app: Flask, name: str, tenant_slug: str, no_demo: bool) -> None:
        """Install a template into a tenant (installing again changes nothing)."""
        _print(templates.install(runtime(app).store, tenant_slug, name, demo=not no_demo,
                                 ctx=CLI))

    @group.command("upgrade")
    @click.argument("name")
    @click.option("--tenant", "tenant_slug", required=True)
    @click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
    @with_app
    def upgrade(app: Flask, name: str, tenant_slug: str, dry_run: bool) -> None:
        """Upgrade a tenant to a newer template version, keeping its own edits."""
        _print(templates.upgrade(runtime(app).store, tenant_slug, name, dry_run=dry_run,
                                 ctx=CLI), dry_run=dry_run)
