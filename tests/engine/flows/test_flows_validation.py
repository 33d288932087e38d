"""Flow JSON validation: schema errors and semantic errors, with JSON paths and zh/en text."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.flows.durations import parse_duration
from engine.flows.loading import load_flow
from engine.flows.spec import ApproverKind, BranchNode, Mode, NodeKind, TaskNode
from engine.flows.validation import flow_schema
from engine.jsonformat import json_path


def ap(node_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "approval",
            "approvers": [{"kind": "role", "role": "finance"}], **extra}  # fmt: skip


def flow(*nodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schema_version": 1, "key": "purchase", "version": 1,
            "labels": {"zh": "采购", "en": "Purchase"}, "nodes": list(nodes), **extra}  # fmt: skip


def problems(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    loaded = load_flow(data)
    assert not loaded.ok
    return [(p.code, p.source.path) for p in loaded.problems]


def test_a_good_flow_builds_a_spec() -> None:
    branches = [{"condition": "total > 100", "nodes": [ap("fin", mode="all")]},
                {"otherwise": True, "nodes": []}]  # fmt: skip
    spec = load_flow(flow(ap("mgr"), {"id": "route", "type": "condition", "branches": branches}))
    assert spec.ok and spec.spec is not None
    mgr, route = spec.spec.nodes
    assert isinstance(mgr, TaskNode) and mgr.mode is Mode.SEQUENTIAL
    assert mgr.approvers[0].kind is ApproverKind.ROLE and mgr.labels.en == "mgr"
    assert isinstance(route, BranchNode) and route.kind is NodeKind.CONDITION
    assert [n.id for n in spec.spec.walk()] == ["mgr", "route", "fin"]
    assert spec.spec.index.places["fin"].seq == "route[0]"


def test_the_schema_ships_in_the_package() -> None:
    assert flow_schema()["properties"]["schema_version"] == {"const": 1}


def test_unknown_approver_kind_names_the_path_in_both_languages() -> None:
    data = flow(ap("mgr"), {"id": "fin", "type": "approval", "approvers": [{"kind": "boss"}]})
    (only,) = load_flow(data).problems
    assert only.code == "flows.unknown_approver_kind"
    assert only.source.path == "nodes[1].approvers[0].kind"
    assert "Unknown approver kind 'boss'" in only.message.en
    assert "未知的审批人类型 'boss'" in only.message.zh


def test_schema_errors_have_paths() -> None:
    data = flow({"id": "mgr", "type": "approval", "approvers": [{"kind": "user"}], "mode": "most"},
                {"id": "x", "type": "wait"})  # fmt: skip
    found = problems(data)
    assert ("flows.schema", "nodes[0].approvers[0]") in found  # users missing
    assert ("flows.schema", "nodes[0].mode") in found
    assert ("flows.unknown_node_type", "nodes[1].type") in found


def test_missing_required_top_level_properties() -> None:
    (first, *_) = load_flow({"schema_version": 1}).problems
    assert first.code == "flows.schema" and first.source.path == "$"
    assert "Missing property" in first.message.en and "缺少属性" in first.message.zh


def test_not_an_object() -> None:
    assert load_flow([]).problems[0].source.path == "$"  # type: ignore[arg-type]


def test_duplicate_and_reserved_ids() -> None:
    found = problems(flow(ap("mgr"), ap("start"), ap("mgr")))
    assert found == [("flows.reserved_node_id", "nodes[1].id"),
                     ("flows.duplicate_node_id", "nodes[2].id")]  # fmt: skip


def test_duplicate_ids_inside_branches() -> None:
    par = {"id": "p", "type": "parallel", "branches": [{"nodes": [ap("a")]}, {"nodes": [ap("a")]}]}
    assert problems(flow(par)) == [("flows.duplicate_node_id", "nodes[0].branches[1].nodes[0].id")]


@pytest.mark.parametrize(
    ("branches", "expected"),
    [
        ([], [("flows.empty_branches", "nodes[0].branches")]),
        ([{"condition": "a", "nodes": []}], [("flows.missing_otherwise", "nodes[0].branches")]),
        ([{"otherwise": True, "nodes": []}, {"condition": "a", "nodes": []}],
         [("flows.otherwise_not_last", "nodes[0].branches[0]")]),
        ([{"nodes": []}, {"otherwise": True, "nodes": []}],
         [("flows.missing_condition", "nodes[0].branches[0]")]),
    ],
)  # fmt: skip
def test_condition_branches(branches: list[Any], expected: list[Any]) -> None:
    assert problems(flow({"id": "route", "type": "condition", "branches": branches})) == expected


def test_otherwise_message_says_what_to_do() -> None:
    data = flow({"id": "route", "type": "condition", "branches": [{"condition": "a", "nodes": []}]})
    (only,) = load_flow(data).problems
    assert only.message.en == "Condition 'route' has no otherwise branch: add one as the last branch"
    assert only.message.zh == "条件节点 'route' 缺少“其他情况”分支：请在最后添加一个"
    assert only.source.node == "route"


def test_parallel_needs_two_branches_without_conditions() -> None:
    one = flow({"id": "p", "type": "parallel", "branches": [{"nodes": [ap("a")]}]})
    assert problems(one) == [("flows.parallel_needs_two", "nodes[0].branches")]
    conditioned = flow({"id": "p", "type": "parallel", "branches": [
        {"nodes": []}, {"condition": "x", "nodes": []}]})  # fmt: skip
    assert problems(conditioned) == [("flows.condition_in_parallel", "nodes[0].branches[1]")]


def test_no_approvers() -> None:
    (only,) = load_flow(flow({"id": "finance", "type": "approval", "approvers": []})).problems
    assert (only.code, only.source.path) == ("flows.no_approvers", "nodes[0].approvers")
    assert only.message.en == "Node 'finance' has no approvers: add a role or a user"
    assert only.message.zh == "节点 'finance' 没有审批人：请添加角色或用户"


@pytest.mark.parametrize("after", ["P1M", "P1Y", "PT", "P", "4 hours", 0, -2, "P0D", True, "PT1H5"])
def test_bad_durations(after: Any) -> None:
    data = flow(ap("mgr", timeout={"after": after, "action": "remind"}))
    codes = problems(data)
    assert codes in ([("flows.bad_duration", "nodes[0].timeout.after")],
                     [("flows.schema", "nodes[0].timeout.after")])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "hours"),
    [("PT4H", 4), ("P1D", 24), ("P1DT12H", 36), ("P2W", 336), ("PT90M", 1.5), (24, 24), (0.5, 0.5),
     ("pt30m", 0.5)],
)  # fmt: skip
def test_good_durations(text: Any, hours: float) -> None:
    assert parse_duration(text) == timedelta(hours=hours)


def test_overflowing_durations_are_invalid_not_errors() -> None:
    assert parse_duration(1e300) is None
    assert parse_duration("P99999999999D") is None
    assert parse_duration(float("nan")) is None


def test_return_to_must_be_an_earlier_task_node() -> None:
    par = {"id": "p", "type": "parallel", "branches": [
        {"nodes": [ap("left")]}, {"nodes": [ap("right", return_to=["left"])]}]}  # fmt: skip
    data = flow(ap("mgr"), par, ap("fin", return_to=["mgr", "fin", "ceo", "left", "p"]), ap("ceo"))
    assert problems(data) == [
        ("flows.bad_return_target", "nodes[1].branches[1].nodes[0].return_to[0]"),
        ("flows.bad_return_target", "nodes[2].return_to[1]"),
        ("flows.bad_return_target", "nodes[2].return_to[2]"),
        ("flows.bad_return_target", "nodes[2].return_to[3]"),
        ("flows.bad_return_target", "nodes[2].return_to[4]"),
    ]


def test_require_raises_a_validation_error_with_every_problem() -> None:
    with pytest.raises(ValidationError) as raised:
        load_flow(flow(ap("a"), ap("a"), ap("start"))).require()
    assert raised.value.status == 422
    assert [p.code for p in raised.value.problems] == [
        "flows.duplicate_node_id", "flows.reserved_node_id"]  # fmt: skip


def test_json_path() -> None:
    assert json_path(["nodes", 1, "branches", 0, "nodes", 2, "id"]) == "nodes[1].branches[0].nodes[2].id"


def test_loading_does_not_change_the_input() -> None:
    data = flow(ap("mgr"))
    before = copy.deepcopy(data)
    load_flow(data)
    assert data == before
