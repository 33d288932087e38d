"""Stored flow and instance JSON carry a ``schema_version``; this module upgrades them.

Each format change comes with a named migration function whose docstring says what
changed; :func:`engine.jsonformat.upgrade` applies them in order until the document
reaches the current version. A document from the future is refused with a
:class:`~engine.errors.Problem`, never guessed at.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.errors import Problem, problem
from engine.jsonformat import Json, Migration, upgrade

FLOW_SCHEMA_VERSION = 1
INSTANCE_SCHEMA_VERSION = 1

def flow_v0_to_v1(data: Json) -> Json:
    """v0 (before ``schema_version`` existed) called a node's approver list
    ``assignees`` and the flow default ``empty_policy``; v1 names them ``approvers``
    and ``empty_approver_policy`` and adds ``schema_version``."""
    out = copy.deepcopy(data)
    settings = out.get("settings")
    if isinstance(settings, dict) and "empty_policy" in settings:
        settings["empty_approver_policy"] = settings.pop("empty_policy")
    _rename_assignees(out.get("nodes"))
    out["schema_version"] = 1
    return out


def _rename_assignees(nodes: Any) -> None:
    if not isinstance(nodes, list):
        return
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if "assignees" in node:
            node["approvers"] = node.pop("assignees")
        for branch in node.get("branches") or ():
            if isinstance(branch, dict):
                _rename_assignees(branch.get("nodes"))


FLOW_MIGRATIONS: tuple[Migration, ...] = (Migration(0, flow_v0_to_v1),)
INSTANCE_MIGRATIONS: tuple[Migration, ...] = ()  # version 1 is the first stored format


def upgrade_flow(data: Mapping[str, Any]) -> tuple[Json, list[Problem]]:
    return upgrade(data, FLOW_MIGRATIONS, FLOW_SCHEMA_VERSION,
                   lambda found: _unsupported("flow", found, FLOW_SCHEMA_VERSION))


def upgrade_instance(data: Mapping[str, Any]) -> tuple[Json, list[Problem]]:
    return upgrade(data, INSTANCE_MIGRATIONS, INSTANCE_SCHEMA_VERSION,
                   lambda found: _unsupported("flow instance", found, INSTANCE_SCHEMA_VERSION))


def _unsupported(what: str, version: object, current: int) -> Problem:
    return problem(
        "flows.unsupported_schema_version",
        f"This {what} has schema_version {version!r}; this engine reads up to {current}: "
        "upgrade Flowledger",
        f"该{'流程' if what == 'flow' else '流程实例'}的 schema_version 为 {version!r}，"
        f"本引擎最高支持 {current}：请升级 Flowledger",
        path="schema_version",
    )
