"""The web shell: health, session login with CSRF, language switch."""

from __future__ import annotations

import re
from typing import Any

from engine.services import identity


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def make_admin(app: Any) -> str:
    store = app.extensions["flowledger"].store
    identity.create_tenant(store, "acme", "Acme")
    new = identity.create_user(store, "acme", "admin", admin=True, display_name="管理员")
    assert new.password
    return new.password


def test_health_reports_database_and_redis(client: Any) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["migrated"]
    assert body["redis"] == {"configured": False, "ok": False}
    assert response.headers["X-Request-ID"]


def test_health_is_degraded_when_redis_is_configured_but_down(app: Any) -> None:
    from designer.queue import JobQueue

    app.extensions["flowledger"].queue = JobQueue("redis://127.0.0.1:1/0", "q")
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["redis"] == {"configured": True, "ok": False}


def test_openapi_document_lists_health(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/health" in spec["paths"]


def test_login_requires_csrf(app: Any) -> None:
    password = make_admin(app)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": password})
    assert response.status_code == 400  # no CSRF token


def test_login_with_the_printed_password_then_logout(app: Any) -> None:
    password = make_admin(app)
    client = app.test_client()
    assert client.get("/").status_code == 302  # not signed in: to the login page
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    bad = client.post("/login", data={"username": "admin", "password": "nope-nope-nope",
                                      "csrf_token": token})
    assert bad.status_code == 401
    good = client.post("/login?next=/", data={"username": "admin", "password": password,
                                             "csrf_token": token})
    assert good.status_code == 302 and good.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "管理员" in home and "acme" in home
    out = client.post("/logout", data={"csrf_token": csrf_from(home)})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_login_refuses_open_redirects(app: Any) -> None:
    password = make_admin(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "admin", "password": password,
                                 "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_language_switch(client: Any) -> None:
    zh = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "登录" in zh and "用户名" in zh
    client.get("/lang/en")
    en = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign in" in en and "用户名" not in en


def test_engine_errors_become_problem_json(app: Any) -> None:
    from flask import Blueprint

    from engine.errors import Conflict

    bp = Blueprint("boom", __name__)

    @bp.get("/api/v1/boom")
    def boom() -> Any:
        raise Conflict.of("demo.conflict", "It clashes", "冲突了", path="lines[2].qty")

    app.register_blueprint(bp)
    response = app.test_client().get("/api/v1/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "demo.conflict"
    assert body["errors"][0]["source"] == {"path": "lines[2].qty"}


def test_sign_in_is_rate_limited(app: Any) -> None:
    make_admin(app)
    app.config["LOGIN_LIMIT_PER_USER"] = "3/minute"
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"username": "admin", "password": "wrong-password",
                                         "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    api = [client.post("/api/v1/session", json={"username": "other", "password": "x" * 12})
           .status_code for _ in range(4)]
    assert 429 not in api[:3] and api[3] == 429  # another username had its own budget
    blocked = client.post("/api/v1/session", json={"username": "admin", "password": "x" * 12})
    assert blocked.status_code == 429
    assert blocked.get_json()["code"] == "auth.too_many_attempts"
    assert blocked.headers["Retry-After"] == "60"


def test_a_request_is_scoped_to_its_credentials_tenant(app: Any) -> None:
    from designer import auth
    from engine.store import tenancy

    make_admin(app)
    store = app.extensions["flowledger"].store
    token = identity.create_token(store, "acme", "admin", "probe").token
    tenant_id = identity.get_tenant(store, "acme").id
    with app.test_request_context("/api/v1/items",
                                  headers={"Authorization": f"Bearer {token}"}):
        assert tenancy.current() is None  # before anyone is authenticated
        auth.api_principal()
        assert tenancy.current() == tenant_id
        app.do_teardown_request()
        assert tenancy.current() is None
