"""The step function beyond the golden cases: failures, the table, branches, re-pointing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from flows_world import T0, checked, resolver_from

from engine.flows.instance import FlowInstance, FlowStatus, TaskState
from engine.flows.loading import load_flow
from engine.flows.outcomes import Event, EventName, Notify, NotifyKind, Refusal, Step
from engine.flows.permissions import check_field_edits, field_permissions, visible_fields
from engine.flows.resolvers import StaticConditions, StaticResolver
from engine.flows.spec import FlowSpec, Permission
from engine.flows.step import advance, start
from engine.flows.transitions import TRANSITIONS, Action, ActionKind, Who, refusal_for

RESOLVER = resolver_from({"heads": {"alice": "bob"}, "admins": ["root"]})
YES = StaticConditions({"big": True})


def ap(node_id: str, *users: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "approval",
            "approvers": [{"kind": "user", "users": list(users)}], **extra}  # fmt: skip


def spec_of(*nodes: dict[str, Any], **settings: Any) -> FlowSpec:
    return load_flow({"schema_version": 1, "key": "t", "version": 1,
                      "labels": {"zh": "测试", "en": "Test"}, "settings": settings,
                      "nodes": list(nodes)}).require()  # fmt: skip


def begin(spec: FlowSpec, resolver: StaticResolver = RESOLVER, conditions: Any = YES) -> FlowInstance:
    step = start(spec, {}, "alice", T0, resolver, conditions)
    assert step.ok and step.instance is not None, step.problems
    return step.instance


def act(spec: FlowSpec, instance: FlowInstance, actor: str, kind: ActionKind, **kw: Any) -> Step:
    step = advance(spec, instance, Action(kind, **kw), actor, T0, RESOLVER, YES, {})
    assert step.instance is not None
    checked(spec, step.instance)
    return step


def ok(spec: FlowSpec, instance: FlowInstance, actor: str, kind: ActionKind, **kw: Any) -> FlowInstance:
    step = act(spec, instance, actor, kind, **kw)
    assert step.ok, step.problems
    assert step.instance is not None
    return step.instance


def test_block_policy_refuses_the_start_with_a_clear_problem() -> None:
    spec = spec_of({"id": "finance", "type": "approval", "approvers": [
        {"kind": "role", "role": "finance"}], "empty_approver_policy": "block"})  # fmt: skip
    step = start(spec, {}, "alice", T0, RESOLVER, YES)
    assert step.instance is None and step.refusal is Refusal.NO_APPROVERS
    (only,) = step.problems
    assert only.code == "flows.no_approvers" and only.source.node == "finance"
    assert only.message.en == "Node 'finance' has no approvers: add a role or a user"
    assert only.message.zh == "节点 'finance' 没有审批人：请添加角色或用户"


def test_to_admin_without_admins_blocks() -> None:
    spec = spec_of(ap("mgr", "m1"), {"id": "fin", "type": "approval", "approvers": [
        {"kind": "role", "role": "nobody"}]}, empty_approver_policy="to_admin")  # fmt: skip
    instance = begin(spec, StaticResolver())
    step = advance(spec, instance, Action(ActionKind.APPROVE), "m1", T0, StaticResolver(), YES, {})
    assert step.code == "flows.no_approvers" and step.instance is instance


def test_a_failing_condition_is_a_refusal_naming_the_node() -> None:
    spec = spec_of({"id": "route", "type": "condition", "branches": [
        {"condition": "total >", "nodes": []}, {"otherwise": True, "nodes": []}]})  # fmt: skip
    step = start(spec, {}, "alice", T0, RESOLVER, StaticConditions())
    assert step.refusal is Refusal.CONDITION_FAILED
    assert step.problems[0].source.node == "route" and "total >" in step.problems[0].message.en


def test_a_failing_plugin_is_a_refusal_naming_the_node() -> None:
    def broken(document: Mapping[str, Any], submitter: str) -> list[str]:
        raise RuntimeError("directory down")

    spec = spec_of({"id": "qa", "type": "approval", "approvers": [
        {"kind": "plugin", "name": "qa_team"}]})  # fmt: skip
    step = start(spec, {}, "alice", T0, StaticResolver(plugins={"qa_team": broken}), YES)
    assert step.refusal is Refusal.RESOLVER_FAILED
    assert step.problems[0].source.node == "qa" and "directory down" in step.problems[0].message.en


def test_the_table_only_allows_actions_on_open_or_running_things() -> None:
    for (status, state, kind), rule in TRANSITIONS.items():
        if kind is ActionKind.COMMENT:
            assert rule.who is Who.INVOLVED and rule.overseer
        elif kind is ActionKind.CANCEL:
            assert status is FlowStatus.APPROVED and rule.who is Who.OVERSEER
        else:
            assert status is FlowStatus.RUNNING
            assert (state is TaskState.PENDING) is kind.on_task
    assert refusal_for(FlowStatus.REJECTED, TaskState.PENDING, ActionKind.APPROVE) is Refusal.NOT_RUNNING
    assert refusal_for(FlowStatus.RUNNING, TaskState.APPROVED, ActionKind.APPROVE) is (
        Refusal.ALREADY_DECIDED)
    assert refusal_for(FlowStatus.RUNNING, None, ActionKind.APPROVE) is Refusal.NOT_YOUR_TASK
    assert refusal_for(FlowStatus.RUNNING, None, ActionKind.CANCEL) is Refusal.NOT_APPROVED


def test_every_refusal_has_both_messages() -> None:
    for refusal in Refusal:
        assert refusal.code.startswith("flows.") and refusal.message.en and refusal.message.zh


def test_naming_someone_elses_task_is_not_your_task() -> None:
    spec = spec_of(ap("mgr", "m1"))
    instance = begin(spec)
    step = act(spec, instance, "m2", ActionKind.APPROVE, task="mgr.1.1")
    assert step.code == "flows.not_your_task" and step.instance is instance


def _parallel_spec() -> FlowSpec:
    return spec_of(
        ap("mgr", "m1"),
        {"id": "p", "type": "parallel", "branches": [
            {"nodes": [ap("a1", "x"), ap("a2", "y", return_to=["a1", "mgr"])]},
            {"nodes": [ap("b1", "z")]}]},
        ap("end_check", "boss"),
    )  # fmt: skip


def test_returning_inside_a_branch_leaves_the_other_branch_running() -> None:
    spec = _parallel_spec()
    instance = ok(spec, begin(spec), "m1", ActionKind.APPROVE)
    instance = ok(spec, instance, "x", ActionKind.APPROVE)
    assert set(instance.active) == {"a2", "b1"}
    instance = ok(spec, instance, "y", ActionKind.REJECT, return_to="a1")
    assert set(instance.active) == {"a1", "b1"}
    assert instance.task("a1.2.1") is not None
    instance = ok(spec, instance, "z", ActionKind.APPROVE)
    instance = ok(spec, instance, "x", ActionKind.APPROVE)
    instance = ok(spec, instance, "y", ActionKind.APPROVE)
    assert instance.active == ("end_check",)


def test_returning_before_a_parallel_node_drops_every_branch() -> None:
    spec = _parallel_spec()
    instance = ok(spec, begin(spec), "m1", ActionKind.APPROVE)
    instance = ok(spec, instance, "x", ActionKind.APPROVE)
    step = act(spec, instance, "y", ActionKind.REJECT, return_to="mgr")
    assert step.instance is not None and step.instance.active == ("mgr",)
    assert step.instance.task("b1.1.1").state is TaskState.CANCELLED  # type: ignore[union-attr]
    assert Event(EventName.REJECTED, "a2") in step.events
    assert str(step.events[0]) == "rejected_at:a2"


def test_returning_to_a_node_not_visited_is_refused() -> None:
    spec = spec_of(ap("mgr", "m1"), {"id": "route", "type": "condition", "branches": [
        {"condition": "big", "nodes": [ap("big", "b")]},
        {"otherwise": True, "nodes": [ap("small", "s")]}]}, ap("fin", "f"))  # fmt: skip
    instance = ok(spec, begin(spec), "m1", ActionKind.APPROVE)
    instance = ok(spec, instance, "b", ActionKind.APPROVE)
    assert act(spec, instance, "f", ActionKind.REJECT, return_to="small").code == (
        "flows.return_not_allowed")
    assert act(spec, instance, "f", ActionKind.REJECT, return_to="mgr").ok


def test_a_transferred_added_approver_still_wakes_the_one_who_added() -> None:
    spec = spec_of(ap("mgr", "m1"))
    instance = ok(spec, begin(spec), "m1", ActionKind.ADD_BEFORE, target="e1")
    instance = ok(spec, instance, "e1", ActionKind.TRANSFER, target="e2")
    assert instance.task("mgr.1.1").waiting_for == "mgr.1.3"  # type: ignore[union-attr]
    instance = ok(spec, instance, "e2", ActionKind.APPROVE)
    assert instance.task("mgr.1.1").state is TaskState.PENDING  # type: ignore[union-attr]
    assert ok(spec, instance, "m1", ActionKind.APPROVE).status is FlowStatus.APPROVED


def test_escalating_with_nobody_above_reminds_instead() -> None:
    spec = spec_of(ap("mgr", "m1", timeout={"after": 1, "action": "escalate"}))
    step = advance(spec, begin(spec), Action(ActionKind.TIMEOUT, task="mgr.1.1"), "system", T0,
                   StaticResolver(), YES, {})  # fmt: skip
    assert step.ok and Notify(NotifyKind.TIMEOUT, ("m1",), "mgr") in step.effects


def test_a_flow_without_task_nodes_is_approved_at_once() -> None:
    spec = spec_of({"id": "tell", "type": "cc", "approvers": [{"kind": "dept_head"}]})
    step = start(spec, {}, "alice", T0, RESOLVER, YES)
    assert step.instance is not None and step.instance.status is FlowStatus.APPROVED
    assert [str(e) for e in step.events] == ["submitted", "approved"]
    assert Notify(NotifyKind.CC, ("bob",), "tell") in step.effects


def test_stepping_with_another_spec_is_a_programmer_error() -> None:
    spec = spec_of(ap("mgr", "m1"))
    other = load_flow({"schema_version": 1, "key": "other", "version": 1,
                       "labels": {"zh": "x", "en": "x"}, "nodes": []}).require()  # fmt: skip
    with pytest.raises(AssertionError):
        advance(other, begin(spec), Action(ActionKind.APPROVE), "m1", T0, RESOLVER, YES, {})


def test_field_permissions() -> None:
    spec = spec_of(ap("mgr", "m1", field_permissions={"price": "hidden", "qty": "edit"}))
    assert check_field_edits(spec, "mgr", ["qty"]) == []
    (price,) = check_field_edits(spec, "mgr", ["qty", "price"])
    assert price.code == "flows.field_not_editable" and price.source.path == "price"
    assert "不可编辑" in price.message.zh
    assert check_field_edits(spec, "start", ["price", "anything"]) == []
    assert check_field_edits(spec, "nope", ["qty"])[0].code == "flows.unknown_node"
    assert visible_fields(spec, "mgr", ["price", "qty", "note"]) == ["qty", "note"]
    assert field_permissions(spec, "mgr", ["price", "note"]) == {
        "price": Permission.HIDDEN, "note": Permission.READ}  # fmt: skip
