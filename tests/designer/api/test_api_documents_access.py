"""Per-form access, hidden fields, unique values and linked records over HTTP.

(Form keys differ from the engine tests' on purpose: compiled bundles are cached by
database URL, tenant id, key and versions, and PostgreSQL test databases are
truncated with their ids restarted between tests.)"""

from __future__ import annotations

from typing import Any

import pytest
from desk import FLOW, desk, on_hand, publish, submitted, transfer

from engine.services import identity

CUSTOMER = {
    "schema_version": 1, "key": "client", "version": 1,
    "labels": {"zh": "客户", "en": "Customer"},
    "fields": [
        {"key": "code", "type": "text", "required": True, "unique": True,
         "label": {"zh": "编码", "en": "Code"}},
        {"key": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}},
    ],
}
ORDER = {
    "schema_version": 1, "key": "purchase", "version": 1,
    "labels": {"zh": "订单", "en": "Order"},
    "fields": [
        {"key": "customer", "type": "linked", "label": {"zh": "客户", "en": "Customer"},
         "form": "client", "display": ["name"]},
        {"key": "secret", "type": "text", "label": {"zh": "底价", "en": "Floor"}},
    ],
}
ORDER_FLOW = {
    "schema_version": 1, "key": "purchase", "version": 1,
    "labels": {"zh": "订单审批", "en": "Order approval"},
    "nodes": [{"id": "review", "type": "approval", "mode": "any",
               "approvers": [{"kind": "role", "role": "finance"}],
               "field_permissions": {"secret": "hidden"}}],
}


@pytest.fixture
def shop(api: Any) -> Any:
    made = desk(api)
    publish(api, "form", CUSTOMER, key="client")
    publish(api, "form", ORDER, key="purchase")
    publish(api, "flow", ORDER_FLOW, key="purchase")
    return made


def test_access_setting_limits_create_and_widens_view(api: Any, shop: Any) -> None:
    doc = submitted(api, ("A1", "1", "1"))
    assert api.get(f"documents/{doc}", as_="other").status_code == 404
    assert api.get(f"documents/{doc}/timeline", as_="other").status_code == 404
    assert api.get("documents", as_="other").get_json()["items"] == []
    assert api.get("forms/transfer/access", as_="clerk").get_json() == {
        "form": "transfer", "create": None, "view": {}, "submitter_fields": {}, "act": None,
        "design": None}
    body = {"create": ["finance"], "view": {"*": "all"}}
    assert api.call("PUT", "forms/transfer/access", json=body, as_="clerk").status_code == 403
    assert api.call("PUT", "forms/transfer/access", json=body).status_code == 200
    assert api.get(f"documents/{doc}", as_="other").status_code == 200
    refused = api.post("documents/submit", {"form": "transfer", "data": transfer(
        ("A1", "1", "1"))}, as_="clerk")
    assert refused.status_code == 403 and refused.get_json()["code"] == "document.create_denied"
    bad = api.call("PUT", "forms/transfer/access", json={"view": {"x": "some"}})
    assert bad.status_code == 422
    assert api.call("PUT", "forms/nothing/access", json={}).status_code == 404


def test_unique_values_conflict_and_links_show_their_record(api: Any, shop: Any) -> None:
    made = api.post("documents/submit", {"form": "client", "data": {"code": "C1",
                                                                       "name": "Acme"}})
    assert made.status_code == 201, made.get_json()
    customer = made.get_json()["document"]["id"]
    again = api.post("documents/submit", {"form": "client", "data": {"code": "C1"}})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.get_json()["code"] == "document.not_unique"
    assert again.get_json()["source"]["path"] == "code"
    wrong = api.post("documents/submit", {"form": "purchase", "data": {"customer": 999999}},
                     as_="clerk")
    assert wrong.status_code == 422
    assert [(e["code"], e["source"]["path"]) for e in wrong.get_json()["errors"]] == [
        ("document.bad_link", "customer")]
    order = api.post("documents/submit", {"form": "purchase", "data": {
        "customer": customer, "secret": "80"}}, as_="clerk")
    assert order.status_code == 201, order.get_json()
    doc = order.get_json()["document"]
    assert doc["links"]["customer"]["display"] == {"name": "Acme"}
    assert doc["data"]["secret"] == "80"  # the submitter sees their own data
    seen = api.get(f"documents/{doc['id']}", as_="fin1").get_json()
    assert "secret" not in seen["data"] and seen["links"]["customer"]["id"] == customer
    listed = api.get("documents?form=purchase", as_="fin1").get_json()["items"]
    assert [d["id"] for d in listed] == [doc["id"]] and "secret" not in listed[0]["data"]


RELEASE = "on purchase rejected:\n    release reservations\n"


def grant(api: Any, username: str, role: str) -> None:
    known = {r["key"] for r in api.get("roles?limit=200").get_json()["items"]}
    if role not in known:
        identity.create_role(api.store, api.shop.slug, role, {"en": role})
    identity.grant_role(api.store, api.shop.slug, username, role)


def refused(response: Any, code: str) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 403 and body["code"] == code, body
    return body  # type: ignore[no-any-return]


