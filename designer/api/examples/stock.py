"""Examples of the stock reports: store 1 and the central warehouse on 1 June 2024."""

from __future__ import annotations

from designer.api.examples import page

BALANCES = page(
    {"item_id": 3, "item_code": "WATER-550", "location_id": 3, "location_code": "S1",
     "batch_id": None, "batch_code": None, "expiry_date": None, "on_hand": "36",
     "reserved": "0", "available": "36"},
    {"item_id": 31, "item_code": "MILK-1L", "location_id": 3, "location_code": "S1",
     "batch_id": 7, "batch_code": "M240601", "expiry_date": "2024-06-08", "on_hand": "18",
     "reserved": "6", "available": "12"},
    next_cursor="WzMxLDMsN10",
    totals={"on_hand": "342", "reserved": "30", "available": "312", "rows": 17})

MOVEMENTS = page(
    {"id": 5120, "item_id": 3, "batch_id": None, "from_location_id": 9, "to_location_id": 2,
     "qty": "480", "unit_cost": "1.15", "value": "552", "document_id": 1038,
     "document_version": 1, "rule": "purchase_in.rules@1", "event": "approved",
     "actor_id": 4, "key": "purchase_in:1038:approved:0/0",
     "posted_at": "2024-06-01T02:10:44+00:00", "reversal_of": None},
    {"id": 5133, "item_id": 3, "batch_id": None, "from_location_id": 2, "to_location_id": 13,
     "qty": "48", "unit_cost": None, "value": None, "document_id": 1042,
     "document_version": 1, "rule": "transfer.rules@1", "event": "approved_at:recipient",
     "actor_id": 6, "key": "transfer:1042:approved_at:recipient:0/0",
     "posted_at": "2024-06-01T09:31:02+00:00", "reversal_of": None},
    next_cursor="WzUxMzNd")

EXPIRING = page(
    {"batch_id": 7, "batch_code": "M240601", "item_id": 31, "item_code": "MILK-1L",
     "location_id": 3, "location_code": "S1", "expiry_date": "2024-06-08", "days_left": 7,
     "expired": False, "on_hand": "18", "reserved": "6"},
    {"batch_id": 5, "batch_code": "M240525", "item_id": 31, "item_code": "MILK-1L",
     "location_id": 2, "location_code": "WH", "expiry_date": "2024-06-01", "days_left": 0,
     "expired": False, "on_hand": "4", "reserved": "0"})

REORDER = page(
    {"item_id": 3, "item_code": "WATER-550", "name": "农夫山泉 550ml Nongfu Spring water 550ml",
     "reorder_point": "72", "safety_stock": "36", "on_hand": "52", "reserved": "4",
     "available": "48", "shortfall": "24"})

VALUATION = page(
    {"item_id": 1, "item_code": "COLA-330", "name": "可口可乐 330ml Coca-Cola 330ml can",
     "method": "fifo", "qty": "312", "value": "561.6", "average_cost": "1.8"},
    {"item_id": 3, "item_code": "WATER-550", "name": "农夫山泉 550ml Nongfu Spring water 550ml",
     "method": "fifo", "qty": "628", "value": "722.2", "average_cost": "1.15"},
    next_cursor="WzNd", total_value="18422.35")

LOCKS = page(
    {"count_id": 14, "location_id": 5, "location_code": "S3",
     "location_name": "三店 Store 3 (Riverside)", "since": "2024-06-01T21:00:00+00:00",
     "document_id": 1051})
