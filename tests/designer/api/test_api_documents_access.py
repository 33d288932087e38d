"""Per-form access, hidden fields, unique values and linked records over HTTP.

(Form keys differ from the engine tests' on purpose: compiled bundles are cached by
database URL, tenant id, key and versions, and PostgreSQL test databases are
truncated with their ids restarted between tests.)"""

from __future__ import annotations

from typing import Any

import pytest
from desk import desk, publish, submitted, transfer

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
        "form": "transfer", "create": None, "view": {}, "submitter_fields": {}}
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
