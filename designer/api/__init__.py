"""The REST API under ``/api/v1`` (flask-smorest, OpenAPI 3).

Resources (docs/api.md): ``session``, ``tenants``, ``users``, ``roles``,
``departments``, ``tokens`` (identity); ``items``, ``locations``, ``batches``,
``boms`` (master data); ``stock/*`` (reports); ``ledger/postings`` and
``sales/batch`` (posting); ``definitions`` (forms, flows, rule sets); ``templates``;
``documents`` and ``tasks``; ``audit/events``; ``health``.

The OpenAPI document is at ``/api/v1/openapi.json`` and Swagger UI, served from the
vendored files in ``designer/static/vendor/swagger-ui``, at ``/api/v1/docs``.
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from designer.api import idempotency, problems
from designer.api.examples import errors, named
from designer.api.schemas import DecimalOut, DecimalString, KeyConverter, Timestamp

API_PREFIX = "/api/v1"
INFO = {
    "description": (
        "Flowledger's REST API. Authenticate with `Authorization: Bearer flt_…` (an API "
        "token) or the UI's session cookie plus `X-CSRFToken` on unsafe methods. The "
        "tenant always comes from the credential. Errors are `application/problem+json` "
        "with a stable `code`, a `message` and a `source`. Lists page with `limit` and "
        "`cursor`. POSTs accept an `Idempotency-Key`. See docs/api.md."),
}
SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "flt_<prefix>_<secret>",
                    "description": "An API token from POST /api/v1/tokens"},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                      "description": "The UI session; unsafe methods also need X-CSRFToken"},
}


class FlowledgerApi(Api):
    """flask-smorest's Api with problem+json errors, documented as such (with examples)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = problems.ProblemSchema
                response["examples"] = errors.examples_for(status)
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error (problem details)", "schema": problems.ProblemSchema,
                   "examples": named(server=("An unexpected error", errors.SERVER_ERROR))}
        prepare_response(default, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        if request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX:
            return problems.http_error(error)
        return super().handle_http_exception(error)


def _finish_spec(api: FlowledgerApi) -> None:
    """What decorators cannot add per operation: the Idempotency-Key header on POSTs."""
    for operations in api.spec._paths.values():
        post = operations.get("post")
        if post is not None and post.get("security"):
            post.setdefault("parameters", []).append(dict(idempotency.HEADER_DOC))


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Flowledger")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", "/static/vendor/swagger-ui/")
    app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", {"validatorUrl": None,
                                                        "withCredentials": True})
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": INFO, "components": {"securitySchemes": SECURITY_SCHEMES}})
    api = FlowledgerApi()
    api.register_field(DecimalString, "string", "decimal")
    api.register_field(DecimalOut, "string", "decimal")
    api.register_field(Timestamp, "string", "date-time")
    app.url_map.converters["key"] = KeyConverter
    api.register_converter(KeyConverter, lambda converter: dict(KeyConverter.openapi))
    api.init_app(app)
    idempotency.init_app(app, app.config.get("IDEMPOTENCY_STORE"))

    from designer.api import (
        attachments,
        audit,
        definitions,
        documents,
        health,
        identity,
        ledger,
        masterdata,
        session,
        stock,
        templates,
    )

    blueprints = [health.blp, session.blp, identity.blp, masterdata.blp, stock.blp, ledger.blp,
                  definitions.blp, templates.blp, documents.blp, attachments.blp, audit.blp]
    csrf = app.extensions.get("csrf")
    for blp in blueprints:
        api.register_blueprint(blp)
        if csrf is not None:
            # Bearer requests carry no CSRF token; session requests are checked by
            # designer.auth when an operation runs (unsafe methods only).
            csrf.exempt(blp)
    _finish_spec(api)
    app.extensions["flowledger.api"] = api
