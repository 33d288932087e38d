"""Examples of the master-data operations: items, locations, batches, BOMs."""

from __future__ import annotations

from designer.api.examples import named, page

# items -------------------------------------------------------------------------------------

NEW_ITEM = named(
    plain=("An item sold by the bottle and bought by the box of 24", {
        "code": "WATER-550", "name": "农夫山泉 550ml Nongfu Spring water 550ml",
        "base_unit": "bottle", "units": {"box": "24"}, "reorder_point": "72",
        "safety_stock": "36", "attributes": {"category": "drinks", "barcode": "6920012504058"}}),
    batch_tracked=("A fresh item tracked by batch and expiry", {
        "code": "MILK-1L", "name": "光明纯牛奶 1L Bright pure milk 1L", "base_unit": "carton",
        "tracking": "batch_expiry", "valuation": "fifo", "units": {"box": "12"},
        "reorder_point": "24", "safety_stock": "12", "attributes": {"shelf_life_days": "7"}}))
ITEM = {"id": 3, "code": "WATER-550", "name": "农夫山泉 550ml Nongfu Spring water 550ml",
        "base_unit": "bottle", "tracking": "none", "valuation": "fifo", "reorder_point": "72",
        "safety_stock": "36", "allow_negative": False,
        "attributes": {"category": "drinks", "barcode": "6920012504058"},
        "units": {"box": "24"}}
MILK = {"id": 31, "code": "MILK-1L", "name": "光明纯牛奶 1L Bright pure milk 1L",
        "base_unit": "carton", "tracking": "batch_expiry", "valuation": "fifo",
        "reorder_point": "24", "safety_stock": "12", "allow_negative": False,
        "attributes": {"shelf_life_days": "7"}, "units": {"box": "12"}}
ITEMS = page(ITEM, MILK, next_cursor="WzMxXQ")

# locations ---------------------------------------------------------------------------------

NEW_LOCATION = named(
    store=("A store under the head office", {
        "code": "S1", "name": "一店 Store 1 (Renmin Rd)", "kind": "store", "parent": "HQ"}),
    back_room=("A zone inside a store", {
        "code": "S1B", "name": "一店后仓 Store 1 back room", "kind": "zone", "parent": "S1"}))
_HQ = {"id": 1, "code": "HQ", "name": "总部 Head office", "kind": "company", "parent_id": None,
       "allow_negative": False, "internal": True}
_WH = {"id": 2, "code": "WH", "name": "总仓 Central warehouse", "kind": "warehouse",
       "parent_id": 1, "allow_negative": False, "internal": True}
LOCATION = {"id": 3, "code": "S1", "name": "一店 Store 1 (Renmin Rd)", "kind": "store",
            "parent_id": 1, "allow_negative": False, "internal": True}
_TRANSIT = {"id": 13, "code": "TRANSIT", "name": "在途 In transit", "kind": "transit",
            "parent_id": None, "allow_negative": False, "internal": False}
LOCATIONS = page(_HQ, _WH, LOCATION, next_cursor="WzNd")
TREE = [_HQ | {"children": [
            _WH | {"children": []},
            LOCATION | {"children": [
                {"id": 4, "code": "S1B", "name": "一店后仓 Store 1 back room", "kind": "zone",
                 "parent_id": 3, "allow_negative": False, "internal": True,
                 "children": []}]}]},
        _TRANSIT | {"children": []}]

# batches -----------------------------------------------------------------------------------

NEW_BATCH = {"item": "MILK-1L", "code": "M240601", "produced": "2024-06-01",
             "expiry": "2024-06-08"}
BATCH = {"id": 7, "item_id": 31, "item_code": "MILK-1L", "code": "M240601",
         "production_date": "2024-06-01", "expiry_date": "2024-06-08"}
BATCHES = page(BATCH, {"id": 8, "item_id": 31, "item_code": "MILK-1L", "code": "M240603",
                       "production_date": "2024-06-03", "expiry_date": "2024-06-10"})

# BOMs and recipes --------------------------------------------------------------------------

BOM_IN = {"output_qty": "1", "lines": [
    {"component": "BREAD-TL", "qty": "0.2", "loss_pct": "5"},
    {"component": "EGG-10", "qty": "0.1"},
    {"component": "HAM-SLICE", "qty": "2", "unit": "slice"}]}
_LINE = {"unit": None, "loss_pct": "0", "yield_pct": "100", "phantom": False, "max_depth": None}
BOM = {"id": 4, "item_id": 35, "item_code": "SANDWICH", "kind": "recipe", "output_qty": "1",
       "lines": [_LINE | {"component_id": 33, "component_code": "BREAD-TL", "qty": "0.2",
                          "loss_pct": "5"},
                 _LINE | {"component_id": 34, "component_code": "EGG-10", "qty": "0.1"},
                 _LINE | {"component_id": 41, "component_code": "HAM-SLICE", "qty": "2",
                          "unit": "slice"}]}
BOMS = page(BOM)
EXPLODED = [{"item_id": 33, "item_code": "BREAD-TL", "qty": "2.1"},
            {"item_id": 34, "item_code": "EGG-10", "qty": "1"},
            {"item_id": 41, "item_code": "HAM-SLICE", "qty": "2.5"}]
