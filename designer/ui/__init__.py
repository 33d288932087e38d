"""Server-rendered pages (Jinja2). Views are thin: parse, one service call, render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

from designer import runtime
from designer.auth import call_context, current_principal, login_session
from engine.errors import AuthenticationFailed
from engine.services import identity

bp = Blueprint("ui", __name__, template_folder="templates")


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"principal": current_principal(), "get_locale": get_locale}


@bp.get("/")
def home() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("ui.login", next=request.path))
    return render_template("home.html")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    try:
        principal = identity.authenticate(
            runtime(current_app).store, username, password, call_context())
    except AuthenticationFailed:
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    login_session(principal)
    target = request.args.get("next", "")
    # Only same-site relative paths: never an open redirect.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("ui.home")
    return redirect(target)


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("ui.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    back = request.referrer or url_for("ui.home")
    host = request.host_url
    return redirect(back if back.startswith(host) else url_for("ui.home"))


def init_app(app: Flask) -> None:
    CSRFProtect(app)
    app.register_blueprint(bp)
