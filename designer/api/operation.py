"""One decorator per API operation: who may call it, and how it can fail.

``@operation(blp, "stock.view", errors=(404,))`` authenticates the caller (bearer
token or session + CSRF), checks the permission, runs POSTs under their
``Idempotency-Key``, and documents all of that in the OpenAPI document: the
security schemes, ``x-permission``, and the problem+json error responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from http import HTTPStatus
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from designer import auth
from designer.api import idempotency, problems
from engine.errors import EngineError

SECURITY = [{"bearerToken": []}, {"sessionCookie": []}]
DESCRIPTIONS = {
    401: "Not signed in, or the API token is invalid, expired or revoked",
    403: "Signed in, but without the permission this operation needs (or a bad CSRF token)",
    404: "No such object in your tenant (another tenant's ids answer the same)",
    409: "The request clashes with the current state",
    422: "The request is not valid: every field error is listed",
    429: "Too many attempts from this address: wait (see Retry-After) and try again",
}


class _StrictParser(FlaskParser):
    """Unknown query parameters are refused (422), as unknown body fields are: a
    ``?tenant_id=`` must not pass silently, even where nothing would read it."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": RAISE, "querystring": RAISE}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = _StrictParser()


def blueprint(name: str, description: str, url_prefix: str = "/api/v1") -> Blueprint:
    """An API blueprint whose engine errors answer as problem+json."""
    blp = ApiBlueprint(name, __name__, url_prefix=url_prefix, description=description)
    blp.register_error_handler(EngineError, problems.engine_error)
    return blp


def problem_response(blp: Blueprint, status: int) -> Callable[[Any], Any]:
    """Document an error status by the shared problem+json response component."""
    return blp.alt_response(status, response=HTTPStatus(status).name)


def operation(blp: Blueprint, permission: str | None, *, errors: Iterable[int] = (),
              public: bool = False) -> Callable[[Any], Any]:
    """Declare an operation. ``permission=None``: any signed-in member may call it;
    ``public=True``: no credential at all (sign-in)."""
    if permission is not None:
        assert permission in auth.PERMISSIONS, permission
    statuses = sorted({*errors, 422} | (set() if public else {401, 403}))

    def decorator(func: Any) -> Any:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            def run() -> Any:
                return current_app.ensure_sync(func)(*args, **kwargs)

            if public:
                return run()
            principal = auth.require(permission)
            if request.method == "POST":
                return idempotency.guarded(principal, run)
            return run()

        for status in statuses:
            wrapper = problem_response(blp, status)(wrapper)
        return blp.doc(security=[] if public else SECURITY, **{
            "x-permission": permission or ("none" if public else "member")})(wrapper)

    return decorator
