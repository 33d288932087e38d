"""Examples of posting from outside: an ERP's receipts, transfers, counts and
reversals, and a store till syncing its sales."""

from __future__ import annotations

from designer.api.examples import named

# ledger postings ---------------------------------------------------------------------------

POSTING = named(
    receive=("An ERP purchase order received into the warehouse, at cost", {
        "document": "ERP-PO-2024-0077", "rule": "erp.sync", "event": "received", "effects": [
            {"key": "PO-77:1", "operation": "receive", "item_id": 3, "qty": "480",
             "to_location_id": 2, "unit_cost": "1.15"},
            {"key": "PO-77:2", "operation": "receive", "item_id": 31, "qty": "120",
             "to_location_id": 2, "batch_id": 7, "unit_cost": "6.2"}]}),
    move=("A warehouse system moving stock to a store", {
        "document": "WMS-TR-5531", "rule": "wms.sync", "event": "shipped", "effects": [
            {"key": "TR-5531:1", "operation": "move", "item_id": 3, "qty": "48",
             "from_location_id": 2, "to_location_id": 3}]}),
    count=("A stocktake at store 3: differences go to the adjustment location", {
        "document": "COUNT-S3-20240601", "rule": "scanner.count", "event": "counted",
        "close_counts": True, "effects": [
            {"key": "COUNT-S3-20240601", "operation": "count", "adjustment_location_id": 12,
             "lines": [{"item_id": 1, "location_id": 5, "counted": "66"},
                       {"item_id": 31, "location_id": 5, "batch_id": 7, "counted": "11"}]}]}),
    reverse=("Cancelling a receipt: its movements are reversed, never deleted", {
        "document": "ERP-PO-2024-0077", "version": 2, "rule": "erp.sync",
        "event": "cancelled", "effects": [
            {"key": "PO-77:cancel", "operation": "reverse", "movement_ids": [5120, 5121]}]}))

_MOVEMENT = {"batch_id": None, "from_location_id": 9, "to_location_id": 2,
             "posted_at": "2024-06-01T02:10:44+00:00", "reversal_of": None}
POSTED = {"result": "ok", "document_id": -3802264156152241467, "movements": [
    _MOVEMENT | {"id": 5120, "item_id": 3, "qty": "480", "unit_cost": "1.15",
                 "key": "api:PO-77:1/0"},
    _MOVEMENT | {"id": 5121, "item_id": 31, "batch_id": 7, "qty": "120", "unit_cost": "6.2",
                 "key": "api:PO-77:2/0"}], "reservations": []}
POSTED_BEFORE = POSTED | {"result": "exists"}

# point-of-sale batches ---------------------------------------------------------------------

SALES = {"sales": [
    {"client_id": "S1-POS2-20240601-0042", "location": "S1", "lines": [
        {"item": "WATER-550", "qty": "2"}, {"item": "MILK-1L", "qty": "1", "batch": "M240601"}]},
    {"client_id": "S1-POS2-20240601-0043", "location": "S1", "lines": [
        {"item": "COLA-330", "qty": "30"}]},
    {"client_id": "S1-POS2-20240601-0044", "location": "S1", "lines": [
        {"item": "WATER-500", "qty": "1"}]}]}
_SHORT = ("Not enough stock available: receive or free up stock first (item=COLA-330, "
          "location=S1, requested=30, missing=6, effect=pos:S1-POS2-20240601-0043:0)")
SALES_RESULTS = {"results": [
    {"client_id": "S1-POS2-20240601-0042", "result": "ok", "status": 201,
     "document_id": -8653443251990728014, "movement_ids": [5140, 5141], "problem": None,
     "shortages": []},
    {"client_id": "S1-POS2-20240601-0043", "result": "insufficient_stock", "status": 409,
     "document_id": -4716488145682808775, "movement_ids": [],
     "problem": {"code": "ledger.insufficient_stock", "message": _SHORT, "source": {}},
     "shortages": [{"item_id": 1, "location_id": 3, "batch_id": None, "requested": "30",
                    "available": "24", "missing": "6"}]},
    {"client_id": "S1-POS2-20240601-0044", "result": "unknown_item", "status": 404,
     "document_id": -6590458408354193557, "movement_ids": [],
     "problem": {"code": "ledger.unknown_item", "message": "No item 'WATER-500'",
                 "source": {"path": "lines[0].item"}},
     "shortages": []}],
    "summary": {"posted": 1, "existing": 0, "refused": 2}}
