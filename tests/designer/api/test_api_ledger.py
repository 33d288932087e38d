"""Posting over HTTP: one event's effects with named results, and POS sales batches."""

from __future__ import annotations

from typing import Any

from engine.services import verify


def receipt(api: Any, qty: str = "5", key: str = "PO-9:0") -> dict[str, Any]:
    shop = api.shop
    return {"document": "PO-9", "event": "approved", "rule": "erp.sync", "effects": [
        {"key": key, "operation": "receive", "item_id": shop.items["A1"], "qty": qty,
         "to_location_id": shop.locations["S1"], "unit_cost": "3"}]}


def ledger_ok(api: Any) -> None:
    broken = [str(v) for r in verify.verify(api.store) for v in r.violations]
    assert broken == []


def test_post_once_then_the_retry_answers_exists(api: Any) -> None:
    first = api.post("ledger/postings", receipt(api), as_="keeper")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["result"] == "ok" and body["document_id"] < 0
    assert [(m["qty"], m["key"]) for m in body["movements"]] == [("5", "api:PO-9:0/0")]
    again = api.post("ledger/postings", receipt(api), as_="keeper")
    assert again.status_code == 200
    assert again.get_json()["result"] == "exists"
    assert again.get_json()["movements"] == body["movements"]
    clash = api.post("ledger/postings", receipt(api, qty="6"), as_="keeper")
    assert clash.status_code == 409
    assert clash.get_json()["result"] == "exists_with_different_payload"
    moved = api.get(f"stock/movements?document_id={body['document_id']}").get_json()["items"]
    assert len(moved) == 1 and moved[0]["rule"] == "erp.sync"
    ledger_ok(api)


def test_refusals_are_problems_with_the_result_and_shortage(api: Any) -> None:
    shop = api.shop
    sale = {"document": "SO-1", "event": "approved", "effects": [
        {"key": "SO-1:0", "operation": "issue", "item_id": shop.items["A1"], "qty": "30",
         "from_location_id": shop.locations["WH"]},
        {"key": "SO-1:1", "operation": "issue", "item_id": shop.items["A1"], "qty": "30",
         "from_location_id": shop.locations["WH"]}]}
    refused = api.post("ledger/postings", sale)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["code"] == "ledger.insufficient_stock" and body["result"] == "insufficient_stock"
    assert body["shortages"] and body["shortages"][0]["item_id"] == shop.items["A1"]
    stock = api.get(f"stock/balances?item_id={shop.items['A1']}").get_json()["totals"]
    assert stock["on_hand"] == "40"  # neither effect posted
    ledger_ok(api)


def test_effects_are_checked_against_their_operation(api: Any) -> None:
    shop = api.shop
    bad = {"document": "X", "event": "approved", "effects": [
        {"key": "X:0", "operation": "receive", "item_id": shop.items["A1"],
         "from_location_id": shop.locations["SUP"], "movement_ids": [1], "qty": "1.5"},
        {"key": "X:0", "operation": "teleport"}]}
    response = api.post("ledger/postings", bad)
    assert response.status_code == 422
    found = {(e["source"].get("path"), e["code"]) for e in response.get_json()["errors"]}
    assert ("effects[0].to_location_id", "field.required") in found
    assert ("effects[0].movement_ids", "field.not_allowed") in found
    assert ("effects[1].operation", "field.invalid") in found
    assert ("effects", "posting.duplicate_key") in found


def test_other_tenants_ids_are_not_found(api: Any) -> None:
    other = api.other
    body = receipt(api)
    body["effects"][0]["item_id"] = other.items["A1"]
    response = api.post("ledger/postings", body)
    assert response.status_code == 404
    assert response.get_json()["result"] == "unknown_item"


def sales(*rows: tuple[str, str, str]) -> dict[str, Any]:
    return {"sales": [{"client_id": cid, "location": "WH",
                       "lines": [{"item": item, "qty": qty}]} for cid, item, qty in rows]}


def test_a_sales_batch_posts_each_sale_and_resending_changes_nothing(api: Any) -> None:
    batch = sales(("till1-0001", "A1", "2"), ("till1-0002", "A1", "100"),
                  ("till1-0003", "NOPE", "1"), ("till1-0004", "MILK", "1"))
    first = api.post("sales/batch", batch, as_="keeper")
    assert first.status_code == 200, first.get_json()
    results = {r["client_id"]: r for r in first.get_json()["results"]}
    assert results["till1-0001"]["result"] == "ok" and results["till1-0001"]["status"] == 201
    assert results["till1-0002"]["result"] == "insufficient_stock"
    assert results["till1-0002"]["status"] == 409 and results["till1-0002"]["shortages"]
    assert results["till1-0003"]["result"] == "unknown_item"
    assert results["till1-0003"]["problem"]["source"] == {"path": "lines[0].item"}
    assert results["till1-0004"]["result"] == "batch_expired"  # only an expired batch left
    assert first.get_json()["summary"] == {"posted": 1, "existing": 0, "refused": 3}
    movements = api.get("stock/movements?limit=500").get_json()["items"]
    again = api.post("sales/batch", batch, as_="keeper").get_json()
    assert again["summary"] == {"posted": 0, "existing": 1, "refused": 3}
    assert {r["client_id"]: r["movement_ids"] for r in again["results"]}["till1-0001"] == \
        results["till1-0001"]["movement_ids"]
    assert api.get("stock/movements?limit=500").get_json()["items"] == movements
    on_hand = api.get(f"stock/balances?item_id={api.shop.items['A1']}").get_json()["totals"]
    assert on_hand["on_hand"] == "38"
    ledger_ok(api)


def test_a_sales_batch_validates_every_sale(api: Any) -> None:
    batch = sales(("dup", "A1", "1"), ("dup", "A1", "0"))
    batch["sales"][0]["tenant_id"] = api.other.tenant_id
    response = api.post("sales/batch", batch)
    assert response.status_code == 422
    found = {(e["source"].get("path"), e["code"]) for e in response.get_json()["errors"]}
    assert found == {("sales[0].tenant_id", "field.server_owned"),
                     ("sales[1].lines[0].qty", "number.too_small"),
                     ("sales", "sales.duplicate_client_id")}
    assert api.post("sales/batch", sales(("a", "A1", "1")), as_="viewer").status_code == 403
