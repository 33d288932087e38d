"""Examples of documents and tasks: a stock transfer from the warehouse to store 1
(drafted, submitted, approved by both managers) and a purchase receipt."""

from __future__ import annotations

from designer.api.examples import named
from designer.api.examples.definitions import DRY_RUN_OUT, TRANSFER_DATA

PURCHASE_DATA = {"supplier": "农夫山泉经销商 Nongfu distributor", "warehouse": "WH",
                 "invoice": "FP-2024-06-0113",
                 "lines": [{"item": "WATER-550", "unit": "box", "pack": "24", "qty": "20",
                            "price": "1.15"}]}

NEW_DOCUMENT = named(
    transfer=("A stock transfer from the warehouse to store 1", {
        "form": "transfer", "data": TRANSFER_DATA | {"reason": "周末补货 weekend top-up"}}),
    purchase_in=("A purchase receipt into the warehouse", {
        "form": "purchase_in", "data": PURCHASE_DATA}))
SUBMIT_NEW = named(
    transfer=("Create and submit a transfer", {"form": "transfer", "data": TRANSFER_DATA}),
    chosen=("Approvers the submitter picks for a node", {
        "form": "purchase_in", "data": PURCHASE_DATA, "chosen": {"finance": ["fin-1"]}}))
DRAFT_DATA = {"data": TRANSFER_DATA | {"lines": [{"item": "WATER-550", "qty": "72"}]}}
SUBMIT = named(
    plain=("Submit as it is", {}),
    chosen=("With the approvers the submitter picks", {"chosen": {"finance": ["fin-1"]}}))

_STORED = TRANSFER_DATA | {
    "no": "DB-20240601-0007", "reason": None, "received_note": None,
    "lines": [{"item": "WATER-550", "qty": "48.000", "batch": None, "needs_batch": "0"},
              {"item": "MILK-1L", "qty": "12.000", "batch": "M240601", "needs_batch": "0"}],
    "_totals": {"lines": {"qty": "60.000"}}}
DRAFT = {"id": 1042, "form_key": "transfer", "serial": None, "status": "draft",
         "data": _STORED | {"no": None}, "submitter": "wh-keeper", "revision": 1,
         "versions": {"form": 3, "flow": None, "rules": None}, "open_tasks": [], "links": {}}
DOCUMENT = DRAFT | {"serial": "DB-20240601-0007", "status": "in_approval", "data": _STORED,
                    "revision": 2, "versions": {"form": 3, "flow": 2, "rules": 4},
                    "open_tasks": [{"task": "recipient.1.1", "node": "recipient",
                                    "assignee": "s1-mgr"}]}
APPROVED = DOCUMENT | {"status": "approved", "revision": 4, "open_tasks": []}
DOCUMENTS = {"items": [DOCUMENT], "next_cursor": "WzEwNDJd"}

SUBMITTED = {"document": DOCUMENT | {"open_tasks": [
    {"task": "sender.1.1", "node": "sender", "assignee": "wh-head"}]},
    "events": ["submitted"], "movements": 2, "repeated": False}
ACTION = named(
    approve=("Approve your task", {"action": "approve", "comment": "货已备好 goods ready"}),
    handler=("Approve a handler step, filling in the fields it may edit", {
        "action": "approve", "task": "receive.1.1",
        "fields": {"received_note": "已清点入库 counted and shelved"}}),
    send_back=("Reject and send it back to an earlier node", {
        "action": "reject", "return_to": "sender", "comment": "数量不对 wrong quantity"}),
    transfer=("Hand your task to someone else", {
        "action": "transfer", "target": "s2-mgr", "comment": "休假中 on leave"}))
ACTED = {"document": APPROVED, "events": ["approved_at:recipient", "approved"],
         "movements": 4, "repeated": False}
PREVIEW = DRY_RUN_OUT | {"status_after": "approved",
                         "events": ["approved_at:recipient", "approved"], "effects": []}

TIMELINE = [
    {"at": "2024-06-01T08:55:03+00:00", "actor": "wh-keeper", "action": "submit",
     "comment": None, "detail": {"events": ["submitted"]}},
    {"at": "2024-06-01T09:12:40+00:00", "actor": "wh-head", "action": "approve",
     "comment": "货已备好 goods ready", "detail": {"node": "sender", "events": []}},
    {"at": "2024-06-01T09:31:02+00:00", "actor": "s1-mgr", "action": "approve",
     "comment": None, "detail": {"node": "recipient", "events": ["approved_at:recipient",
                                                                 "approved"]}}]
TASKS = {"items": [
    {"task": "sender.1.1", "node": "sender", "assignee": "wh-head", "state": "approved",
     "origin": "resolved", "created_at": "2024-06-01T08:55:03+00:00",
     "decided_at": "2024-06-01T09:12:40+00:00", "comment": "货已备好 goods ready"},
    {"task": "recipient.1.1", "node": "recipient", "assignee": "s1-mgr", "state": "pending",
     "origin": "resolved", "created_at": "2024-06-01T09:12:40+00:00", "decided_at": None,
     "comment": None}]}

COUNTS = {"todo": 3, "processed": 41, "cc": 2}
BOX = {"items": [
    {"document_id": 1042, "form_key": "transfer", "serial": "DB-20240601-0007",
     "status": "in_approval", "task": "recipient.1.1", "node": "recipient", "state": "pending",
     "created_at": "2024-06-01T09:12:40+00:00", "decided_at": None, "took_seconds": None},
    {"document_id": 1038, "form_key": "purchase_in", "serial": "CG-20240601-0002",
     "status": "approved", "task": "head.1.1", "node": "head", "state": "approved",
     "created_at": "2024-06-01T01:40:00+00:00", "decided_at": "2024-06-01T02:10:44+00:00",
     "took_seconds": 1844.0}]}

ACCESS_IN = {"create": ["clerk", "store_manager", "warehouse_keeper"],
             "view": {"store_manager": "department", "finance": "all", "*": "own"},
             "submitter_fields": {"received_note": "read"},
             "act": ["store_manager"], "design": None}
ACCESS = {"form": "transfer", **ACCESS_IN}
