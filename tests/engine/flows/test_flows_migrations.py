"""Stored flow and instance JSON: schema_version upgrades and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.flows.instance import instance_from_json
from engine.flows.loading import load_flow
from engine.flows.migrations import (
    FLOW_MIGRATIONS,
    FLOW_SCHEMA_VERSION,
    INSTANCE_MIGRATIONS,
    flow_v0_to_v1,
    upgrade_flow,
)
from engine.flows.spec import EmptyPolicy, TaskNode

V0: dict[str, Any] = {
    "key": "purchase",
    "version": 3,
    "labels": {"zh": "采购", "en": "Purchase"},
    "settings": {"empty_policy": "to_admin"},
    "nodes": [
        {"id": "mgr", "type": "approval", "assignees": [{"kind": "dept_head", "levels": 1}]},
        {"id": "route", "type": "condition", "branches": [
            {"condition": "total > 100", "nodes": [
                {"id": "fin", "type": "approval", "assignees": [{"kind": "role", "role": "fin"}]}]},
            {"otherwise": True, "nodes": [
                {"id": "tell", "type": "cc", "assignees": [{"kind": "user", "users": ["x"]}]}]}]},
    ],
}  # fmt: skip


def test_v0_to_v1_renames_assignees_and_the_policy() -> None:
    upgraded = flow_v0_to_v1(V0)
    assert upgraded["schema_version"] == 1
    assert upgraded["settings"] == {"empty_approver_policy": "to_admin"}
    assert upgraded["nodes"][0]["approvers"] == [{"kind": "dept_head", "levels": 1}]
    fin = upgraded["nodes"][1]["branches"][0]["nodes"][0]
    assert "assignees" not in fin and fin["approvers"] == [{"kind": "role", "role": "fin"}]
    assert "assignees" in V0["nodes"][0]  # the input is left alone


def test_a_v0_flow_loads_through_the_registry() -> None:
    spec = load_flow(V0).require()
    assert spec.settings.empty_policy is EmptyPolicy.TO_ADMIN
    fin = spec.task_node("fin")
    assert isinstance(fin, TaskNode) and fin.approvers[0].role == "fin"


def test_current_documents_pass_unchanged() -> None:
    current = flow_v0_to_v1(V0)
    assert upgrade_flow(current) == (current, [])


def test_a_future_version_is_refused_not_guessed() -> None:
    (only,) = load_flow({**V0, "schema_version": FLOW_SCHEMA_VERSION + 1}).problems
    assert only.code == "flows.unsupported_schema_version"
    assert only.source.path == "schema_version"
    assert "upgrade Flowledger" in only.message.en and "请升级" in only.message.zh


def test_a_bad_version_value_is_refused() -> None:
    assert load_flow({**V0, "schema_version": "1"}).problems[0].code == (
        "flows.unsupported_schema_version")


def test_every_migration_is_named_and_documented_and_the_chain_is_complete() -> None:
    for registry in (FLOW_MIGRATIONS, INSTANCE_MIGRATIONS):
        for migration in registry:
            assert migration.name.endswith(f"v{migration.from_version}_to_v{migration.from_version + 1}")
            assert migration.apply.__doc__ and "v" in migration.apply.__doc__
    assert [m.from_version for m in FLOW_MIGRATIONS] == list(range(FLOW_SCHEMA_VERSION))


def test_an_instance_from_the_future_raises_at_the_boundary() -> None:
    with pytest.raises(ValidationError) as raised:
        instance_from_json({"schema_version": 99})
    assert raised.value.code == "flows.unsupported_schema_version"
