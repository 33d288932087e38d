"""Examples of the audit log (an item created, a transfer approved) and of the checks of
the audit chain and the ledger."""

from __future__ import annotations

from designer.api.examples import page

EVENTS = page(
    {"seq": 4711, "occurred_at": "2024-06-01T09:31:02+00:00", "actor_id": 6,
     "actor_label": "s1-mgr", "client_addr": "10.0.4.17",
     "request_id": "7c94f1ef4bea4d18b54c440c7b7424a3", "object_type": "document",
     "object_id": "1042", "action": "approve",
     "detail": {"node": "recipient", "events": ["approved_at:recipient"]},
     "hash": "21090a42a3d11409f54e512816e9071852049969f02520754c616dbc26211386"},
    {"seq": 4710, "occurred_at": "2024-06-01T08:02:40+00:00", "actor_id": 1,
     "actor_label": "owner", "client_addr": "10.0.4.2",
     "request_id": "0b7f7c1d2e3a4b5c9d8e7f6a5b4c3d2e", "object_type": "item",
     "object_id": "3", "action": "create", "detail": {"code": "WATER-550"},
     "hash": "c7e7ffd6cd64bf76312888032061e75569a5c79aaeabe5b12fdb2da55875772f"},
    next_cursor="WzQ3MTBd")

CHAIN_REPORT = {"ok": True, "events": 4711, "problems": [], "problems_total": 0}

LEDGER_REPORT = {
    "ok": False, "movements": 5133,
    "violations": [
        {"invariant": "balance_equals_journal", "key": "item 3/location 2/batch None",
         "expected": "on hand 360, reserved 0", "actual": "on hand 1000360, reserved 0",
         "message": "the balance differs from its journal: rebuild it"},
    ],
    "violations_total": 1,
}
