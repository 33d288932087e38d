"""Stock reports over HTTP: balances with totals, movements, expiry, reorder, valuation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.services import posting
from engine.services.posting import Origin


def move(api: Any, key: str, item: str, qty: str, src: str, dst: str) -> None:
    shop = api.shop
    result = posting.post(api.store, shop.tenant_id, "move", key, Origin(2, 1, "t", "approved"),
                          {"item_id": shop.items[item], "qty": Decimal(qty),
                           "from_location_id": shop.locations[src],
                           "to_location_id": shop.locations[dst]})
    assert result.ok, result


def test_balances_by_batch_location_and_item_with_totals(api: Any) -> None:
    move(api, "m1", "A1", "15", "WH", "S1")
    rows = api.get("stock/balances").get_json()
    assert [(r["item_code"], r["location_code"], r["batch_code"], r["on_hand"])
            for r in rows["items"]] == [("A1", "WH", None, "25"), ("A1", "S1", None, "15"),
                                        ("MILK", "WH", "L1", "10")]
    assert rows["totals"] == {"on_hand": "50", "reserved": "0", "available": "50", "rows": 3}
    by_item = api.get("stock/balances?group_by=item").get_json()["items"]
    assert [(r["item_code"], r["location_id"], r["on_hand"]) for r in by_item] == [
        ("A1", None, "40"), ("MILK", None, "10")]
    a1 = api.shop.items["A1"]
    s1 = api.shop.locations["S1"]
    one = api.get(f"stock/balances?item_id={a1}&location_id={s1}").get_json()
    assert [r["on_hand"] for r in one["items"]] == ["15"] and one["totals"]["on_hand"] == "15"
    under = api.get(f"stock/balances?under={api.shop.locations['HQ']}&group_by=item")
    assert under.get_json()["totals"]["on_hand"] == "50"
    virtual = api.get("stock/balances?include_virtual=true&group_by=item").get_json()
    assert virtual["totals"]["on_hand"] == "0"  # conservation: every unit came from somewhere
    first = api.get("stock/balances?limit=2").get_json()
    rest = api.get(f"stock/balances?limit=2&cursor={first['next_cursor']}").get_json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert rest["totals"] == first["totals"] and rest["next_cursor"] is None


def test_movements_by_item_location_document_and_time(api: Any) -> None:
    time.sleep(0.01)
    before = datetime.now(UTC)
    move(api, "m2", "A1", "5", "WH", "S2")
    a1, s2 = api.shop.items["A1"], api.shop.locations["S2"]
    all_a1 = api.get(f"stock/movements?item_id={a1}").get_json()["items"]
    assert [m["qty"] for m in all_a1] == ["40", "5"]
    at_s2 = api.get(f"stock/movements?location_id={s2}").get_json()["items"]
    assert [(m["key"], m["value"]) for m in at_s2] == [("m2/0", None)]
    since = before.isoformat().replace("+00:00", "Z")
    recent = api.get("stock/movements", query_string={"since": since}).get_json()["items"]
    assert [m["key"] for m in recent] == ["m2/0"]
    doc = api.get("stock/movements?document_id=2").get_json()["items"]
    assert [m["key"] for m in doc] == ["m2/0"]
    assert api.get("stock/movements?until=2000-01-01T00:00:00Z").get_json()["items"] == []
    assert api.get("stock/movements?since=yesterday").status_code == 422


def test_expiring_batches_reorder_and_valuation(api: Any) -> None:
    expiring = api.get("stock/expiring?within_days=10").get_json()["items"]
    assert [(b["batch_code"], b["location_code"], b["expired"], b["on_hand"])
            for b in expiring] == [("L1", "WH", True, "10")]
    assert expiring[0]["days_left"] < 0
    reorder = api.get("stock/reorder").get_json()["items"]
    assert [(r["item_code"], r["available"], r["shortfall"]) for r in reorder] == [
        ("A1", "40", "10")]
    value = api.get("stock/valuation").get_json()
    assert [(v["item_code"], v["qty"], v["value"], v["average_cost"])
            for v in value["items"]] == [("A1", "40", "100", "2.5"), ("MILK", "10", "25", "2.5")]
    assert value["total_value"] == "125"
    assert api.get("stock/valuation", as_="viewer").status_code == 403  # stock.value
    assert api.get("stock/balances", as_="viewer").status_code == 200


def test_locks_list_the_locations_open_counts_lock(api: Any) -> None:
    shop = api.shop
    assert api.get("stock/locks").get_json() == {"items": [], "next_cursor": None}
    posting.open_count(api.store, shop.tenant_id, shop.locations["S1"], document_id=77)
    posting.open_count(api.store, shop.tenant_id, shop.locations["WH"])
    refused = posting.post(api.store, shop.tenant_id, "receive", "into-locked",
                           Origin(2, 1, "t", "approved"),
                           {"item_id": shop.items["A1"], "qty": Decimal(1),
                            "to_location_id": shop.locations["S1"]})
    assert refused.code.value == "location_locked"
    first = api.get("stock/locks?limit=1", as_="viewer").get_json()  # stock.view
    assert [(lock["location_id"], lock["location_code"], lock["location_name"],
             lock["document_id"]) for lock in first["items"]] == [
        (shop.locations["S1"], "S1", "S1", 77)]
    assert datetime.fromisoformat(first["items"][0]["since"]) <= datetime.now(UTC)
    rest = api.get(f"stock/locks?limit=1&cursor={first['next_cursor']}").get_json()
    assert [(lock["location_code"], lock["document_id"]) for lock in rest["items"]] == [
        ("WH", None)]
    assert rest["next_cursor"] is None
    posting.cancel_count(api.store, shop.tenant_id, shop.locations["S1"])
    assert [lock["location_code"] for lock in api.get("stock/locks").get_json()["items"]] == [
        "WH"]
    assert api.get("stock/locks?cursor=nonsense").status_code == 422
