"""Per-form access, hidden fields on read, unique values and linked records — on both
databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest
from docworld import DocWorld

from engine.errors import Conflict, EngineError, NotFound, PermissionDenied, ValidationError
from engine.services import definitions, doc_access, doc_queries, documents, identity, preview
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


# act: who acts for the form ------------------------------------------------------------------

def supervisor(w: DocWorld, name: str) -> identity.Principal:
    """``name`` with the role ``supervisor`` (created once)."""
    if not any(r == "supervisor" for p in w.people.values() for r in p.roles):
        identity.create_role(w.store, "chain", "supervisor", {"zh": "主管", "en": "Supervisor"})
    identity.grant_role(w.store, "chain", name, "supervisor")
    w.people[name] = identity.principal_named(w.store, "chain", name)
    return w.people[name]


def refused_code(call: Any) -> tuple[str, str, str]:
    with pytest.raises(PermissionDenied) as exc:
        call()
    found = exc.value.problems[0]
    return found.code, found.message.en, found.hint.en if found.hint else ""


def act(w: DocWorld, who: str, doc: int, kind: str, **more: Any) -> documents.Outcome:
    return documents.act(w.store, w.who(who), doc, ActionRequest(kind, **more))


def test_without_act_only_admins_cancel_and_outsiders_may_not_remind(w: DocWorld) -> None:
    doc = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "5", "10")])).document.id
    code, en, hint = refused_code(lambda: act(w, "other", doc, "remind"))
    assert code == "document.act_denied" and "Only the submitter" in en
    assert "tenant admins may remind" in en and "'act'" in hint
    assert refused_code(lambda: act(w, "other", doc, "comment"))[0] == "document.act_denied"
    assert act(w, "clerk", doc, "remind").document.status == "in_approval"  # the submitter
    assert act(w, "boss", doc, "remind").document.status == "in_approval"  # an admin
    act(w, "s1mgr", doc, "comment", comment="on it")  # a task holder
    act(w, "s1mgr", doc, "approve")
    code, en, _ = refused_code(lambda: act(w, "s1mgr", doc, "cancel"))  # involved is not enough
    assert code == "document.act_denied" and en == (
        "Only tenant admins may cancel approved 'transfer' documents")
    assert act(w, "boss", doc, "cancel").document.status == "cancelled"


def test_act_roles_cancel_remind_and_comment_on_what_they_may_view(w: DocWorld) -> None:
    supervisor(w, "fin2")
    doc = documents.submit_new(w.store, w.who("clerk"), "transfer",
                               w.transfer([("A1", "5", "10")])).document.id
    doc_access.set_rules(w.store, w.who("boss"), "transfer", {"act": ["supervisor"]})
    code, en, _ = refused_code(lambda: act(w, "fin2", doc, "remind"))  # may not view it
    assert code == "document.act_denied"
    assert "'supervisor' (members: on documents they may view)" in en
    doc_access.set_rules(w.store, w.who("boss"), "transfer",
                         {"act": ["supervisor"], "view": {"supervisor": "all"}})
    assert act(w, "fin2", doc, "remind", comment="please").document.status == "in_approval"
    act(w, "fin2", doc, "comment", comment="seen")
    # task actions stay with the task's holder, withdraw with the submitter
    assert refused_code(lambda: act(w, "fin2", doc, "approve"))[0] == "flows.not_your_task"
    assert refused_code(lambda: act(w, "fin2", doc, "withdraw"))[0] == "flows.not_submitter"
    assert refused_code(lambda: act(w, "other", doc, "remind"))[0] == "document.act_denied"
    act(w, "s1mgr", doc, "approve")
    assert w.qty("A1", "S2") == (D(5), D(0))
    assert refused_code(lambda: act(w, "clerk", doc, "cancel"))[0] == "document.act_denied"
    cancelled = act(w, "fin2", doc, "cancel", comment="wrong store")
    assert cancelled.document.status == "cancelled" and cancelled.events == ("cancelled",)
    assert w.qty("A1", "S1") == (D(100), D(0)) and w.qty("A1", "S2") == (D(0), D(0))
    timeline = [(e.actor, e.action) for e in doc_queries.timeline(w.store, w.who("boss"), doc)]
    assert ("fin2", "remind") in timeline and timeline[-1] == ("fin2", "cancel")


def test_act_roles_cancel_documents_without_a_flow_and_previews_agree(w: DocWorld) -> None:
    made = customer(w, "C1")
    preview_of = lambda who: preview.preview_action(  # noqa: E731
        w.store, w.who(who), made, ActionRequest("cancel"))
    assert preview_of("clerk").problems[0].code == "document.act_denied"
    assert refused_code(lambda: act(w, "clerk", made, "cancel"))[0] == "document.act_denied"
    supervisor(w, "clerk")
    doc_access.set_rules(w.store, w.who("boss"), "customer",
                         {"act": ["supervisor"], "view": {"supervisor": "all"}})
    assert preview_of("clerk").ok and preview_of("clerk").status_after == "cancelled"
    assert act(w, "clerk", made, "cancel").document.status == "cancelled"


# design: who may change the form ------------------------------------------------------------

def test_design_roles_limit_who_may_change_a_form(w: DocWorld) -> None:
    supervisor(w, "other")
    doc_access.set_rules(w.store, w.who("boss"), "order", {"design": ["supervisor"]})
    fin1, other, tid = w.who("fin1"), w.who("other"), w.tenant_id
    flow = {**ORDER_FLOW, "labels": {"zh": "新", "en": "New"}}
    calls = {
        "draft": lambda by: definitions.save_draft(w.store, tid, "flow", "order", flow, by=by),
        "validate": lambda by: definitions.validate(w.store, tid, "form", "order", ORDER,
                                                    by=by),
        "publish": lambda by: definitions.publish(w.store, tid, "flow", "order", body=flow,
                                                  by=by),
        "dry_run": lambda by: preview.dry_run(w.store, tid, "", ORDER, {}, "approved", by=by),
        "access": lambda by: doc_access.set_rules(w.store, by, "order",
                                                  {"design": ["supervisor"]}),
    }
    for name, call in calls.items():
        code, en, hint = refused_code(lambda call=call: call(fin1))
        assert code == "definition.design_denied", name
        assert en == ("Only tenant admins and members with the role 'supervisor' may design "
                      "form 'order' (its flow and rules too)") and "'design'" in hint
    for by in (other, w.who("boss"), None):  # the role, an admin, the system
        assert calls["draft"](by).problems == ()
        assert calls["validate"](by) == []
        assert calls["dry_run"](by).ok
    assert calls["publish"](other) >= 2 and calls["access"](other).design == ("supervisor",)
    # other forms, and keys with no published form yet, are open to every designer
    assert definitions.save_draft(w.store, tid, "form", "transfer", {}, by=fin1).problems
    new_form = {**ORDER, "key": "memo2"}
    assert definitions.publish(w.store, tid, "form", "memo2", body=new_form, by=fin1) == 1


def test_access_roles_must_exist_and_design_keeps_its_author(w: DocWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        doc_access.set_rules(w.store, w.who("boss"), "order", {
            "create": ["finance"], "view": {"ghost": "all", "*": "own"},
            "act": ["finance", "nope"], "design": ["who"]})
    assert sorted((p.code, p.source.path) for p in exc.value.problems) == [
        ("access.unknown_role", "act[1]"), ("access.unknown_role", "design[0]"),
        ("access.unknown_role", "view.ghost")]
    with pytest.raises(ValidationError) as exc:
        doc_access.set_rules(w.store, w.who("boss"), "order", {"act": "finance", "design": [1]})
    assert sorted(p.source.path for p in exc.value.problems) == ["act", "design"]
    supervisor(w, "other")
    with pytest.raises(ValidationError) as exc:  # it would shut its author out
        doc_access.set_rules(w.store, w.who("other"), "order", {"design": ["finance"]})
    assert [(p.code, p.source.path) for p in exc.value.problems] == [
        ("access.design_excludes_you", "design")]
    assert doc_access.set_rules(w.store, w.who("boss"), "order",
                                {"design": [], "act": []}).design == ()  # admins only
    assert refused_code(lambda: doc_access.set_rules(w.store, w.who("other"), "order", {})
                        )[1].startswith("Only tenant admins may design form 'order'")
    assert doc_access.get_rules(w.store, w.who("clerk"), "order").as_json() == {
        "create": None, "view": {}, "submitter_fields": {}, "act": [], "design": []}
