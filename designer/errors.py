"""Engine errors as ``application/problem+json`` for the API, as pages for the UI."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask_babel import get_locale

from engine.errors import EngineError


def problem_response(exc: EngineError) -> Any:
    lang = str(get_locale() or "en")
    body = {
        "type": f"https://flowledger.dev/problems/{exc.code}",
        "title": exc.problems[0].message.get(lang),
        "status": exc.status,
        **exc.as_dict(lang),
    }
    response = jsonify(body)
    response.status_code = exc.status
    response.mimetype = "application/problem+json"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError) -> Any:
        if request.path.startswith("/api/"):
            return problem_response(exc)
        from flask import render_template

        return render_template("error.html", error=exc), exc.status
