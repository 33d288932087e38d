"""``/audit/verify`` and ``/ledger/verify``: the operator's checks, over HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def test_a_sound_tenant_verifies_clean(api: Any) -> None:
    chain = api.get("audit/verify").get_json()
    assert chain["ok"] is True and chain["problems"] == [] and chain["events"] > 0
    ledger = api.get("ledger/verify").get_json()
    assert ledger == {"ok": True, "movements": 2, "violations": [], "violations_total": 0}


def test_a_tampered_balance_is_named_by_invariant_and_place(api: Any) -> None:
    with api.store.session() as s:
        s.execute(text("UPDATE balances SET on_hand = on_hand + 1000000 "
                       "WHERE tenant_id = :t AND location_id = :w AND item_id = :i"),
                  {"t": api.shop.tenant_id, "w": api.shop.locations["WH"],
                   "i": api.shop.items["A1"]})  # fmt: skip
    report = api.get("ledger/verify").get_json()
    assert report["ok"] is False and report["violations_total"] == len(report["violations"])
    names = {v["invariant"] for v in report["violations"]}
    assert {"balance_equals_journal", "conservation_per_item"} <= names
    broken = next(v for v in report["violations"] if v["invariant"] == "balance_equals_journal")
    assert broken["expected"] != broken["actual"] and broken["message"]
    # the other tenant's ledger is not this one's business, and is sound
    assert api.get("ledger/verify", shop=api.other).get_json()["ok"] is True


def test_an_edited_audit_event_breaks_the_chain_in_zh_and_en(api: Any) -> None:
    with api.store.session() as s:
        s.execute(text("UPDATE audit_events SET action = 'forged' WHERE tenant_id = :t AND "
                       "seq = (SELECT MIN(seq) FROM audit_events WHERE tenant_id = :t)"),
                  {"t": api.shop.tenant_id})  # fmt: skip
    report = api.get("audit/verify", headers={"Accept-Language": "en"}).get_json()
    assert report["ok"] is False and report["problems_total"] >= 1
    first = report["problems"][0]
    assert first["code"].startswith("audit.") and first["message"]
    zh = api.get("audit/verify", headers={"Accept-Language": "zh"}).get_json()
    assert zh["problems"][0]["message"] != first["message"]
    assert "审计事件" in zh["problems"][0]["message"]
    assert api.get("audit/verify", shop=api.other).get_json()["ok"] is True


def test_the_checks_need_audit_view(api: Any) -> None:
    for path in ("audit/verify", "ledger/verify"):
        refused = api.get(path, as_="viewer")
        assert refused.status_code == 403
        assert refused.get_json()["code"] == "auth.permission_denied"
        assert api.get(path, as_=None).status_code == 401
