"""Master data over HTTP: items with units, the location tree, batches, BOMs, recipes."""

from __future__ import annotations

from typing import Any


def test_items_create_list_filter_and_page(api: Any) -> None:
    created = api.post("items", {"code": "COLA-330", "name": "可乐 330ml", "base_unit": "can",
                                 "units": {"box": "24"}, "reorder_point": "12.5",
                                 "attributes": {"brand": "Acme"}})
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["units"] == {"box": "24"} and item["reorder_point"] == "12.5"
    assert item["tracking"] == "none" and item["valuation"] == "fifo"
    assert api.get(f"items/{item['id']}").get_json() == item
    assert api.post("items", {"code": "COLA-330", "name": "x", "base_unit": "can"}
                    ).get_json()["code"] == "item.exists"
    assert [i["code"] for i in api.get("items?q=cola").get_json()["items"]] == ["A1", "COLA-330"]
    assert [i["code"] for i in api.get("items?tracking=batch_expiry").get_json()["items"]] == [
        "MILK"]
    seen, cursor = [], ""
    while True:
        page = api.get(f"items?limit=1{cursor}").get_json()
        seen += [i["code"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == ["A1", "MILK", "COLA-330"]


def test_quantities_are_exact_strings(api: Any) -> None:
    response = api.post("items", {"code": "F", "name": "F", "base_unit": "kg",
                                  "reorder_point": 1.5, "safety_stock": "1.1234567",
                                  "units": {"bag": "-1"}})
    assert response.status_code == 422
    codes = {e["source"]["path"]: e["code"] for e in response.get_json()["errors"]}
    assert codes == {"reorder_point": "number.float_refused",
                     "safety_stock": "number.too_many_places",
                     "units.bag.value": "number.too_small"}
    assert api.post("items", {"code": "I", "name": "I", "base_unit": "kg",
                              "reorder_point": 3}).status_code == 201  # integers are exact


def test_locations_and_their_tree(api: Any) -> None:
    shelf = api.post("locations", {"code": "WH-A1", "name": "Shelf A1", "kind": "shelf",
                                   "parent": "WH"})
    assert shelf.status_code == 201, shelf.get_json()
    assert shelf.get_json()["parent_id"] == api.shop.locations["WH"]
    assert api.post("locations", {"code": "bad", "name": "x", "kind": "shelf",
                                  "parent": "SUP"}).get_json()["code"] == "location.bad_parent"
    assert api.post("locations", {"code": "y", "name": "y", "kind": "moon"}).status_code == 422
    tree = api.get("locations/tree").get_json()
    hq = next(n for n in tree if n["code"] == "HQ")
    wh = next(n for n in hq["children"] if n["code"] == "WH")
    assert [c["code"] for c in wh["children"]] == ["WH-A1"]
    assert {n["code"] for n in tree} >= {"HQ", "SUP", "CUS"}
    sub = api.get(f"locations/tree?root_id={api.shop.locations['WH']}").get_json()
    assert [n["code"] for n in sub] == ["WH"]
    stores = api.get("locations?kind=store").get_json()["items"]
    assert [s["code"] for s in stores] == ["S1", "S2"]


def test_batches(api: Any) -> None:
    made = api.post("batches", {"item": "MILK", "code": "L2", "expiry": "2031-01-31"})
    assert made.status_code == 201 and made.get_json()["item_code"] == "MILK"
    again = api.post("batches", {"item": "MILK", "code": "L2", "expiry": "2031-01-31"})
    assert again.get_json()["id"] == made.get_json()["id"]
    clash = api.post("batches", {"item": "MILK", "code": "L2", "expiry": "2031-02-01"})
    assert clash.status_code == 409 and clash.get_json()["code"] == "batch.expiry_differs"
    assert api.post("batches", {"item": "NOPE", "code": "L9"}).status_code == 404
    soon = api.get("batches?expires_before=2025-01-01").get_json()["items"]
    assert [b["code"] for b in soon] == ["L1"]
    milk = api.shop.items["MILK"]
    assert len(api.get(f"batches?item_id={milk}").get_json()["items"]) == 2


def test_boms_recipes_and_the_explosion_preview(api: Any) -> None:
    for code, unit in (("SOUP", "portion"), ("POT", "kg"), ("SALT", "g")):
        assert api.post("items", {"code": code, "name": code, "base_unit": unit}
                        ).status_code == 201
    soup = api.get("items?q=SOUP").get_json()["items"][0]["id"]
    recipe = {"output_qty": "4", "lines": [
        {"component": "POT", "qty": "600", "unit": "g", "yield_pct": "80"},
        {"component": "SALT", "qty": "10", "loss_pct": "5"}]}
    saved = api.call("PUT", f"items/{soup}/boms/recipe", json=recipe)
    assert saved.status_code == 200, saved.get_json()
    assert [ln["component_code"] for ln in saved.get_json()["lines"]] == ["POT", "SALT"]
    assert api.get(f"items/{soup}/boms/recipe").get_json() == saved.get_json()
    assert api.get(f"items/{soup}/boms/bom").status_code == 404
    parts = api.get(f"items/{soup}/boms/recipe/explosion?qty=6").get_json()
    assert [(p["item_code"], p["qty"]) for p in parts] == [("POT", "1.125"), ("SALT", "15.75")]
    pot = api.get("items?q=POT").get_json()["items"][0]["id"]
    loop = api.call("PUT", f"items/{pot}/boms/recipe",
                    json={"lines": [{"component": "SOUP", "qty": "1"}]})
    assert loop.status_code == 422 and loop.get_json()["code"] == "bom.cycle"
    missing = api.call("PUT", f"items/{soup}/boms/bom",
                       json={"lines": [{"component": "NOPE", "qty": "1"}]})
    assert missing.status_code == 404
    assert missing.get_json()["source"] == {"path": "lines[0].component"}
    listed = api.get("boms?kind=recipe").get_json()["items"]
    assert [b["item_code"] for b in listed] == ["SOUP"]
