"""Documents over HTTP with the bearer tokens of different people: a clerk submits, the
store manager approves, strangers are refused by the flow, the ledger refuses with the
rule line and document line, previews keep nothing, and the task boxes add up."""

from __future__ import annotations

from typing import Any

import pytest
from desk import desk, on_hand, submitted, transfer

from engine.services import verify


@pytest.fixture
def shop(api: Any) -> Any:
    return desk(api)


def ledger_ok(api: Any) -> None:
    assert [str(v) for r in verify.verify(api.store) for v in r.violations] == []


def act(api: Any, doc: int, who: str, action: str = "approve", **more: Any) -> Any:
    return api.post(f"documents/{doc}/actions", {"action": action, **more}, as_=who)


def test_draft_submit_approve_by_the_right_people(api: Any, shop: Any) -> None:
    made = api.post("documents", {"form": "transfer", "data": transfer(("A1", "5", "10"))},
                    as_="clerk")
    assert made.status_code == 201, made.get_json()
    doc = made.get_json()
    assert doc["status"] == "draft" and made.headers["Location"].endswith(f"/{doc['id']}")
    changed = api.call("PUT", f"documents/{doc['id']}", as_="clerk",
                       json={"data": transfer(("A1", "6", "10"))})
    assert changed.status_code == 200 and changed.get_json()["revision"] == 2
    assert api.call("PUT", f"documents/{doc['id']}", as_="s1mgr",
                    json={"data": transfer()}).status_code == 403  # not their draft
    sent = api.post(f"documents/{doc['id']}/submit", {}, as_="clerk")
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert body["document"]["status"] == "in_approval" and body["events"] == ["submitted"]
    assert body["document"]["serial"].startswith("DB-")
    assert [t["assignee"] for t in body["document"]["open_tasks"]] == ["s1mgr"]
    assert on_hand(api, "A1", "WH") == ("40", "6")
    again = api.post(f"documents/{doc['id']}/submit", {}, as_="clerk")
    assert again.status_code == 409 and again.get_json()["code"] == "document.not_draft"
    refused = act(api, doc["id"], "other")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"].startswith("flows.")
    done = act(api, doc["id"], "s1mgr", comment="ok")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["document"]["status"] == "approved"
    assert done.get_json()["movements"] == 1 and not done.get_json()["repeated"]
    assert on_hand(api, "A1", "WH") == ("34", "0") and on_hand(api, "A1", "S1") == ("6", "0")
    ledger_ok(api)


def test_big_transfers_need_both_finance_countersigns(api: Any, shop: Any) -> None:
    doc = submitted(api, ("A1", "30", "200"))
    act(api, doc, "s1mgr")
    tasks = api.get(f"documents/{doc}", as_="clerk").get_json()["open_tasks"]
    assert sorted(t["assignee"] for t in tasks) == ["fin1", "fin2"]
    assert act(api, doc, "fin1").get_json()["document"]["status"] == "in_approval"
    assert on_hand(api, "A1", "S1") == ("0", "0")
    assert act(api, doc, "fin2").get_json()["document"]["status"] == "approved"
    assert on_hand(api, "A1", "S1") == ("30", "0")


