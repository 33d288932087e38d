"""Sign-in rate limits: too many attempts from one address (for one user, or in all)
answer 429 before any password is checked.

Counters live in Redis when ``REDIS_URL`` is set (shared by every web process) and in
process memory otherwise. Limits are settings: ``LOGIN_LIMIT_PER_USER`` (per address
and username) and ``LOGIN_LIMIT_PER_ADDRESS``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from engine.errors import TooManyAttempts

SIGN_IN = {("POST", "/login"), ("POST", "/api/v1/session")}


def _username() -> str:
    if request.is_json:
        body = request.get_json(silent=True) or {}
        return str(body.get("username", ""))[:150].lower() if isinstance(body, dict) else ""
    return request.form.get("username", "")[:150].lower()


def init_app(app: Flask) -> None:
    app.config.setdefault("LOGIN_LIMIT_PER_USER", "10/minute")
    app.config.setdefault("LOGIN_LIMIT_PER_ADDRESS", "30/minute")
    uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
    limiter = MovingWindowRateLimiter(storage_from_string(uri))
    app.extensions["flowledger.limiter"] = limiter

    @app.before_request
    def _limit_sign_in() -> Any:
        if (request.method, request.path) not in SIGN_IN:
            return None
        address = request.remote_addr or "?"
        checks = [(current_app.config["LOGIN_LIMIT_PER_USER"], ("user", address, _username())),
                  (current_app.config["LOGIN_LIMIT_PER_ADDRESS"], ("address", address))]
        for spec, key in checks:
            if not limiter.hit(parse(spec), "flowledger-login", *key):
                return _too_many(spec)
        return None


def _too_many(spec: str) -> Any:
    if request.path.startswith("/api/"):
        from designer.api.problems import engine_error

        response = engine_error(TooManyAttempts.of(
            "auth.too_many_attempts", f"Too many sign-in attempts ({spec}): wait a minute",
            f"登录尝试过于频繁（{spec}），请稍后再试"))
    else:
        from flask import render_template_string

        response = current_app.make_response((render_template_string(
            "<p role=alert>登录尝试过于频繁，请稍后再试 / Too many sign-in attempts: "
            "wait a minute and try again.</p>"), 429))
    response.headers["Retry-After"] = "60"
    return response
