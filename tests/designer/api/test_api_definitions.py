"""Definitions over HTTP: drafts answer the problems publishing would refuse, checks
point at line:column or a field path, publishing numbers versions and refuses with
every problem, and dry runs show what a rule set would post, keeping nothing."""

from __future__ import annotations

from typing import Any

import pytest
from desk import BROKEN_RULES, FORM, RULES, desk, on_hand, publish, submitted, transfer


@pytest.fixture
def shop(api: Any) -> Any:
    return desk(api)


def test_a_broken_rule_is_refused_with_line_and_column(api: Any, shop: Any) -> None:
    saved = api.call("PUT", "definitions/rules/transfer/draft",
                     json={"body": {"text": BROKEN_RULES}})
    assert saved.status_code == 200 and saved.get_json()["ok"] is False
    problem = saved.get_json()["problems"][0]
    assert problem["code"] == "rules.unknown_field"
    assert (problem["source"]["line"], problem["source"]["column"]) == (2, 41)
    checked = api.post("definitions/rules/transfer/validate", {})
    assert checked.status_code == 200 and checked.get_json()["problems"] == [problem]
    refused = api.post("definitions/rules/transfer/publish", {})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == [problem]
    assert api.get("definitions/rules/transfer").get_json()["version"] == 1  # unchanged
    fixed = api.post("definitions/rules/transfer/validate", {"body": {"text": RULES}})
    assert fixed.get_json() == {"kind": "rules", "key": "transfer", "ok": True, "problems": []}


def test_form_problems_carry_field_paths_and_every_one_is_listed(api: Any, shop: Any) -> None:
    broken = {**FORM, "fields": [{"key": "qty", "type": "number", "min": "x"},
                                 {"key": "qty", "type": "nonsense"}]}
    checked = api.post("definitions/form/transfer/validate", {"body": broken}).get_json()
    assert not checked["ok"] and len(checked["problems"]) >= 2
    assert all(p["source"].get("path") for p in checked["problems"])
    refused = api.post("definitions/form/transfer/publish", {"body": broken})
    assert refused.status_code == 422
    assert len(refused.get_json()["errors"]) == len(checked["problems"])
    other = api.call("PUT", "definitions/form/transfer/draft",
                     json={"body": {**FORM, "key": "sale"}})
    assert other.status_code == 422 and other.get_json()["code"] == "definition.key_mismatch"
    orphan = api.post("definitions/rules/lonely/validate", {"body": {"text": RULES}})
    assert orphan.get_json()["problems"][0]["code"] == "rules.no_form"
    assert api.post("definitions/flow/nothing/publish", {}).status_code == 404
    assert api.post("definitions/flow/nothing/validate", {}).status_code == 404


def test_versions_drafts_and_reading_them(api: Any, shop: Any) -> None:
    assert publish(api, "form", {**FORM, "labels": {"zh": "调拨", "en": "Move"}}) == 2
    api.call("PUT", "definitions/flow/transfer/draft", json={"body": {"oops": True}})
    rows = api.get("definitions?key=transfer").get_json()["items"]
    assert [(r["kind"], r["version"], r["state"]) for r in rows] == [
        ("flow", 0, "draft"), ("flow", 1, "published"), ("form", 1, "published"),
        ("form", 2, "published"), ("rules", 1, "published")]
    page = api.get("definitions?kind=form&limit=1").get_json()
    assert page["items"][0]["version"] == 1 and page["next_cursor"]
    rest = api.get(f"definitions?kind=form&limit=1&cursor={page['next_cursor']}").get_json()
    assert rest["items"][0]["version"] == 2 and rest["next_cursor"] is None
    first = api.get("definitions/form/transfer/versions/1", as_="clerk").get_json()
    assert first["body"]["labels"]["en"] == "Transfer" and first["state"] == "published"
    assert api.get("definitions/form/transfer", as_="clerk").get_json()["version"] == 2
    assert api.get("definitions/form/transfer/versions/3").status_code == 404
    draft = api.get("definitions/flow/transfer/draft").get_json()
    assert draft["version"] == 0 and draft["body"] == {"oops": True}
    assert api.get("definitions/flow/transfer/draft", as_="clerk").status_code == 403
    assert api.call("PUT", "definitions/flow/transfer/draft", as_="clerk",
                    json={"body": {}}).status_code == 403


def test_dry_run_against_data_and_documents_keeps_nothing(api: Any, shop: Any) -> None:
    seen = api.post("definitions/rules/transfer/dry-run",
                    {"data": transfer(("A1", "4", "10"), ("A1", "2", "1")),
                     "event": "approved"})
    assert seen.status_code == 200, seen.get_json()
    body = seen.get_json()
    assert body["ok"] and [e["verb"] for e in body["effects"]] == ["move", "move"]
    assert sorted((m["item"], m["qty"]) for m in body["movements"]) == [
        ("A1", "2"), ("A1", "4")]
    assert {b["location"]: b["on_hand_after"] for b in body["balances"]} == {
        "WH": "34", "S1": "6"}
    doc = submitted(api, ("A1", "30", "1"))
    too_much = api.post("definitions/rules/transfer/dry-run", {
        "document_id": doc, "text": RULES.replace("line.qty of", "line.qty * 2 of")})
    assert too_much.status_code == 200
    refused = too_much.get_json()
    assert not refused["ok"] and refused["problems"][0]["code"] == "ledger.insufficient_stock"
    assert refused["problems"][0]["source"]["line"] == 4
    assert on_hand(api, "A1", "S1") == ("0", "0") and on_hand(api, "A1", "WH") == ("40", "30")
    both = api.post("definitions/rules/transfer/dry-run", {"document_id": doc, "data": {}})
    assert both.status_code == 422
    assert api.post("definitions/rules/transfer/dry-run",
                    {"document_id": 10**9}).status_code == 404
