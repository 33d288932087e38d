"""Build a :class:`~engine.flows.spec.FlowSpec` from flow JSON that passed the schema.

Pure translation, no checking: :func:`engine.flows.loading.load_flow` validates
first. Defaults live here: labels default to the node id, mode to sequential,
permissions to none (every field read only), settings to the defaults of
:class:`~engine.flows.spec.Settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.flows.durations import parse_duration
from engine.flows.spec import (
    Approver,
    ApproverKind,
    Branch,
    BranchNode,
    CcNode,
    EmptyPolicy,
    FlowSpec,
    Labels,
    Mode,
    Node,
    NodeKind,
    Permission,
    Settings,
    TaskNode,
    Timeout,
    TimeoutAction,
    WithdrawPolicy,
)

Json = Mapping[str, Any]


def build_flow(data: Json) -> FlowSpec:
    return FlowSpec(
        key=data["key"],
        version=data["version"],
        labels=_labels(data["labels"], data["key"]),
        settings=_settings(data.get("settings", {})),
        nodes=_sequence(data["nodes"]),
    )


def _labels(data: Json | None, fallback: str) -> Labels:
    return Labels(zh=data["zh"], en=data["en"]) if data else Labels(fallback, fallback)


def _settings(data: Json) -> Settings:
    default = Settings()
    return Settings(
        withdraw=WithdrawPolicy(data.get("withdraw", default.withdraw.value)),
        auto_approve_same_approver=data.get("auto_approve_same_approver", False),
        empty_policy=EmptyPolicy(data.get("empty_approver_policy", default.empty_policy.value)),
    )


def _sequence(nodes: list[Json]) -> tuple[Node, ...]:
    return tuple(_node(node) for node in nodes)


def _node(data: Json) -> Node:
    kind = NodeKind(data["type"])
    labels = _labels(data.get("labels"), data["id"])
    if kind in (NodeKind.CONDITION, NodeKind.PARALLEL):
        branches = tuple(_branch(b, f"{data['id']}[{i}]") for i, b in enumerate(data["branches"]))
        return BranchNode(data["id"], kind, labels, branches)
    approvers = tuple(_approver(a) for a in data["approvers"])
    permissions = {k: Permission(v) for k, v in data.get("field_permissions", {}).items()}
    if kind is NodeKind.CC:
        return CcNode(data["id"], labels, approvers, permissions)
    policy = data.get("empty_approver_policy")
    return_to = data.get("return_to")
    return TaskNode(
        id=data["id"],
        kind=kind,
        labels=labels,
        approvers=approvers,
        mode=Mode(data.get("mode", "sequential")),
        empty_policy=EmptyPolicy(policy) if policy else None,
        timeout=_timeout(data.get("timeout")),
        permissions=permissions,
        return_to=tuple(return_to) if return_to is not None else None,
    )


def _branch(data: Json, fallback: str) -> Branch:
    return Branch(
        labels=_labels(data.get("labels"), fallback),
        nodes=_sequence(data["nodes"]),
        condition=data.get("condition"),
        otherwise=bool(data.get("otherwise", False)),
    )


def _approver(data: Json) -> Approver:
    return Approver(
        kind=ApproverKind(data["kind"]),
        users=tuple(data.get("users", ())),
        role=data.get("role"),
        levels=data.get("levels", 1),
        field=data.get("field"),
        name=data.get("name"),
    )


def _timeout(data: Json | None) -> Timeout | None:
    if data is None:
        return None
    after = parse_duration(data["after"])
    assert after is not None, "validated before building"
    return Timeout(after, TimeoutAction(data["action"]))
