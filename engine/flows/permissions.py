"""Field permissions per node: hidden, read (the default) or edit.

At the implicit ``start`` node the submitter edits every field. These functions
are pure; the form layer applies them when it renders or saves a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.errors import Problem, problem
from engine.flows.spec import BranchNode, FlowSpec, Permission

START = "start"


def permission(spec: FlowSpec, node_id: str, field: str) -> Permission:
    """What an actor at ``node_id`` may do with ``field``."""
    if node_id == START:
        return Permission.EDIT
    node = spec.index.nodes.get(node_id)
    if node is None or isinstance(node, BranchNode):
        return Permission.READ
    return node.permissions.get(field, Permission.READ)


def check_field_edits(spec: FlowSpec, node_id: str, changed_fields: Iterable[str]) -> list[Problem]:
    """A problem for every changed field the node does not let its actors edit."""
    if node_id != START and node_id not in spec.index.nodes:
        return [
            problem(
                "flows.unknown_node",
                f"The flow has no node '{node_id}'",
                f"流程中没有节点 '{node_id}'",
                node=node_id,
            )
        ]
    return [
        problem(
            "flows.field_not_editable",
            f"Field '{field}' may not be edited at node '{node_id}': undo the change "
            "or ask the admin to allow editing there",
            f"字段 '{field}' 在节点 '{node_id}' 不可编辑：请撤销修改，或请管理员开放编辑权限",
            node=node_id,
            path=field,
        )
        for field in changed_fields
        if permission(spec, node_id, field) is not Permission.EDIT
    ]


def visible_fields(spec: FlowSpec, node_id: str, fields: Iterable[str]) -> list[str]:
    """``fields`` without those hidden at ``node_id``, in the given order."""
    return [f for f in fields if permission(spec, node_id, f) is not Permission.HIDDEN]


def field_permissions(spec: FlowSpec, node_id: str, fields: Iterable[str]) -> Mapping[str, Permission]:
    """Every field's permission at ``node_id``: what a form renderer asks for."""
    return {f: permission(spec, node_id, f) for f in fields}
