"""Commands that run things: quickstart, serve, worker."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask

import templates_library
from designer import runtime
from engine.errors import Conflict
from engine.jobs import runtime as job_runtime
from engine.services import identity, system, templates
from engine.services.context import CallContext

CLI = CallContext(None, "cli")
DEFAULT_TENANT = "demo"
DEFAULT_ADMIN = "admin"


def _first_run(app: Flask, tenant_slug: str, admin: str) -> None:
    store = runtime(app).store
    tenants = identity.list_tenants(store)
    if tenants:
        names = ", ".join(t.slug for t in tenants)
        click.echo(f"[2/4] Tenants already exist ({names}); keeping them.")
        click.echo(f"      The admin password was printed the first time. To set a new one:\n"
                   f"      flowledger set-password {admin} --tenant {tenants[0].slug}")
        return
    click.echo(f"[2/4] Creating tenant '{tenant_slug}' and administrator '{admin}' …")
    identity.create_tenant(store, tenant_slug, "示例公司 Demo Co.", CLI)
    try:
        new = identity.create_user(store, tenant_slug, admin, display_name="Administrator",
                                   admin=True, ctx=CLI)
    except Conflict:
        click.echo(f"      User '{admin}' exists already; keeping its password.")
        return
    click.secho("      ┌──────────────────────────────────────────────────────────", fg="yellow")
    click.secho(f"      │ Sign in as {admin} with password: {new.password}", fg="yellow")
    click.secho("      │ It is shown only this once. Keep it somewhere safe.", fg="yellow")
    click.secho("      └──────────────────────────────────────────────────────────", fg="yellow")


def _template(app: Flask, template: str, tenant_slug: str) -> None:
    shipped = templates_library.available()
    if template not in shipped:
        click.echo(f"[3/4] No template '{template}' is shipped "
                   f"(available: {', '.join(shipped) or 'none'}); the tenant starts empty.")
        return
    tenant = identity.list_tenants(runtime(app).store)[0].slug
    click.echo(f"[3/4] Installing template '{template}' with its demo data into "
               f"'{tenant}' …")
    report = templates.install(runtime(app).store, tenant, template, ctx=CLI)
    if report.applied or report.demo:
        click.echo(f"      {len(report.applied)} definitions and records, "
                   f"{len(report.demo)} demo documents")
    else:
        click.echo("      already installed; nothing changed")


def register(main: click.Group) -> None:
    from designer.cli import with_app

    @main.command()
    @click.option("--template", default="retail", show_default=True,
                  help="Industry template to install into the first tenant.")
    @click.option("--tenant", "tenant_slug", default=DEFAULT_TENANT, show_default=True)
    @click.option("--admin", default=DEFAULT_ADMIN, show_default=True)
    @click.option("--no-serve", is_flag=True, help="Set everything up, then exit.")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @with_app
    def quickstart(app: Flask, template: str, tenant_slug: str, admin: str, no_serve: bool,
                   host: str, port: int) -> None:
        """Migrate, create the first tenant and admin, install a template, serve."""
        store = runtime(app).store
        click.echo(f"[1/4] Migrating the {store.backend} database …")
        before, after = system.upgrade_database(store)
        click.echo(f"      schema at {after}" + ("" if before == after else f" (was {before})"))
        _first_run(app, tenant_slug, admin)
        _template(app, template, tenant_slug)
        if no_serve:
            click.echo("[4/4] Done (--no-serve).")
            return
        click.echo(f"[4/4] Serving on http://{host}:{port} — press Ctrl+C to stop.")
        _serve(app, host, port)

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @with_app
    def serve(app: Flask, host: str, port: int) -> None:
        """Serve the web app (use gunicorn in production: see docker-compose.yml)."""
        click.echo(f"Serving on http://{host}:{port}")
        _serve(app, host, port)

    @main.command()
    @click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
    @with_app
    def worker(app: Flask, burst: bool) -> None:
        """Run an RQ worker (with RQ's scheduler) on FLOWLEDGER_REDIS_URL."""
        rt = runtime(app)
        if not rt.queue.uses_redis:
            click.echo("No FLOWLEDGER_REDIS_URL is configured: jobs run in-process inside "
                       "the web app, so there is nothing for a worker to do.", err=True)
            sys.exit(2)
        from redis import Redis
        from rq import Queue, Worker

        job_runtime.configure(app.config["DATABASE_URL"])
        connection = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(rt.queue.name, connection=connection)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        click.echo(f"Worker listening on queue '{queue.name}'" + (" (burst)" if burst else ""))
        Worker([queue], connection=connection).work(burst=burst, with_scheduler=not burst)


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from designer.embedded import start_ticker

    if start_ticker(app):
        click.echo("Timers and reservation expiry run in this process (no Redis configured).")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register_scheduler(main: click.Group) -> None:
    from designer.cli import with_app

    @main.command()
    @click.option("--interval", default=30, show_default=True, type=int,
                  help="Seconds between checks for due periodic jobs.")
    @click.option("--once", is_flag=True, help="Check once, then exit.")
    @with_app
    def scheduler(app: Flask, interval: int, once: bool) -> None:
        """Enqueue periodic jobs (audit verification, …) on FLOWLEDGER_REDIS_URL."""
        import time

        from redis import Redis
        from rq import Queue

        from designer import periodic

        if not runtime(app).queue.uses_redis:
            click.echo("No FLOWLEDGER_REDIS_URL is configured: nothing to schedule.", err=True)
            sys.exit(2)
        connection = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(runtime(app).queue.name, connection=connection)
        while True:
            for name in periodic.run_due(connection, queue, time.time()):
                click.echo(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
