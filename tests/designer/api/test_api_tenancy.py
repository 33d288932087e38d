"""Tenant isolation: for every operation, tenant A naming tenant B's objects.

Ids of another tenant answer 404 in paths and bodies and match nothing in filters;
``tenant_id`` (or any server-owned field) in a body answers 422. A meta-test fails
when an operation of the OpenAPI document has no case here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from desk import FORM, desk, publish, submitted, transfer
from sqlalchemy import text
from test_api_attachments import CLAIM

from engine.services import posting

Case = Callable[[Any], None]
CASES: dict[tuple[str, str], Case] = {}
NO_TENANT_INPUT = {("get", "/api/v1/health"), ("get", "/api/v1/session"),
                   ("post", "/api/v1/session"), ("delete", "/api/v1/session"),
                   ("get", "/api/v1/tenants")}


def case(method: str, path: str) -> Callable[[Case], Case]:
    def register(func: Case) -> Case:
        CASES[(method, "/api/v1/" + path)] = func
        return func
    return register


def not_found(response: Any) -> None:
    assert response.status_code == 404, response.get_json()
    assert response.mimetype == "application/problem+json"


def empty(response: Any) -> None:
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == []


def owned_field_refused(api: Any, path: str, body: dict[str, Any], method: str = "POST") -> None:
    for name, value in (("tenant_id", api.other.tenant_id), ("id", 1), ("status", "x"),
                        ("created_by", 1)):
        response = api.call(method, path, json={**body, name: value})
        assert response.status_code == 422, (path, name)
        errors = response.get_json()["errors"]
        assert {"code": "field.server_owned", "path": name} in [
            {"code": e["code"], "path": e["source"].get("path")} for e in errors]


# identity ----------------------------------------------------------------------------------

@case("get", "users")
def _users(api: Any) -> None:
    rival = api.other.users["r-admin"]
    names = [u["username"] for u in api.get("users?limit=500").get_json()["items"]]
    assert "r-admin" not in names
    empty(api.get("users?q=r-admin"))
    assert api.get(f"users/{rival}").status_code == 404


@case("post", "users")
def _new_user(api: Any) -> None:
    owned_field_refused(api, "users", {"username": "new.one"})
    assert api.post("users", {"username": "x.y", "department": "rival-dept"}).status_code == 404


@case("get", "users/{user_id}")
def _user(api: Any) -> None:
    not_found(api.get(f"users/{api.other.users['r-viewer']}"))


@case("patch", "users/{user_id}/membership")
def _membership(api: Any) -> None:
    not_found(api.call("PATCH", f"users/{api.other.users['r-viewer']}/membership",
                       json={"department": None}))
    owned_field_refused(api, f"users/{api.shop.users['viewer']}/membership",
                        {"department": None}, method="PATCH")


@case("post", "users/{user_id}/roles")
def _grant(api: Any) -> None:
    not_found(api.post(f"users/{api.other.users['r-viewer']}/roles", {"role": "viewer"}))
    owned_field_refused(api, f"users/{api.shop.users['viewer']}/roles", {"role": "viewer"})


@case("get", "roles")
def _roles(api: Any) -> None:
    ids = {r["id"] for r in api.get("roles").get_json()["items"]}
    theirs = {r["id"] for r in api.get("roles", shop=api.other, as_="admin").get_json()["items"]}
    assert ids and theirs and not ids & theirs


@case("post", "roles")
def _new_role(api: Any) -> None:
    owned_field_refused(api, "roles", {"key": "k"})


@case("get", "departments")
def _departments(api: Any) -> None:
    made = api.post("departments", {"code": "r-d"}, shop=api.other, as_="admin")
    assert made.status_code == 201
    empty(api.get(f"departments?parent_id={made.get_json()['id']}"))
    assert api.get("departments").get_json()["items"] == []


@case("post", "departments")
def _new_department(api: Any) -> None:
    owned_field_refused(api, "departments", {"code": "d"})
    api.post("departments", {"code": "theirs"}, shop=api.other, as_="admin")
    not_found(api.post("departments", {"code": "mine", "parent": "theirs"}))
    not_found(api.post("departments", {"code": "mine2", "head": "r-admin"}))


@case("get", "tokens")
def _tokens(api: Any) -> None:
    empty(api.get(f"tokens?user_id={api.other.users['r-admin']}"))


@case("post", "tokens")
def _new_token(api: Any) -> None:
    owned_field_refused(api, "tokens", {"name": "t"})
    not_found(api.post("tokens", {"name": "t", "user_id": api.other.users["r-admin"]}))


@case("get", "tokens/{token_id}")
def _token(api: Any) -> None:
    theirs = api.get("tokens", shop=api.other, as_="admin").get_json()["items"][0]["id"]
    not_found(api.get(f"tokens/{theirs}"))


@case("delete", "tokens/{token_id}")
def _revoke(api: Any) -> None:
    theirs = api.get("tokens", shop=api.other, as_="admin").get_json()["items"][0]["id"]
    not_found(api.call("DELETE", f"tokens/{theirs}"))
    assert api.get("session", shop=api.other, as_="admin").status_code == 200  # still valid


# master data -----------------------------------------------------------------------------

@case("get", "items")
def _items(api: Any) -> None:
    codes = [i["id"] for i in api.get("items").get_json()["items"]]
    assert set(codes) == set(api.shop.items.values())


@case("post", "items")
def _new_item(api: Any) -> None:
    owned_field_refused(api, "items", {"code": "N", "name": "N", "base_unit": "p"})


@case("get", "items/{item_id}")
def _item(api: Any) -> None:
    not_found(api.get(f"items/{api.other.items['A1']}"))


@case("get", "locations")
def _locations(api: Any) -> None:
    empty(api.get(f"locations?parent_id={api.other.locations['HQ']}"))


@case("post", "locations")
def _new_location(api: Any) -> None:
    owned_field_refused(api, "locations", {"code": "L", "name": "L", "kind": "store"})
    api.post("locations", {"code": "THEIRS", "name": "x", "kind": "store"},
             shop=api.other, as_="admin")
    not_found(api.post("locations", {"code": "L", "name": "L", "kind": "store",
                                     "parent": "THEIRS"}))


@case("get", "locations/tree")
def _tree(api: Any) -> None:
    not_found(api.get(f"locations/tree?root_id={api.other.locations['HQ']}"))


@case("get", "locations/{location_id}")
def _location(api: Any) -> None:
    not_found(api.get(f"locations/{api.other.locations['WH']}"))


@case("get", "batches")
def _batches(api: Any) -> None:
    empty(api.get(f"batches?item_id={api.other.items['MILK']}"))


@case("post", "batches")
def _new_batch(api: Any) -> None:
    owned_field_refused(api, "batches", {"item": "MILK", "code": "B"})
    api.post("items", {"code": "THEIR-ITEM", "name": "x", "base_unit": "p"},
             shop=api.other, as_="admin")
    not_found(api.post("batches", {"item": "THEIR-ITEM", "code": "B"}))


@case("get", "batches/{batch_id}")
def _batch(api: Any) -> None:
    not_found(api.get(f"batches/{api.other.batches['L1']}"))


@case("get", "boms")
def _boms(api: Any) -> None:
    api.call("PUT", f"items/{api.other.items['A1']}/boms/bom", shop=api.other, as_="admin",
             json={"lines": [{"component": "MILK", "qty": "1"}]})
    empty(api.get(f"boms?item_id={api.other.items['A1']}"))


@case("get", "items/{item_id}/boms/{kind}")
def _bom(api: Any) -> None:
    api.call("PUT", f"items/{api.other.items['A1']}/boms/bom", shop=api.other, as_="admin",
             json={"lines": [{"component": "MILK", "qty": "1"}]})
    not_found(api.get(f"items/{api.other.items['A1']}/boms/bom"))


@case("put", "items/{item_id}/boms/{kind}")
def _set_bom(api: Any) -> None:
    body = {"lines": [{"component": "MILK", "qty": "1"}]}
    not_found(api.call("PUT", f"items/{api.other.items['A1']}/boms/bom", json=body))
    api.post("items", {"code": "THEIR-PART", "name": "x", "base_unit": "p"},
             shop=api.other, as_="admin")
    not_found(api.call("PUT", f"items/{api.shop.items['A1']}/boms/bom",
                       json={"lines": [{"component": "THEIR-PART", "qty": "1"}]}))
    owned_field_refused(api, f"items/{api.shop.items['A1']}/boms/bom", body, method="PUT")


@case("get", "items/{item_id}/boms/{kind}/explosion")
def _explode(api: Any) -> None:
    not_found(api.get(f"items/{api.other.items['A1']}/boms/bom/explosion?qty=1"))


# stock, ledger, audit ----------------------------------------------------------------------

@case("get", "stock/balances")
def _balances(api: Any) -> None:
    other = api.other
    empty(api.get(f"stock/balances?item_id={other.items['A1']}"))
    empty(api.get(f"stock/balances?location_id={other.locations['WH']}"))
    empty(api.get(f"stock/balances?batch_id={other.batches['L1']}"))
    not_found(api.get(f"stock/balances?under={other.locations['HQ']}"))


@case("get", "stock/movements")
def _movements(api: Any) -> None:
    other = api.other
    empty(api.get(f"stock/movements?item_id={other.items['A1']}"))
    empty(api.get(f"stock/movements?location_id={other.locations['WH']}"))
    mine = api.get("stock/movements?limit=500").get_json()["items"]
    assert {m["item_id"] for m in mine} <= set(api.shop.items.values())


@case("get", "stock/expiring")
def _expiring(api: Any) -> None:
    empty(api.get(f"stock/expiring?item_id={api.other.items['MILK']}"))
    empty(api.get(f"stock/expiring?location_id={api.other.locations['WH']}"))


@case("get", "stock/reorder")
def _reorder(api: Any) -> None:
    ids = {r["item_id"] for r in api.get("stock/reorder").get_json()["items"]}
    assert ids <= set(api.shop.items.values())


@case("get", "stock/valuation")
def _valuation(api: Any) -> None:
    empty(api.get(f"stock/valuation?item_id={api.other.items['A1']}"))
    assert api.get("stock/valuation").get_json()["total_value"] == "125"


@case("get", "stock/locks")
def _locks(api: Any) -> None:
    other, shop = api.other, api.shop
    posting.open_count(api.store, other.tenant_id, other.locations["WH"])
    empty(api.get("stock/locks"))
    posting.open_count(api.store, shop.tenant_id, shop.locations["S1"])
    mine = api.get("stock/locks").get_json()["items"]
    assert [(lock["location_id"], lock["location_code"]) for lock in mine] == [
        (shop.locations["S1"], "S1")]
    assert api.get("stock/locks", shop=other, as_="admin").get_json()["items"][0][
        "location_id"] == other.locations["WH"]


@case("post", "ledger/postings")
def _postings(api: Any) -> None:
    other, shop = api.other, api.shop
    for field, value in (("item_id", other.items["A1"]),
                         ("to_location_id", other.locations["WH"]),
                         ("batch_id", other.batches["L1"])):
        effect = {"key": f"t:{field}", "operation": "receive", "item_id": shop.items["MILK"],
                  "qty": "1", "to_location_id": shop.locations["WH"],
                  "batch_id": shop.batches["L1"], field: value}
        response = api.post("ledger/postings", {"document": "T", "event": "approved",
                                                "effects": [effect]})
        not_found(response)
    owned_field_refused(api, "ledger/postings", {"document": "T", "event": "e", "effects": [
        {"key": "k", "operation": "release"}]})


@case("post", "sales/batch")
def _sales(api: Any) -> None:
    api.post("locations", {"code": "THEIR-STORE", "name": "x", "kind": "store"},
             shop=api.other, as_="admin")
    result = api.post("sales/batch", {"sales": [{"client_id": "x", "location": "THEIR-STORE",
                                                 "lines": [{"item": "A1", "qty": "1"}]}]})
    assert result.get_json()["results"][0]["result"] == "unknown_location"
    owned_field_refused(api, "sales/batch", {"sales": [
        {"client_id": "y", "location": "WH", "lines": [{"item": "A1", "qty": "1"}]}]})


@case("get", "audit/events")
def _audit(api: Any) -> None:
    rival = api.other.users["r-admin"]
    empty(api.get(f"audit/events?actor_id={rival}&action=create"))
    mine = api.get("audit/events?limit=500").get_json()["items"]
    assert mine and all(e["actor_label"] != "r-admin" for e in mine)


@case("get", "audit/verify")
def _audit_verify(api: Any) -> None:
    with api.store.session() as s:  # break the other tenant's chain: ours stays whole
        s.execute(text("UPDATE audit_events SET action = 'forged' WHERE tenant_id = :t"),
                  {"t": api.other.tenant_id})
    mine = api.get("audit/verify").get_json()
    assert mine["ok"] is True and mine["events"] == len(
        api.get("audit/events?limit=500").get_json()["items"])
    assert api.get("audit/verify", shop=api.other).get_json()["ok"] is False


@case("get", "ledger/verify")
def _ledger_verify(api: Any) -> None:
    with api.store.session() as s:  # break the other tenant's balances: ours stay sound
        s.execute(text("UPDATE balances SET on_hand = on_hand + 7 WHERE tenant_id = :t"),
                  {"t": api.other.tenant_id})
    assert api.get("ledger/verify").get_json()["ok"] is True
    assert api.get("ledger/verify", shop=api.other).get_json()["ok"] is False


# definitions, templates, documents, tasks -----------------------------------------------------

def rival_form(api: Any) -> None:
    """A form only the rival has: ``rsale`` (version 1), and a draft of its flow."""
    other = api.other
    body = {**FORM, "key": "rsale"}
    assert api.call("PUT", "definitions/form/rsale/draft", json={"body": body}, shop=other,
                    as_="admin").status_code == 200
    assert api.post("definitions/form/rsale/publish", {}, shop=other,
                    as_="admin").status_code == 201
    api.call("PUT", "definitions/flow/rsale/draft", json={"body": {"x": 1}}, shop=other,
             as_="admin")


def rival_document(api: Any, *, draft: bool = False) -> int:
    """A transfer in the rival shop (submitted, or a draft); its id."""
    desk(api, api.other)
    if draft:
        made = api.post("documents", {"form": "transfer", "data": transfer(("A1", "1", "1"))},
                        shop=api.other, as_="clerk")
        return int(made.get_json()["id"])
    return submitted(api, ("A1", "1", "1"), shop=api.other)


@case("get", "definitions")
def _definitions(api: Any) -> None:
    rival_form(api)
    empty(api.get("definitions?key=rsale"))
    assert api.get("definitions").get_json()["items"] == []


@case("get", "definitions/{kind}/{key}")
def _latest(api: Any) -> None:
    rival_form(api)
    not_found(api.get("definitions/form/rsale"))


@case("get", "definitions/{kind}/{key}/versions/{version}")
def _version(api: Any) -> None:
    rival_form(api)
    not_found(api.get("definitions/form/rsale/versions/1"))


@case("get", "definitions/{kind}/{key}/draft")
def _draft(api: Any) -> None:
    rival_form(api)
    not_found(api.get("definitions/flow/rsale/draft"))


@case("put", "definitions/{kind}/{key}/draft")
def _save_draft(api: Any) -> None:
    rival_form(api)
    mine = api.call("PUT", "definitions/flow/rsale/draft", json={"body": {"mine": True}})
    assert mine.status_code == 200
    theirs = api.get("definitions/flow/rsale/draft", shop=api.other, as_="admin").get_json()
    assert theirs["body"] == {"x": 1}
    owned_field_refused(api, "definitions/form/sale/draft", {"body": {}}, method="PUT")


@case("post", "definitions/{kind}/{key}/validate")
def _validate(api: Any) -> None:
    rival_form(api)
    not_found(api.post("definitions/flow/rsale/validate", {}))
    owned_field_refused(api, "definitions/form/sale/validate", {"body": {}})


@case("post", "definitions/{kind}/{key}/publish")
def _publish(api: Any) -> None:
    rival_form(api)
    not_found(api.post("definitions/flow/rsale/publish", {}))
    owned_field_refused(api, "definitions/form/sale/publish", {})
    assert api.get("definitions/form/rsale", shop=api.other, as_="admin").get_json()[
        "version"] == 1


@case("post", "definitions/rules/{key}/dry-run")
def _dry_run(api: Any) -> None:
    theirs = rival_document(api)
    desk(api)
    not_found(api.post("definitions/rules/transfer/dry-run", {"document_id": theirs}))
    owned_field_refused(api, "definitions/rules/transfer/dry-run", {"data": {}})


@case("get", "templates")
def _templates(api: Any) -> None:
    api.post("templates/retail/install", {}, shop=api.other, as_="admin")
    assert api.get("templates").get_json() == api.get("templates", shop=api.other,
                                                      as_="admin").get_json()


@case("get", "templates/{key}")
def _template(api: Any) -> None:
    api.post("templates/retail/install", {}, shop=api.other, as_="admin")
    assert api.get("templates/retail").get_json() == api.get(
        "templates/retail", shop=api.other, as_="admin").get_json()


@case("post", "templates/{key}/install")
def _install(api: Any) -> None:
    assert api.post("templates/retail/install", {}, shop=api.other,
                    as_="admin").status_code == 200
    not_found(api.get("definitions/form/transfer"))  # the rival's install is not ours
    owned_field_refused(api, "templates/retail/install", {})


@case("post", "templates/{key}/upgrade")
def _upgrade(api: Any) -> None:
    api.post("templates/retail/install", {}, shop=api.other, as_="admin")
    not_found(api.post("templates/retail/upgrade", {"dry_run": True}))
    owned_field_refused(api, "templates/retail/upgrade", {})


@case("get", "documents")
def _documents(api: Any) -> None:
    rival_document(api)
    empty(api.get("documents?submitter=r-clerk"))
    assert api.get("documents").get_json()["items"] == []


@case("post", "documents")
def _new_document(api: Any) -> None:
    rival_form(api)
    not_found(api.post("documents", {"form": "rsale", "data": {}}))
    owned_field_refused(api, "documents", {"form": "rsale", "data": {}})


@case("post", "documents/submit")
def _submit_new(api: Any) -> None:
    rival_form(api)
    not_found(api.post("documents/submit", {"form": "rsale", "data": transfer()}))
    owned_field_refused(api, "documents/submit", {"form": "rsale", "data": {}})


@case("get", "documents/{document_id}")
def _document(api: Any) -> None:
    not_found(api.get(f"documents/{rival_document(api)}"))


@case("put", "documents/{document_id}")
def _update_document(api: Any) -> None:
    theirs = rival_document(api, draft=True)
    not_found(api.call("PUT", f"documents/{theirs}", json={"data": {}}))
    desk(api)
    mine = api.post("documents", {"form": "transfer", "data": {}}).get_json()["id"]
    owned_field_refused(api, f"documents/{mine}", {"data": {}}, method="PUT")


@case("post", "documents/{document_id}/submit")
def _submit(api: Any) -> None:
    theirs = rival_document(api, draft=True)
    not_found(api.post(f"documents/{theirs}/submit", {}))
    owned_field_refused(api, f"documents/{theirs}/submit", {})
    status = api.get(f"documents/{theirs}", shop=api.other, as_="clerk").get_json()["status"]
    assert status == "draft"


@case("post", "documents/{document_id}/actions")
def _act(api: Any) -> None:
    theirs = rival_document(api)
    not_found(api.post(f"documents/{theirs}/actions", {"action": "approve"}))
    owned_field_refused(api, f"documents/{theirs}/actions", {"action": "approve"})


@case("post", "documents/{document_id}/preview")
def _preview(api: Any) -> None:
    theirs = rival_document(api)
    not_found(api.post(f"documents/{theirs}/preview", {"action": "approve"}))
    owned_field_refused(api, f"documents/{theirs}/preview", {"action": "approve"})


@case("get", "documents/{document_id}/timeline")
def _timeline(api: Any) -> None:
    not_found(api.get(f"documents/{rival_document(api)}/timeline"))


@case("get", "documents/{document_id}/tasks")
def _document_tasks(api: Any) -> None:
    theirs = rival_document(api)
    not_found(api.get(f"documents/{theirs}/tasks"))
    assert api.get(f"documents/{theirs}/tasks", shop=api.other, as_="admin").status_code == 200


@case("get", "forms/{key}/access")
def _form_access(api: Any) -> None:
    rival_form(api)
    assert api.call("PUT", "forms/rsale/access", json={"view": {"*": "all"}}, shop=api.other,
                    as_="admin").status_code == 200
    not_found(api.get("forms/rsale/access"))


@case("put", "forms/{key}/access")
def _set_form_access(api: Any) -> None:
    rival_form(api)
    not_found(api.call("PUT", "forms/rsale/access", json={"view": {"*": "all"}}))
    theirs = api.get("forms/rsale/access", shop=api.other, as_="admin").get_json()
    assert theirs["view"] == {}  # unchanged
    desk(api)
    owned_field_refused(api, "forms/transfer/access", {"view": {}}, method="PUT")


def rival_attachment(api: Any) -> tuple[int, int]:
    """A draft in the rival shop with one file on an attachment field: (document, file)."""
    publish(api, "form", CLAIM, shop=api.other, key="expense")
    draft = api.post("documents", {"form": "expense", "data": {}}, shop=api.other,
                     as_="admin").get_json()["id"]
    made = api.call("POST", f"documents/{draft}/attachments?field=receipts", shop=api.other,
                    data={"file": (io.BytesIO(b"theirs"), "r.txt")})
    assert made.status_code == 201, made.get_json()
    return draft, made.get_json()["id"]


@case("get", "documents/{document_id}/attachments")
def _attachments(api: Any) -> None:
    theirs, _ = rival_attachment(api)
    not_found(api.get(f"documents/{theirs}/attachments"))


@case("post", "documents/{document_id}/attachments")
def _upload(api: Any) -> None:
    theirs, _ = rival_attachment(api)
    not_found(api.call("POST", f"documents/{theirs}/attachments?field=receipts",
                       data={"file": (io.BytesIO(b"mine"), "m.txt")}))
    listed = api.get(f"documents/{theirs}/attachments", shop=api.other, as_="admin")
    assert len(listed.get_json()["items"]) == 1
    # Everything but the file is the server's: the upload has no body fields to assign.


@case("get", "documents/{document_id}/attachments/{attachment_id}")
def _download(api: Any) -> None:
    theirs, file = rival_attachment(api)
    not_found(api.get(f"documents/{theirs}/attachments/{file}"))


@case("delete", "documents/{document_id}/attachments/{attachment_id}")
def _delete_attachment(api: Any) -> None:
    theirs, file = rival_attachment(api)
    not_found(api.call("DELETE", f"documents/{theirs}/attachments/{file}"))
    assert api.get(f"documents/{theirs}/attachments/{file}", shop=api.other,
                   as_="admin").status_code == 200


@case("get", "tasks/counts")
def _counts(api: Any) -> None:
    rival_document(api)
    desk(api)
    assert api.get("tasks/counts", as_="s1mgr").get_json() == {"todo": 0, "processed": 0,
                                                                "cc": 0}


@case("get", "tasks/{box}")
def _box(api: Any) -> None:
    rival_document(api)
    desk(api)
    for box in ("todo", "processed", "cc", "initiated"):
        empty(api.get(f"tasks/{box}", as_="clerk"))
        empty(api.get(f"tasks/{box}", as_="s1mgr"))


@pytest.mark.parametrize("operation", sorted(CASES), ids=lambda o: f"{o[0]} {o[1]}")
def test_tenant_a_cannot_reach_tenant_b(api: Any, operation: tuple[str, str]) -> None:
    CASES[operation](api)


def test_every_operation_has_a_tenant_case(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {(method, path) for path, ops in spec["paths"].items()
                  for method in ops if method != "parameters"}
    missing = operations - set(CASES) - NO_TENANT_INPUT
    assert missing == set(), f"operations without a tenant-isolation case: {sorted(missing)}"
    assert set(CASES) <= operations
