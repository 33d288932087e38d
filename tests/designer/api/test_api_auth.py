"""Credentials and permissions: 401 without or with a bad credential, 403 without the
permission, session callers need CSRF on unsafe methods, bearer callers do not."""

from __future__ import annotations

from typing import Any

from designer import auth
from engine.services import identity
from engine.services.identity import Principal


def test_no_credential_is_401_with_a_problem(api: Any) -> None:
    response = api.get("items", as_=None)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["code"] == "auth.required" and body["status"] == 401
    assert body["errors"][0]["code"] == "auth.required"


def test_bad_tokens_are_401_and_never_say_why(api: Any) -> None:
    for header in ("Bearer flt_nope_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 600):
        response = api.get("items", as_=None, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["code"].startswith("auth.")


def test_a_revoked_token_stops_working(api: Any) -> None:
    token = identity.create_token(api.store, "acme", "viewer", "temp")
    headers = {"Authorization": f"Bearer {token.token}"}
    assert api.get("items", as_=None, headers=headers).status_code == 200
    assert api.call("DELETE", f"tokens/{token.id}").status_code == 204
    assert api.get("items", as_=None, headers=headers).status_code == 401


def test_missing_permission_is_403_and_names_it(api: Any) -> None:
    response = api.post("items", {"code": "X", "name": "X", "base_unit": "p"}, as_="viewer")
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "auth.permission_denied" and body["permission"] == "masterdata.edit"
    assert api.get("audit/events", as_="keeper").status_code == 403
    assert api.get("users", as_="keeper").status_code == 200  # identity.view from the role


def test_401_comes_before_validation_and_403_before_404(api: Any) -> None:
    assert api.post("items", {"nonsense": 1}, as_=None).status_code == 401
    assert api.get("users/999999", as_="keeper").status_code == 404
    assert api.call("PATCH", "users/999999/membership", json={"department": None},
                    as_="keeper").status_code == 403


def test_session_sign_in_then_csrf_on_unsafe_methods(api: Any, app: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    bad = client.post("/api/v1/session", json={"username": "admin", "password": "wrong-pw"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "auth.invalid_credentials"
    signed = client.post("/api/v1/session", json={"username": "admin",
                                                  "password": "long-enough-pw"})
    assert signed.status_code == 200
    me = signed.get_json()
    assert me["credential"] == "session" and me["tenant"]["slug"] == "acme"
    assert "identity.manage" in me["permissions"]
    assert client.get("/api/v1/items").status_code == 200
    item = {"code": "S-1", "name": "Session item", "base_unit": "piece"}
    refused = client.post("/api/v1/items", json=item)
    assert refused.status_code == 403 and refused.get_json()["code"] == "auth.csrf_invalid"
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    created = client.post("/api/v1/items", json=item, headers={"X-CSRFToken": token})
    assert created.status_code == 201
    assert client.delete("/api/v1/session", headers={"X-CSRFToken": token}).status_code == 204
    assert client.get("/api/v1/items").status_code == 401


def test_bearer_callers_need_no_csrf(api: Any, app: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = api.post("items", {"code": "B-1", "name": "Bearer item", "base_unit": "piece"})
    assert response.status_code == 201
    assert api.get("session").get_json()["credential"] == "token"
    assert "csrf_token" not in api.get("session").get_json()


def principal(admin: bool = False, roles: tuple[str, ...] = ()) -> Principal:
    return Principal(1, "u", "U", 1, "t", 1, admin, roles)


def test_the_permission_model() -> None:
    assert auth.permissions_of(principal(admin=True)) == frozenset(auth.PERMISSIONS)
    member = auth.MEMBER_PERMISSIONS  # documents: the flow decides who may act
    assert member == {"definitions.view", "documents.create", "documents.view",
                      "documents.act"}
    assert auth.permissions_of(principal()) == member
    viewer = auth.permissions_of(principal(roles=("viewer",)))
    assert viewer == {"identity.view", "masterdata.view", "stock.view"} | member
    direct = auth.permissions_of(principal(roles=("audit.view", "identity.manage", "odd")))
    assert direct == {"audit.view"} | member  # a permission-named role grants it, not admin's
    assert auth.has_permission(principal(roles=("designer",)), "design")
    assert not auth.has_permission(principal(roles=("storekeeper",)), "design")
    assert auth.has_permission(principal(roles=("stock_manager",)), "stock.value")
