"""The Flask application: app factory, configuration, API, UI and CLI."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from designer import config as config_mod
from designer.queue import JobQueue
from engine.store import Store

__all__ = ["Runtime", "create_app", "runtime"]


@dataclass
class Runtime:
    """What views and commands need from the engine, built once per app."""

    store: Store
    queue: JobQueue


def runtime(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["flowledger"]
    return rt


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or config_mod.instance_path_from_env()
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(config_mod.resolve(Path(app.instance_path), overrides))
    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    app.extensions["flowledger"] = Runtime(
        store=Store(app.config["DATABASE_URL"]),
        queue=JobQueue(app.config["REDIS_URL"], app.config["QUEUE_NAME"]),
    )

    from designer import api, errors, i18n, limits, ui

    limits.init_app(app)
    i18n.init_app(app)
    ui.init_app(app)
    api.init_app(app)
    errors.init_app(app)

    from designer.auth import unscope_request

    app.teardown_request(unscope_request)

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Any) -> Any:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    return app
