"""Templates over HTTP: only shipped ones, by key; install (twice changes nothing) and
upgrade, with a dry run that changes nothing."""

from __future__ import annotations

from typing import Any


def test_list_show_install_and_upgrade_the_retail_template(api: Any) -> None:
    listed = api.get("templates").get_json()["items"]
    assert "retail" in [t["key"] for t in listed]
    shown = api.get("templates/retail").get_json()
    assert "transfer" in shown["forms"] and shown["problems"] == []
    assert shown["seed"]["items"] > 0 and shown["manifest"]["key"] == "retail"
    installed = api.post("templates/retail/install", {"demo": False})
    assert installed.status_code == 200, installed.get_json()
    report = installed.get_json()
    assert "form transfer" in report["applied"] and report["demo"] == []
    again = api.post("templates/retail/install", {"demo": False}).get_json()
    assert again["applied"] == [] and again["unchanged"] == report["unchanged"] + len(
        [a for a in report["applied"] if a.split()[0] in ("form", "flow", "rules")])
    assert api.get("definitions/form/transfer").status_code == 200
    own = api.get("definitions/flow/transfer").get_json()["body"]
    api.post("definitions/flow/transfer/publish",
             {"body": {**own, "labels": {"zh": "我的调拨", "en": "Our transfer"}}})
    dry = api.post("templates/retail/upgrade", {"dry_run": True}).get_json()
    assert dry["dry_run"] is True and dry["applied"] == [] and "flow transfer" in dry["kept"]
    real = api.post("templates/retail/upgrade", {}).get_json()
    assert real["dry_run"] is False and "flow transfer" in real["kept"]
    assert api.get("definitions/flow/transfer").get_json()["body"]["labels"]["en"] == \
        "Our transfer"


def test_only_shipped_keys_and_only_admins_install(api: Any) -> None:
    assert api.get("templates/nothing").status_code == 404
    assert api.post("templates/mini/install", {}).status_code == 404
    assert api.get("templates/..%2Ftests").status_code == 404
    assert api.post("templates/retail/upgrade", {}).status_code == 404  # not installed
    assert api.get("templates", as_="keeper").status_code == 403
    denied = api.post("templates/retail/install", {}, as_="keeper")
    assert denied.status_code == 403
    assert denied.get_json()["permission"] == "identity.manage"
