"""FlowInstance ⇄ JSON: exact round trips, a schema_version, no embedded spec."""

from __future__ import annotations

import json

from flows_world import GOLDEN, T0, checked, load_case, resolver_from

from engine.flows.instance import (
    FlowInstance,
    FlowStatus,
    TaskOrigin,
    TaskState,
    instance_from_json,
    instance_to_json,
)
from engine.flows.resolvers import StaticConditions
from engine.flows.spec import FlowSpec
from engine.flows.step import advance, start
from engine.flows.transitions import Action, ActionKind


def _running_instance() -> tuple[FlowSpec, FlowInstance]:
    spec, script = load_case(GOLDEN / "add_approver_before")
    resolver, conditions = resolver_from(script), StaticConditions()
    step = start(spec, {}, "alice", T0, resolver, conditions)
    assert step.instance is not None
    step = advance(spec, step.instance, Action(ActionKind.ADD_BEFORE, target="expert",
                   comment="请专家看看"), "m1", T0, resolver, conditions, {})  # fmt: skip
    assert step.instance is not None
    return spec, step.instance


def test_round_trip_of_a_running_instance_with_waiting_tasks() -> None:
    _, instance = _running_instance()
    data = instance_to_json(instance)
    assert data["schema_version"] == 1
    assert data["spec"] == {"key": "purchase", "version": 1}
    assert "nodes" not in data  # the spec is referenced, never embedded
    text = json.dumps(data, ensure_ascii=False)
    back = instance_from_json(json.loads(text))
    assert back == instance
    assert back.status is FlowStatus.RUNNING
    states = {t.id: (t.state, t.origin) for t in back.tasks}
    assert states == {
        "mgr.1.1": (TaskState.WAITING, TaskOrigin.RESOLVED),
        "mgr.1.2": (TaskState.PENDING, TaskOrigin.ADDED_BEFORE),
    }
    assert back.positions[0].queue == ("m2",)
    assert back.history[-1].comment == "请专家看看"
    assert back.started_at.utcoffset() == T0.utcoffset()


def test_round_trip_of_every_golden_ending() -> None:
    from flows_world import run_script

    for folder in sorted(p for p in GOLDEN.iterdir() if (p / "flow.json").exists()):
        spec, script = load_case(folder)
        run_script(spec, script)  # checks the round trip after every step


def test_round_trip_keeps_chosen_approvers() -> None:
    spec, script = load_case(GOLDEN / "submitter_choice")
    step = start(spec, {}, "alice", T0, resolver_from(script), StaticConditions(), script["chosen"])
    assert step.instance is not None
    checked(spec, step.instance)
    data = instance_to_json(step.instance)
    assert data["chosen"] == {"picked": ["zhou", "qian"]}
    assert instance_from_json(data).chosen_for("picked") == ("zhou", "qian")
