"""Examples of the definition operations: the retail chain's stock transfer — its form,
its approval flow and its rule set — drafted, checked, published and dry-run."""

from __future__ import annotations

from designer.api.examples import named

FORM = {
    "schema_version": 1, "key": "transfer", "version": 3,
    "labels": {"zh": "调拨单", "en": "Stock transfer"},
    "fields": [
        {"key": "no", "type": "serial", "label": {"zh": "单号", "en": "No."},
         "pattern": "DB-{yyyyMMdd}-{seq:4}"},
        {"key": "from_loc", "type": "location", "required": True,
         "label": {"zh": "调出方", "en": "From"}},
        {"key": "to_loc", "type": "location", "required": True,
         "label": {"zh": "调入方", "en": "To"}},
        {"key": "receiver", "type": "member", "required": True,
         "label": {"zh": "调入方负责人", "en": "Receiving manager"}},
        {"key": "reason", "type": "textarea", "label": {"zh": "调拨原因", "en": "Reason"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "totals": ["qty"], "fields": [
             {"key": "item", "type": "item", "required": True,
              "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "min": "0.001",
              "precision": 3, "label": {"zh": "数量", "en": "Quantity"}},
             {"key": "batch", "type": "batch",
              "label": {"zh": "批号（不填按先到期先出）", "en": "Batch (empty: first to expire)"}}]}],
    "validations": [{"condition": "from_loc != to_loc",
                     "message": "调出方和调入方不能相同 / from and to must differ"}],
}
FLOW = {
    "schema_version": 1, "key": "transfer", "version": 2,
    "labels": {"zh": "调拨审批", "en": "Transfer approval"},
    "settings": {"withdraw": "before_any_action", "empty_approver_policy": "to_admin"},
    "nodes": [
        {"id": "sender", "type": "approval", "labels": {"zh": "调出方店长审批", "en": "Sending manager"},
         "approvers": [{"kind": "dept_head", "levels": 1}]},
        {"id": "recipient", "type": "approval",
         "labels": {"zh": "调入方店长审批", "en": "Receiving manager"},
         "approvers": [{"kind": "field", "field": "receiver"}]}],
}
RULES = {"text": (
    "on transfer submitted:\n"
    "    for line in lines: reserve line.qty of line.item at from_loc batch line.batch fefo\n"
    "on transfer approved:\n"
    "    for line in lines: move line.qty of line.item from from_loc to to_loc "
    "batch line.batch fefo\n"
    "on transfer rejected, withdrawn:\n"
    "    release reservations\n")}
_TYPO = {"text": RULES["text"].replace("of line.item from", "of line.itme from")}

DRAFT = named(
    form=("A form (PUT /definitions/form/transfer/draft)", {"body": FORM}),
    flow=("A flow (PUT /definitions/flow/transfer/draft)", {"body": FLOW}),
    rules=("A rule set (PUT /definitions/rules/transfer/draft)", {"body": RULES}))
CHECK = named(
    draft=("Check the saved draft", {}),
    body=("Check this body instead (here a rule set with a typo)", {"body": _TYPO}))
PUBLISH = named(
    draft=("Publish the saved draft", {}),
    body=("Publish this body instead", {"body": RULES}))
CHECKED = {"kind": "rules", "key": "transfer", "ok": True, "problems": []}
PROBLEMS = {"kind": "rules", "key": "transfer", "ok": False, "problems": [
    {"code": "rules.unknown_field", "message": "Unknown field or name 'line.itme'.",
     "hint": "Did you mean 'item'?",
     "source": {"rule": "transfer", "form": "transfer", "line": 4, "column": 41}}]}
PUBLISHED = {"kind": "rules", "key": "transfer", "version": 4}

DEFINITION = {"kind": "form", "key": "transfer", "version": 3, "state": "published",
              "body": FORM, "source": {"template": "retail", "version": "1.0.0"},
              "created_at": "2024-05-30T10:12:00+00:00",
              "published_at": "2024-05-30T10:15:41+00:00"}
DRAFT_OUT = {"kind": "rules", "key": "transfer", "version": 0, "state": "draft", "body": RULES,
             "source": {}, "created_at": "2024-06-01T08:40:00+00:00", "published_at": None}
VERSIONS = {"items": [{"kind": "flow", "key": "transfer", "version": 2, "state": "published"},
                      {"kind": "form", "key": "transfer", "version": 3, "state": "published"},
                      {"kind": "rules", "key": "transfer", "version": 0, "state": "draft"}],
            "next_cursor": "WzNd"}

TRANSFER_DATA = {"from_loc": "WH", "to_loc": "S1", "receiver": "s1-mgr",
                 "lines": [{"item": "WATER-550", "qty": "48"},
                           {"item": "MILK-1L", "qty": "12", "batch": "M240601"}]}
DRY_RUN = named(
    data=("Data typed in the designer, not saved", {"data": TRANSFER_DATA | {
        "lines": [{"item": "WATER-550", "qty": "48"}]}, "event": "approved"}),
    document=("A saved document, with the draft's rule text",
              {"document_id": 1042, "event": "submitted"}))
DRY_RUN_OUT = {
    "ok": True, "status_after": None, "events": ["approved"],
    "effects": [{"type": "stock", "verb": "move", "item": "WATER-550", "qty": "48.000",
                 "location": "WH", "to_location": "S1",
                 "origin": {"rule_index": 1, "line": 4, "column": 24, "rows": [0]}}],
    "movements": [{"item": "WATER-550", "qty": "48", "from_location": "WH", "to_location": "S1",
                   "batch": None, "expiry": None, "value": None, "reverses": None}],
    "balances": [
        {"item": "WATER-550", "location": "WH", "batch": None, "on_hand_before": "628",
         "on_hand_after": "580", "reserved_before": "0", "reserved_after": "0",
         "available_after": "580"},
        {"item": "WATER-550", "location": "S1", "batch": None, "on_hand_before": "36",
         "on_hand_after": "84", "reserved_before": "0", "reserved_after": "0",
         "available_after": "84"}],
    "problems": []}
