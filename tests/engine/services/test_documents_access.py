"""Per-form access, hidden fields on read, unique values and linked records — on both
databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from docworld import DocWorld

from engine.errors import Conflict, EngineError, NotFound, PermissionDenied, ValidationError
from engine.services import definitions, doc_access, doc_queries, documents, identity
from engine.services.documents import ActionRequest
from engine.store import Store

CUSTOMER = {
    "schema_version": 1, "key": "customer", "version": 1,
    "labels": {"zh": "客户", "en": "Customer"},
    "fields": [
        {"key": "code", "type": "text", "required": True, "unique": True,
         "label": {"zh": "编码", "en": "Code"}},
        {"key": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}},
        {"key": "active", "type": "checkbox", "default": True,
         "label": {"zh": "启用", "en": "Active"}},
    ],
}
ORDER = {
    "schema_version": 1, "key": "order", "version": 1,
    "labels": {"zh": "订单", "en": "Order"},
    "fields": [
        {"key": "ref", "type": "text", "unique": True, "label": {"zh": "参考号", "en": "Ref"}},
        {"key": "customer", "type": "linked", "label": {"zh": "客户", "en": "Customer"},
         "form": "customer", "display": ["name", "code"], "filter": "active == true"},
        {"key": "secret", "type": "text", "label": {"zh": "底价", "en": "Floor price"}},
        {"key": "note", "type": "text", "label": {"zh": "备注", "en": "Note"}},
    ],
}
ORDER_FLOW = {
    "schema_version": 1, "key": "order", "version": 1,
    "labels": {"zh": "订单审批", "en": "Order approval"},
    "nodes": [{"id": "review", "type": "approval", "mode": "any",
               "labels": {"zh": "财务", "en": "Finance"},
               "approvers": [{"kind": "role", "role": "finance"}],
               "field_permissions": {"secret": "hidden"}}],
}


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    world.receive("100 A1 @S1 cost 10")
    for kind, key, body in (("form", "customer", CUSTOMER), ("form", "order", ORDER),
                            ("flow", "order", ORDER_FLOW)):
        definitions.publish(store, world.tenant_id, kind, key, body=body)
    yield world
    world.check()


def customer(w: DocWorld, code: str, name: str = "Acme", active: bool = True) -> int:
    out = documents.submit_new(w.store, w.who("boss"), "customer",
                               {"code": code, "name": name, "active": active})
    assert out.document.status == "approved"
    return out.document.id


def order(w: DocWorld, who: str = "clerk", **data: Any) -> documents.Outcome:
    return documents.submit_new(w.store, w.who(who), "order", data)


# unique ------------------------------------------------------------------------------------

def test_a_unique_value_is_held_by_one_live_document(w: DocWorld) -> None:
    first = order(w, ref="PO-1").document.id
    with pytest.raises(Conflict) as exc:
        order(w, ref="PO-1")
    [found] = exc.value.problems
    assert found.code == "document.not_unique" and found.source.path == "ref"
    assert "不能重复" in found.message.zh and "must be unique" in found.message.en
    assert order(w, ref="PO-2").document.status == "in_approval"  # other values are free
    documents.act(w.store, w.who("fin1"), first, ActionRequest("reject"))
    assert order(w, ref="PO-1").document.status == "in_approval"  # rejected gave it back


def test_drafts_do_not_hold_values_and_withdrawing_releases(w: DocWorld) -> None:
    draft = documents.create_draft(w.store, w.who("clerk"), "order", {"ref": "X"})
    live = order(w, ref="X").document.id
    with pytest.raises(Conflict):
        documents.submit(w.store, w.who("clerk"), draft.id)
    documents.act(w.store, w.who("clerk"), live, ActionRequest("withdraw"))
    assert documents.submit(w.store, w.who("clerk"), draft.id).document.status == "in_approval"


def test_cancelled_documents_release_their_values(w: DocWorld) -> None:
    made = customer(w, "C1")
    with pytest.raises(Conflict):
        customer(w, "C1")
    documents.act(w.store, w.who("boss"), made, ActionRequest("cancel"))
    customer(w, "C1")


def test_two_concurrent_submits_of_one_value_one_wins(w: DocWorld) -> None:
    gate, out = threading.Barrier(2), []

    def run() -> None:
        gate.wait()
        try:
            out.append(documents.submit_new(w.store, w.who("boss"), "customer",
                                            {"code": "SAME"}))
        except EngineError as exc:
            out.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in out if isinstance(o, documents.Outcome)]
    lost = [o for o in out if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, out
    assert lost[0].problems[0].code == "document.not_unique"
    listed = doc_queries.documents(w.store, w.who("boss"), form_key="customer")
    assert len(listed) == 1


# linked records ----------------------------------------------------------------------------

def test_a_link_must_name_an_approved_record_its_filter_allows(w: DocWorld) -> None:
    active, idle = customer(w, "C1", "Acme"), customer(w, "C2", "Idle", active=False)
    draft_customer = documents.create_draft(w.store, w.who("boss"), "customer", {"code": "C3"})
    transfer = documents.submit_new(w.store, w.who("clerk"), "transfer",
                                    w.transfer([("A1", "1", "1")])).document.id
    for bad in (999_999, idle, draft_customer.id, transfer, "abc"):
        with pytest.raises(ValidationError) as exc:
            order(w, customer=bad)
        assert [(p.code, p.source.path) for p in exc.value.problems] == [
            ("document.bad_link", "customer")]
    made = order(w, customer=str(active)).document
    assert made.links["customer"] == {"id": active, "form": "customer", "serial": None,
                                      "status": "approved",
                                      "display": {"name": "Acme", "code": "C1"}}
    seen = doc_queries.get(w.store, w.who("fin1"), made.id)
    assert seen.links["customer"]["display"]["name"] == "Acme"


# per-form access -----------------------------------------------------------------------------

def test_by_default_members_see_their_own_and_what_they_work_on(w: DocWorld) -> None:
    doc = order(w, note="n").document.id
    for who in ("clerk", "fin1", "fin2", "boss"):  # submitter, approvers, admin
        assert doc_queries.get(w.store, w.who(who), doc).id == doc
        assert [d.id for d in doc_queries.documents(w.store, w.who(who))] == [doc]
    with pytest.raises(NotFound):
        doc_queries.get(w.store, w.who("other"), doc)
    with pytest.raises(NotFound):
        doc_queries.timeline(w.store, w.who("other"), doc)
    assert doc_queries.documents(w.store, w.who("other")) == []
    draft = documents.create_draft(w.store, w.who("clerk"), "order", {}).id
    with pytest.raises(NotFound):  # a draft is its creator's alone
        doc_queries.get(w.store, w.who("fin1"), draft)


def test_view_scopes_department_and_all(w: DocWorld) -> None:
    doc = order(w).document.id
    identity.set_membership(w.store, "chain", "other", department="hq")
    doc_access.set_rules(w.store, w.who("boss"), "order", {"view": {"*": "department"}})
    assert doc_queries.get(w.store, w.who("other"), doc).id == doc  # hq is above store1
    with pytest.raises(NotFound):
        doc_queries.get(w.store, w.who("s1mgr"), doc)  # head, but not a member of store1
    identity.create_role(w.store, "chain", "auditor", {"zh": "审计", "en": "Auditor"})
    identity.grant_role(w.store, "chain", "s1mgr", "auditor")
    doc_access.set_rules(w.store, w.who("boss"), "order", {"view": {"auditor": "all"}})
    s1mgr = identity.principal_named(w.store, "chain", "s1mgr")
    assert [d.id for d in doc_queries.documents(w.store, s1mgr)] == [doc]
    assert doc_queries.documents(w.store, w.who("other")) == []


def test_create_is_limited_to_the_declared_roles(w: DocWorld) -> None:
    doc_access.set_rules(w.store, w.who("boss"), "order", {"create": ["finance"]})
    with pytest.raises(PermissionDenied) as exc:
        documents.create_draft(w.store, w.who("clerk"), "order", {})
    assert exc.value.problems[0].code == "document.create_denied"
    with pytest.raises(PermissionDenied):
        order(w)
    assert order(w, "fin1").document.status == "in_approval"
    assert order(w, "boss").document.status == "in_approval"  # admins always may
    rules = doc_access.get_rules(w.store, w.who("clerk"), "order")
    assert rules.create == ("finance",)


def test_a_bad_access_setting_is_refused_with_paths(w: DocWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        doc_access.set_rules(w.store, w.who("boss"), "order", {
            "view": {"x": "everything"}, "submitter_fields": {"nope": "hidden"}, "z": 1})
    assert sorted(p.source.path for p in exc.value.problems) == [
        "submitter_fields.nope", "view.x", "z"]
    with pytest.raises(NotFound):
        doc_access.set_rules(w.store, w.who("boss"), "nothing", {})


# fields on read ------------------------------------------------------------------------------

def test_fields_hidden_at_the_readers_node_are_removed(w: DocWorld) -> None:
    doc = order(w, secret="80", note="rush").document.id
    for seen in (doc_queries.get(w.store, w.who("fin1"), doc),
                 doc_queries.documents(w.store, w.who("fin1"))[0]):
        assert "secret" not in seen.data and seen.data["note"] == "rush"
    assert doc_queries.get(w.store, w.who("clerk"), doc).data["secret"] == "80"
    assert doc_queries.get(w.store, w.who("boss"), doc).data["secret"] == "80"
    acted = documents.act(w.store, w.who("fin1"), doc, ActionRequest("approve"))
    assert "secret" not in acted.document.data
    assert "secret" not in doc_queries.get(w.store, w.who("fin1"), doc).data  # still hidden


def test_the_submitter_may_not_give_fields_hidden_at_start(w: DocWorld) -> None:
    doc_access.set_rules(w.store, w.who("boss"), "order",
                         {"submitter_fields": {"secret": "hidden", "note": "read"}})
    for data in ({"secret": "1"}, {"note": "x"}):
        with pytest.raises(ValidationError) as exc:
            order(w, **data)
        assert exc.value.problems[0].code == "forms.field_not_editable"
    with pytest.raises(ValidationError):
        documents.create_draft(w.store, w.who("clerk"), "order", {"secret": "1"})
    made = order(w, ref="R")
    assert made.document.data["ref"] == "R" and "secret" not in made.document.data
    doc = order(w, "boss", secret="7").document.id  # an admin may
    assert doc_queries.get(w.store, w.who("boss"), doc).data["secret"] == "7"
