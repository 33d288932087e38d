"""The REST API under ``/api/v1`` (flask-smorest, OpenAPI 3)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Flowledger")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    from designer.api import health

    api.register_blueprint(health.blp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        # The API authenticates with bearer tokens; the session UI posts forms with CSRF.
        csrf.exempt(health.blp)