def test_re_approving_takes_effect_once(api: Any, shop: Any) -> None:
    doc = submitted(api, ("A1", "5", "10"))
    key = {"Idempotency-Key": "approve-once-1"}
    first = api.post(f"documents/{doc}/actions", {"action": "approve"}, as_="s1mgr",
                     headers=key)
    replay = api.post(f"documents/{doc}/actions", {"action": "approve"}, as_="s1mgr",
                      headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json() == first.get_json()
    double_click = act(api, doc, "s1mgr")
    assert double_click.status_code == 200 and double_click.get_json()["repeated"] is True
    assert on_hand(api, "A1", "S1") == ("5", "0")
    ledger_ok(api)


def test_a_ledger_refusal_is_409_with_the_rule_and_line(api: Any, shop: Any) -> None:
    refused = api.post("documents/submit", {"form": "transfer", "data": transfer(
        ("A1", "5", "1"), ("A1", "500", "1"))}, as_="clerk")
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["code"] == "ledger.insufficient_stock"
    assert body["source"]["line"] == 2 and body["source"]["column"] > 0
    assert body["source"]["path"] == "lines[1]" and body["source"]["rule"] == "transfer"
    assert body["result"] == "insufficient_stock" and body["shortages"][0]["missing"]
    assert on_hand(api, "A1", "WH") == ("40", "0")
    assert api.get("tasks/initiated", as_="clerk").get_json()["items"] == []
    ledger_ok(api)


def test_validation_lists_every_field_and_refuses_floats(api: Any, shop: Any) -> None:
    bad = api.post("documents/submit", {"form": "transfer", "data": transfer(
        ("A1", "-1", "1"), ("A1", "2", "x"), ("A1", "1", "1"))}, as_="clerk")
    assert bad.status_code == 422
    paths = {e["source"]["path"] for e in bad.get_json()["errors"]}
    assert {"lines[0].qty", "lines[1].price"} <= paths
    floats = api.post("documents", {"form": "transfer", "data": {
        "lines": [{"item": "A1", "qty": "1"}, {"item": "A1", "qty": 1.5}]}}, as_="clerk")
    assert floats.status_code == 422
    assert [(e["code"], e["source"]["path"]) for e in floats.get_json()["errors"]] == [
        ("number.float_refused", "data.lines[1].qty")]
    owned = api.post("documents", {"form": "transfer", "status": "approved"}, as_="clerk")
    assert owned.get_json()["errors"][0]["code"] == "field.server_owned"
    timeout = act(api, submitted(api, ("A1", "1", "1")), "s1mgr", "timeout")
    assert timeout.status_code == 422  # timeouts come from timers only
    unknown = api.post("documents", {"form": "nothing", "data": {}}, as_="clerk")
    assert unknown.status_code == 404


def test_preview_shows_movements_and_balances_and_keeps_nothing(api: Any, shop: Any) -> None:
    doc = submitted(api, ("A1", "30", "10"))
    seen = api.post(f"documents/{doc}/preview", {"action": "approve"}, as_="s1mgr")
    assert seen.status_code == 200, seen.get_json()
    body = seen.get_json()
    assert body["ok"] and body["status_after"] == "approved"
    assert [(m["item"], m["qty"], m["from_location"], m["to_location"])
            for m in body["movements"]] == [("A1", "30", "WH", "S1")]
    by_place = {b["location"]: b for b in body["balances"]}
    assert (by_place["WH"]["on_hand_before"], by_place["WH"]["on_hand_after"]) == ("40", "10")
    assert (by_place["WH"]["reserved_before"], by_place["WH"]["reserved_after"]) == ("30", "0")
    assert by_place["S1"]["on_hand_after"] == "30"
    assert api.get(f"documents/{doc}", as_="clerk").get_json()["status"] == "in_approval"
    assert on_hand(api, "A1", "WH") == ("40", "30") and on_hand(api, "A1", "S1") == ("0", "0")
    stranger = api.post(f"documents/{doc}/preview", {"action": "approve"}, as_="other")
    assert stranger.status_code == 200 and not stranger.get_json()["ok"]
    assert stranger.get_json()["problems"][0]["code"].startswith("flows.")
    ledger_ok(api)


def test_reject_return_withdraw_and_cancel(api: Any, shop: Any) -> None:
    big = submitted(api, ("A1", "30", "200"))
    act(api, big, "s1mgr")
    back = act(api, big, "fin1", "reject", return_to="store_manager", comment="check")
    assert back.status_code == 200, back.get_json()
    assert [t["assignee"] for t in back.get_json()["document"]["open_tasks"]] == ["s1mgr"]
    rejected = act(api, big, "s1mgr", "reject")
    assert rejected.get_json()["document"]["status"] == "rejected"
    assert on_hand(api, "A1", "WH") == ("40", "0")
    small = submitted(api, ("A1", "3", "1"))
    assert act(api, small, "clerk", "withdraw").get_json()["document"]["status"] == "withdrawn"
    kept = submitted(api, ("A1", "4", "1"))
    act(api, kept, "s1mgr")
    assert act(api, kept, "clerk", "cancel").status_code == 403
    cancelled = act(api, kept, "admin", "cancel")
    assert cancelled.get_json()["document"]["status"] == "cancelled"
    assert on_hand(api, "A1", "WH") == ("40", "0") and on_hand(api, "A1", "S1") == ("0", "0")
    ledger_ok(api)


def test_every_task_of_a_document_for_whoever_may_view_it(api: Any, shop: Any) -> None:
    big = submitted(api, ("A1", "30", "200"))
    act(api, big, "s1mgr", comment="ok")
    assert act(api, big, "fin1", "reject", comment="too much").get_json()["document"][
        "status"] == "rejected"
    tasks = api.get(f"documents/{big}/tasks", as_="clerk").get_json()["items"]  # submitter
    assert [(t["node"], t["assignee"], t["state"], t["origin"], t["comment"]) for t in tasks] == [
        ("store_manager", "s1mgr", "approved", "resolved", "ok"),
        ("finance", "fin1", "rejected", "resolved", "too much"),
        ("finance", "fin2", "cancelled", "resolved", None)]
    assert all(t["created_at"] and t["decided_at"] for t in tasks)
    assert tasks[0]["task"] == "store_manager.1.1"
    assert api.get(f"documents/{big}/tasks", as_="fin2").get_json()["items"] == tasks
    for stranger in ("other", "viewer"):  # they may not view the document
        hidden = api.get(f"documents/{big}/tasks", as_=stranger)
        assert hidden.status_code == 404 and hidden.get_json()["code"] == "document.not_found"
    assert api.get("documents/999999/tasks").status_code == 404
    fresh = submitted(api, ("A1", "1", "1"))
    open_task = api.get(f"documents/{fresh}/tasks", as_="clerk").get_json()["items"]
    assert [(t["assignee"], t["state"], t["decided_at"]) for t in open_task] == [
        ("s1mgr", "pending", None)]


def test_task_boxes_counts_timeline_and_lists(api: Any, shop: Any) -> None:
    first = submitted(api, ("A1", "1", "1"))
    second = submitted(api, ("A1", "2", "1"))
    assert api.get("tasks/counts", as_="s1mgr").get_json() == {"todo": 2, "processed": 0,
                                                                "cc": 0}
    todo = api.get("tasks/todo", as_="s1mgr").get_json()["items"]
    assert [t["document_id"] for t in todo] == [second, first]
    act(api, first, "s1mgr", comment="fine")
    assert api.get("tasks/counts", as_="s1mgr").get_json()["processed"] == 1
    processed = api.get("tasks/processed", as_="s1mgr").get_json()["items"]
    assert [(t["document_id"], t["state"]) for t in processed] == [(first, "approved")]
    initiated = api.get("tasks/initiated?limit=1", as_="clerk").get_json()["items"]
    assert [t["document_id"] for t in initiated] == [second]
    assert api.get("tasks/todo", as_="clerk").get_json()["items"] == []
    timeline = api.get(f"documents/{first}/timeline", as_="clerk").get_json()
    assert [(e["actor"], e["action"]) for e in timeline] == [("clerk", "submit"),
                                                             ("s1mgr", "approve")]
    assert timeline[-1]["comment"] == "fine"
    api.post("documents", {"form": "transfer", "data": {}}, as_="s1mgr")
    assert api.get("documents", as_="viewer").get_json()["items"] == []  # not theirs
    page = api.get("documents?limit=2").get_json()  # an admin sees them all
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(f"documents?limit=2&cursor={page['next_cursor']}").get_json()
    ids = [d["id"] for d in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3 and rest["next_cursor"] is None
    mine = api.get("documents?submitter=clerk&status=approved&form=transfer").get_json()
    assert [d["id"] for d in mine["items"]] == [first]
    assert api.get("documents?status=draft").get_json()["items"][0]["submitter"] == "s1mgr"
