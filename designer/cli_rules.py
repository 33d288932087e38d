"""Commands for definitions: check and dry-run rules, publish forms, flows and rules,
and fire due timers."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask

from designer import runtime
from engine.errors import Problem
from engine.forms import FormScope, load_form
from engine.rules import DictScope, check_rules, render_problem
from engine.rules.problems import is_error
from engine.services import definitions, identity, preview, timers
from engine.services.context import CallContext

CLI = CallContext(None, "cli")


def _json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"{path}: {error}") from error


def _print_problems(source: str, problems: list[Problem], lang: str) -> None:
    for p in problems:
        kind = "error" if is_error(p) else "warning"
        click.secho(f"{kind}: {p.code}", fg="red" if kind == "error" else "yellow")
        click.echo(render_problem(source, p, lang) if p.source.line else f"  {p}")


def register(main: click.Group) -> None:
    from designer.cli import with_app

    @main.group()
    def rules() -> None:
        """Check and dry-run rule sets."""

    @rules.command("check")
    @click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--form", "form_file", required=True, type=click.Path(exists=True),
                  help="The form (JSON) the rules are written for, or a scope "
                       '{"form", "fields", "constants"} as docs/rules.md writes them.')
    @click.option("--location", "locations", multiple=True,
                  help="A location code rules may name bare (repeatable).")
    @click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
    def rules_check(rules_file: str, form_file: str, locations: tuple[str, ...],
                    lang: str) -> None:
        """Check a rule set against a form; exit 1 when it has errors."""
        text = Path(rules_file).read_text(encoding="utf-8")
        constants = {code: "location" for code in locations}
        data = _json(form_file)
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            # The short scope format docs/rules.md uses: {"form", "fields", "constants"}.
            constants |= data.get("constants") or {}
            scope: Any = DictScope.from_spec(data["fields"], constants=constants)
            form_key = str(data.get("form", ""))
        else:
            loaded = load_form(data, constants=constants)
            if loaded.spec is None:
                _print_problems("", list(loaded.problems), lang)
                sys.exit(1)
            scope, form_key = FormScope.of(loaded.spec, constants), loaded.spec.key
        found = check_rules(text, scope, form=form_key, name=Path(rules_file).name)
        _print_problems(text, found, lang)
        errors = [p for p in found if is_error(p)]
        click.echo(f"{Path(rules_file).name}: {len(errors)} error(s), "
                   f"{len(found) - len(errors)} warning(s)")
        sys.exit(1 if errors else 0)

    @rules.command("dry-run")
    @click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--form", "form_file", required=True, type=click.Path(exists=True))
    @click.option("--document", "document_file", required=True, type=click.Path(exists=True))
    @click.option("--event", default="approved", show_default=True,
                  help="submitted, approved, approved_at:NODE, rejected, cancelled …")
    @click.option("--tenant", "tenant_slug", required=True)
    @with_app
    def rules_dry_run(app: Flask, rules_file: str, form_file: str, document_file: str,
                      event: str, tenant_slug: str) -> None:
        """Show what a rule set would post for a document; nothing is kept."""
        store = runtime(app).store
        tenant = identity.get_tenant(store, tenant_slug)
        seen = preview.dry_run(store, tenant.id, Path(rules_file).read_text(encoding="utf-8"),
                               _json(form_file), _json(document_file), event, ctx=CLI)
        _print_preview(seen)
        sys.exit(0 if seen.ok else 1)

    @main.command("publish")
    @click.argument("kind", type=click.Choice(definitions.KINDS))
    @click.argument("key")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--tenant", "tenant_slug", required=True)
    @with_app
    def publish(app: Flask, kind: str, key: str, path: str, tenant_slug: str) -> None:
        """Publish a form or flow (JSON) or a rule set (text) as its next version."""
        store = runtime(app).store
        tenant = identity.get_tenant(store, tenant_slug)
        raw = Path(path).read_text(encoding="utf-8")
        body = {"text": raw} if kind == "rules" else _json(path)
        version = definitions.publish(store, tenant.id, kind, key, body=body, ctx=CLI)
        click.echo(f"Published {kind} {key} version {version}.")

    @main.command()
    @click.option("--loop", is_flag=True, help="Keep firing due timers every --interval.")
    @click.option("--interval", default=15, show_default=True, type=int)
    @with_app
    def tick(app: Flask, loop: bool, interval: int) -> None:
        """Fire due timers (timeouts, reminders) exactly once each."""
        while True:
            fired = timers.tick(runtime(app).store, ctx=CLI)
            click.echo(f"fired {fired} timer(s)")
            if not loop:
                return
            time.sleep(interval)


def _print_preview(seen: preview.Preview) -> None:
    click.echo(f"{'item':<14}{'qty':>12}  {'from':<10}{'to':<10}{'batch':<12}{'value':>12}")
    for m in seen.movements:
        click.echo(f"{m.item:<14}{m.qty:>12}  {m.from_location:<10}{m.to_location:<10}"
                   f"{m.batch or '':<12}{'' if m.value is None else m.value:>12}")
    click.echo("")
    click.echo(f"{'item':<14}{'location':<10}{'on hand':>12}{'→':^3}{'after':<12}"
               f"{'reserved':>10}{'→':^3}{'after':<10}")
    for b in seen.balances:
        click.echo(f"{b.item:<14}{b.location:<10}{b.on_hand_before:>12}{'→':^3}"
                   f"{b.on_hand_after!s:<12}{b.reserved_before:>10}{'→':^3}"
                   f"{b.reserved_after!s:<10}")
    for p in seen.problems:
        click.secho(f"refused: {p}", fg="red")
