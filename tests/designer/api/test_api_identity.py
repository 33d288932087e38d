"""Identity over HTTP: users and memberships, roles, departments, API tokens, tenants."""

from __future__ import annotations

from typing import Any


def test_admin_creates_a_user_and_sees_the_generated_password_once(api: Any) -> None:
    created = api.post("users", {"username": "li.lei", "display_name": "李雷",
                                 "roles": ["viewer"], "email": "li@example.com"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["password"] and body["roles"] == ["viewer"]
    assert created.headers["Location"] == f"/api/v1/users/{body['id']}"
    shown = api.get(f"users/{body['id']}").get_json()
    assert "password" not in shown and shown["display_name"] == "李雷"
    chosen = api.post("users", {"username": "han.mei", "password": "a-long-password"})
    assert "password" not in chosen.get_json()
    again = api.post("users", {"username": "li.lei"})
    assert again.status_code == 409 and again.get_json()["code"] == "user.exists"


def test_every_field_error_is_listed(api: Any) -> None:
    response = api.post("users", {"username": "", "email": "not-an-email", "admin": "maybe",
                                  "roles": "viewer", "tenant_id": 2, "status": "active"})
    assert response.status_code == 422
    body = response.get_json()
    found = {e["source"]["path"]: e["code"] for e in body["errors"]}
    assert found == {"username": "field.invalid", "email": "field.invalid",
                     "admin": "field.invalid", "roles": "field.invalid",
                     "tenant_id": "field.server_owned", "status": "field.server_owned"}
    assert body["code"] == "request.server_owned_field"
    assert all(e["source"]["in"] == "body" for e in body["errors"])
    short = api.post("users", {"username": "shorty", "password": "short"})
    assert short.status_code == 422 and short.get_json()["code"] == "user.password_too_short"


def test_users_filter_and_page(api: Any) -> None:
    names = [u["username"] for u in api.get("users").get_json()["items"]]
    assert names == ["admin", "keeper", "viewer"]  # only this tenant's members
    assert [u["username"] for u in api.get("users?role=viewer").get_json()["items"]] == [
        "viewer"]
    assert [u["username"] for u in api.get("users?admin=true").get_json()["items"]] == ["admin"]
    assert [u["username"] for u in api.get("users?q=kee").get_json()["items"]] == ["keeper"]
    first = api.get("users?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"users?limit=2&cursor={first['next_cursor']}").get_json()
    assert [u["username"] for u in rest["items"]] == ["viewer"] and rest["next_cursor"] is None
    bad = api.get("users?cursor=garbage!")
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["source"] == {"path": "cursor", "in": "query"}


def test_roles_departments_and_memberships(api: Any) -> None:
    role = api.post("roles", {"key": "buyer", "labels": {"zh": "采购", "en": "Buyer"}})
    assert role.status_code == 201 and role.get_json()["key"] == "buyer"
    assert api.post("roles", {"key": "buyer"}).status_code == 409
    assert "buyer" in [r["key"] for r in api.get("roles").get_json()["items"]]
    top = api.post("departments", {"code": "hq", "labels": {"en": "HQ"}, "head": "admin"})
    assert top.status_code == 201, top.get_json()
    sales = api.post("departments", {"code": "sales", "parent": "hq"}).get_json()
    assert sales["parent_id"] == top.get_json()["id"]
    assert api.post("departments", {"code": "x", "parent": "nope"}).status_code == 404
    below = api.get(f"departments?parent_id={top.get_json()['id']}").get_json()["items"]
    assert [d["code"] for d in below] == ["sales"]
    user_id = api.shop.users["viewer"]
    moved = api.call("PATCH", f"users/{user_id}/membership", json={"department": "sales"})
    assert moved.status_code == 200 and moved.get_json()["department"] == "sales"
    granted = api.post(f"users/{user_id}/roles", {"role": "buyer"}).get_json()
    assert granted["roles"] == ["buyer", "viewer"]
    cleared = api.call("PATCH", f"users/{user_id}/membership", json={"department": None})
    assert cleared.get_json()["department"] is None


def test_tokens_show_the_secret_once_and_belong_to_their_user(api: Any) -> None:
    made = api.post("tokens", {"name": "till 1"}, as_="keeper")
    assert made.status_code == 201
    secret = made.get_json()["token"]
    assert secret.startswith("flt_")
    listed = api.get("tokens", as_="keeper").get_json()["items"]
    assert {t["username"] for t in listed} == {"keeper"}
    assert all("token" not in t and "secret_hash" not in t for t in listed)
    new_id = made.get_json()["id"]
    assert api.get(f"tokens/{new_id}", as_="viewer").status_code == 404  # not theirs
    assert api.call("DELETE", f"tokens/{new_id}", as_="viewer").status_code == 404
    assert api.get(f"tokens/{new_id}").status_code == 200  # admins see all
    viewer_id = api.shop.users["viewer"]
    assert api.post("tokens", {"name": "x", "user_id": viewer_id},
                    as_="keeper").status_code == 403
    assert api.get(f"tokens?user_id={viewer_id}", as_="keeper").status_code == 403
    for_viewer = api.post("tokens", {"name": "for viewer", "user_id": viewer_id})
    assert for_viewer.status_code == 201 and for_viewer.get_json()["user_id"] == viewer_id
    assert api.call("DELETE", f"tokens/{new_id}", as_="keeper").status_code == 204
    assert api.get("tokens", as_="keeper").get_json()["items"][0]["id"] != new_id
    revoked = api.get("tokens?include_revoked=true", as_="keeper").get_json()["items"]
    assert any(t["id"] == new_id and t["revoked_at"] for t in revoked)
    stale = {"Authorization": f"Bearer {secret}"}
    assert api.get("items", as_=None, headers=stale).status_code == 401


def test_tenants_are_for_admins_and_show_only_their_own(api: Any) -> None:
    assert api.get("tenants").get_json() == [
        {"id": api.shop.tenant_id, "slug": "acme", "name": "Acme"}]
    assert api.get("tenants", as_="viewer").status_code == 403
