"""Checking flow JSON: the shipped JSON Schema first, then the meaning.

:func:`schema_problems` turns jsonschema errors into :class:`~engine.errors.Problem`
values whose ``source.path`` is a JSON path such as ``nodes[1].approvers[0].kind``.
:func:`semantic_problems` runs only on schema-valid data; each check is a small
generator that yields problems (duplicate ids, branches, approvers, durations,
return-to targets). Messages are in English and Chinese and say how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from engine.errors import Problem, problem
from engine.flows.building import build_flow
from engine.flows.durations import parse_duration
from engine.jsonformat import json_path, leaf_errors, packaged_schema, packaged_validator

Json = Mapping[str, Any]
TASK_TYPES = ("approval", "handler")
SCHEMA = ("engine.flows", "flow.schema.json")


def flow_schema() -> dict[str, Any]:
    """The JSON Schema of the flow format, shipped in the package."""
    return packaged_schema(*SCHEMA)


def validate_flow(data: Json) -> list[Problem]:
    """Every problem of an upgraded flow document: shape first, then meaning."""
    found = schema_problems(data)
    return found or semantic_problems(data)


# -- shape ----------------------------------------------------------------------------


def schema_problems(data: Json) -> list[Problem]:
    return [_from_schema_error(error) for error in leaf_errors(packaged_validator(*SCHEMA), data)]


def _from_schema_error(error: SchemaError) -> Problem:
    path = json_path(error.absolute_path)
    keyword = str(error.validator)
    value = error.instance
    if keyword == "enum" and path.endswith(".kind"):
        choices = ", ".join(error.validator_value)
        return problem(
            "flows.unknown_approver_kind",
            f"Unknown approver kind {value!r}: use one of {choices}",
            f"未知的审批人类型 {value!r}：请使用 {choices} 之一",
            path=path,
        )
    if keyword == "enum" and path.endswith(".type"):
        choices = ", ".join(error.validator_value)
        return problem(
            "flows.unknown_node_type",
            f"Unknown node type {value!r}: use one of {choices}",
            f"未知的节点类型 {value!r}：请使用 {choices} 之一",
            path=path,
        )
    en, zh = _describe(keyword, error)
    return problem("flows.schema", en, zh, path=path or "$")


def _describe(keyword: str, error: SchemaError) -> tuple[str, str]:
    value, expected = error.instance, error.validator_value
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return f"Missing property '{missing}': add it", f"缺少属性 '{missing}'：请补充"
    if keyword == "additionalProperties":
        return (
            f"Unknown property: {error.message}: remove it",
            f"未知属性：{error.message}：请删除",
        )
    if keyword in ("enum", "const"):
        allowed = ", ".join(map(repr, expected if keyword == "enum" else [expected]))
        return f"{value!r} is not allowed here: use {allowed}", f"此处不允许 {value!r}：请使用 {allowed}"
    if keyword == "type":
        return f"Expected {expected}, got {value!r}", f"类型应为 {expected}，实际为 {value!r}"
    if keyword == "pattern":
        return (
            f"{value!r} is not a valid identifier: use letters, digits and _",
            f"{value!r} 不是合法的标识符：请只用字母、数字和下划线",
        )
    return f"Invalid value: {error.message}", f"取值不正确：{error.message}"


# -- meaning --------------------------------------------------------------------------

Check = Callable[[Json, str], Iterator[Problem]]


def semantic_problems(data: Json) -> list[Problem]:
    found = list(_duplicate_ids(data))
    found += list(_walk(data.get("nodes", []), "nodes"))
    return found or list(_return_targets(data))  # the tree is built only when sound


def _walk(nodes: Sequence[Json], path: str) -> Iterator[Problem]:
    for index, node in enumerate(nodes):
        here = f"{path}[{index}]"
        for check in CHECKS.get(node["type"], ()):
            yield from check(node, here)
        for number, branch in enumerate(node.get("branches", ())):
            yield from _walk(branch["nodes"], f"{here}.branches[{number}].nodes")


def _all_nodes(nodes: Sequence[Json], path: str) -> Iterator[tuple[Json, str]]:
    for index, node in enumerate(nodes):
        here = f"{path}[{index}]"
        yield node, here
        for number, branch in enumerate(node.get("branches", ())):
            yield from _all_nodes(branch["nodes"], f"{here}.branches[{number}].nodes")


def _duplicate_ids(data: Json) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for node, path in _all_nodes(data.get("nodes", []), "nodes"):
        node_id = node["id"]
        if node_id in ("start", "end"):
            yield problem(
                "flows.reserved_node_id",
                f"Node id '{node_id}' is reserved for the implicit start and end: rename it",
                f"节点 ID '{node_id}' 保留给隐含的开始和结束节点：请改名",
                path=f"{path}.id", node=node_id,
            )
        if node_id in seen:
            yield problem(
                "flows.duplicate_node_id",
                f"Node id '{node_id}' is used twice (first at {seen[node_id]}): rename one",
                f"节点 ID '{node_id}' 重复（首次出现在 {seen[node_id]}）：请改名其中一个",
                path=f"{path}.id", node=node_id,
            )
        seen.setdefault(node_id, path)


def _approvers(node: Json, path: str) -> Iterator[Problem]:
    if not node["approvers"]:
        node_id = node["id"]
        yield problem(
            "flows.no_approvers",
            f"Node '{node_id}' has no approvers: add a role or a user",
            f"节点 '{node_id}' 没有审批人：请添加角色或用户",
            path=f"{path}.approvers", node=node_id,
        )


def _timeout(node: Json, path: str) -> Iterator[Problem]:
    timeout = node.get("timeout")
    if timeout is not None and parse_duration(timeout["after"]) is None:
        after = timeout["after"]
        yield problem(
            "flows.bad_duration",
            f"Timeout {after!r} of node '{node['id']}' is not a duration: "
            "write hours (24) or ISO-8601 such as PT4H, P1D, P1DT12H",
            f"节点 '{node['id']}' 的超时 {after!r} 不是有效时长："
            "请填写小时数（24）或 ISO-8601 格式，如 PT4H、P1D、P1DT12H",
            path=f"{path}.timeout.after", node=node["id"],
        )


def _condition_branches(node: Json, path: str) -> Iterator[Problem]:
    branches, node_id = node["branches"], node["id"]
    where = {"path": f"{path}.branches", "node": node_id}
    if not branches:
        yield problem(
            "flows.empty_branches",
            f"Condition '{node_id}' has no branches: add a branch and an otherwise branch",
            f"条件节点 '{node_id}' 没有分支：请添加分支和“其他情况”分支",
            **where,
        )
        return
    others = [i for i, b in enumerate(branches) if b.get("otherwise")]
    if not others:
        yield problem(
            "flows.missing_otherwise",
            f"Condition '{node_id}' has no otherwise branch: add one as the last branch",
            f"条件节点 '{node_id}' 缺少“其他情况”分支：请在最后添加一个",
            **where,
        )
    elif others != [len(branches) - 1]:
        yield problem(
            "flows.otherwise_not_last",
            f"Condition '{node_id}' must have exactly one otherwise branch, the last one",
            f"条件节点 '{node_id}' 必须有且仅有一个“其他情况”分支，且放在最后",
            path=f"{path}.branches[{others[0]}]", node=node_id,
        )
    for number, branch in enumerate(branches):
        if not branch.get("otherwise") and not branch.get("condition"):
            yield problem(
                "flows.missing_condition",
                f"Branch {number + 1} of '{node_id}' has no condition: write one or mark it otherwise",
                f"条件节点 '{node_id}' 的第 {number + 1} 个分支没有条件：请填写条件或设为“其他情况”",
                path=f"{path}.branches[{number}]", node=node_id,
            )


def _parallel_branches(node: Json, path: str) -> Iterator[Problem]:
    branches, node_id = node["branches"], node["id"]
    if len(branches) < 2:
        yield problem(
            "flows.parallel_needs_two",
            f"Parallel node '{node_id}' has {len(branches)} branch(es): "
            "add a second branch or remove the parallel node",
            f"并行节点 '{node_id}' 只有 {len(branches)} 个分支：请再添加一个分支或删除该并行节点",
            path=f"{path}.branches", node=node_id,
        )
    for number, branch in enumerate(branches):
        if branch.get("condition") or branch.get("otherwise"):
            yield problem(
                "flows.condition_in_parallel",
                f"Branch {number + 1} of parallel node '{node_id}' has a condition: "
                "parallel branches all run; use a condition node instead",
                f"并行节点 '{node_id}' 的第 {number + 1} 个分支带有条件：并行分支都会执行，请改用条件节点",
                path=f"{path}.branches[{number}]", node=node_id,
            )


CHECKS: Mapping[str, tuple[Check, ...]] = {
    "approval": (_approvers, _timeout),
    "handler": (_approvers, _timeout),
    "cc": (_approvers,),
    "condition": (_condition_branches,),
    "parallel": (_parallel_branches,),
}


def _return_targets(data: Json) -> Iterator[Problem]:
    """``return_to`` targets must be earlier task nodes on the way to the node."""
    spec = build_flow(data)
    paths = dict((n["id"], p) for n, p in _all_nodes(data.get("nodes", []), "nodes"))
    for node in spec.walk():
        for number, target in enumerate(getattr(node, "return_to", None) or ()):
            if spec.task_node(target) is None or not spec.index.is_earlier(target, node.id):
                yield problem(
                    "flows.bad_return_target",
                    f"Node '{node.id}' may return to '{target}', which is not an earlier "
                    "approval or handler node: pick a node before it",
                    f"节点 '{node.id}' 可退回到 '{target}'，但它不是之前的审批或办理节点：请选择之前的节点",
                    path=f"{paths[node.id]}.return_to[{number}]", node=node.id,
                )