def test_design_roles_limit_who_may_change_a_form(api: Any, shop: Any) -> None:
    for name in ("fin1", "fin2"):
        grant(api, name, "designer")  # the design permission
    grant(api, "fin2", "lead")
    put = api.call("PUT", "forms/purchase/access", json={"design": ["lead"]})
    assert put.status_code == 200 and put.get_json()["design"] == ["lead"]
    flow = {**ORDER_FLOW, "labels": {"zh": "新", "en": "New"}}
    writes = [("PUT", "definitions/flow/purchase/draft", {"body": flow}),
              ("POST", "definitions/form/purchase/validate", {"body": ORDER}),
              ("POST", "definitions/flow/purchase/publish", {"body": flow}),
              ("POST", "definitions/rules/purchase/dry-run", {"text": RELEASE, "data": {}}),
              ("PUT", "forms/purchase/access", {"design": ["lead"]})]
    for method, path, body in writes:
        denied = refused(api.call(method, path, json=body, as_="fin1"),
                         "definition.design_denied")
        assert "'lead'" in denied["message"] and "'purchase'" in denied["message"], path
        assert "design" in denied["errors"][0]["hint"]
        allowed = api.call(method, path, json=body, as_="fin2")
        assert allowed.status_code in (200, 201), (path, allowed.get_json())
    zh = api.call("PUT", "definitions/flow/purchase/draft", json={"body": flow}, as_="fin1",
                  headers={"Accept-Language": "zh"}).get_json()
    assert zh["message"].startswith("只有租户管理员和拥有角色 'lead' 的成员可以设计表单")
    refused(api.call("PUT", "definitions/flow/purchase/draft", json={"body": flow},
                     as_="clerk"), "auth.permission_denied")  # no design at all
    # other forms, and a form not yet published, need the design permission only
    assert api.call("PUT", "definitions/flow/transfer/draft", json={"body": FLOW},
                    as_="fin1").status_code == 200
    assert api.call("PUT", "definitions/form/memo9/draft", json={"body": {
        **ORDER, "key": "memo9"}}, as_="fin1").status_code == 200


def test_unknown_roles_and_a_self_excluding_design_list_are_refused(api: Any,
                                                                     shop: Any) -> None:
    bad = api.call("PUT", "forms/purchase/access", json={
        "act": ["finance", "nope"], "design": ["ghost"], "view": {"who": "all"}})
    assert bad.status_code == 422
    assert sorted((e["code"], e["source"]["path"]) for e in bad.get_json()["errors"]) == [
        ("access.unknown_role", "act[1]"), ("access.unknown_role", "design[0]"),
        ("access.unknown_role", "view.who")]
    grant(api, "fin1", "designer")
    mine = api.call("PUT", "forms/purchase/access", json={"design": ["finance"]}, as_="fin1")
    assert mine.status_code == 200  # fin1 holds finance
    shut = api.call("PUT", "forms/purchase/access", json={"design": ["designer"]},
                    as_="fin1")
    assert shut.status_code == 200
    out = api.call("PUT", "forms/purchase/access", json={"design": ["lead2"]}, as_="fin1")
    assert out.status_code == 422
    grant(api, "fin2", "lead2")
    out = api.call("PUT", "forms/purchase/access", json={"design": ["lead2"]}, as_="fin1")
    assert [(e["code"], e["source"]["path"]) for e in out.get_json()["errors"]] == [
        ("access.design_excludes_you", "design")]


def action(api: Any, doc: int, who: str, kind: str) -> Any:
    return api.post(f"documents/{doc}/actions", {"action": kind, "comment": "x"}, as_=who)


def test_act_roles_cancel_remind_and_comment(api: Any, shop: Any) -> None:
    running, done = submitted(api, ("A1", "1", "1")), submitted(api, ("A1", "4", "1"))
    assert action(api, done, "s1mgr", "approve").status_code == 200
    assert on_hand(api, "A1", "S1") == ("4", "0")
    for doc, kind in ((running, "remind"), (running, "comment"), (done, "cancel")):
        body = refused(action(api, doc, "other", kind), "document.act_denied")
        assert body["errors"][0]["hint"].endswith("act"), kind
    refused(action(api, done, "clerk", "cancel"), "document.act_denied")  # the submitter
    assert action(api, running, "clerk", "remind").status_code == 200
    assert action(api, running, "admin", "remind").status_code == 200
    grant(api, "other", "supervisor")
    access = {"act": ["supervisor"], "view": {"supervisor": "all"}}
    put = api.call("PUT", "forms/transfer/access", json=access)
    assert put.status_code == 200 and put.get_json()["act"] == ["supervisor"]
    assert action(api, running, "other", "remind").status_code == 200
    assert action(api, running, "other", "comment").status_code == 200
    refused(action(api, running, "other", "approve"), "flows.not_your_task")
    refused(action(api, running, "other", "withdraw"), "flows.not_submitter")
    refused(action(api, running, "fin1", "remind"), "document.act_denied")  # no such role
    seen = api.post(f"documents/{done}/preview", {"action": "cancel"}, as_="other").get_json()
    assert seen["ok"] and seen["status_after"] == "cancelled"
    cancelled = action(api, done, "other", "cancel")
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["document"]["status"] == "cancelled"
    assert on_hand(api, "A1", "S1") == ("0", "0")
