"""Chinese and English: gettext for the UI chrome (Flask-Babel); labels are data."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["DEFAULT_LANGUAGE"]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
