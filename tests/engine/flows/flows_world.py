"""Helpers for flow tests: a world from JSON, a script runner, readable trace lines.

A golden case folder holds ``flow.json`` (the flow), ``script.json`` (the world:
document, submitter, roles, heads, admins, plugins, condition answers, chosen
approvers, and a list of actions) and ``expected.json`` (the trace). Each action
names its ``actor``, may give ``at`` (a duration after submission) and, when it
must be refused, ``refused`` (the code). Every step is checked against the
instance invariants and must survive a JSON round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine.flows.durations import parse_duration
from engine.flows.instance import FlowInstance, HistoryEntry, instance_from_json, instance_to_json
from engine.flows.invariants import check_instance
from engine.flows.loading import load_flow
from engine.flows.outcomes import Effect, Step, effect_json
from engine.flows.resolvers import StaticConditions, StaticResolver
from engine.flows.spec import FlowSpec
from engine.flows.step import advance, start
from engine.flows.transitions import action_from_json

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
GOLDEN = Path(__file__).parent / "golden"


def resolver_from(world: Mapping[str, Any]) -> StaticResolver:
    plugins = {name: _answers(users) for name, users in world.get("plugins", {}).items()}
    return StaticResolver(
        roles=world.get("roles", {}),
        heads=world.get("heads", {}),
        admin_users=world.get("admins", []),
        plugins=plugins,
    )


def _answers(users: list[str]) -> Callable[[Mapping[str, Any], str], list[str]]:
    def plugin(document: Mapping[str, Any], submitter: str) -> list[str]:
        return list(users)

    return plugin


def at(offset: str | None) -> datetime:
    if offset is None:
        return T0
    delta = parse_duration(offset)
    assert delta is not None, offset
    return T0 + delta


def effect_line(effect: Effect) -> str:
    data = effect_json(effect)
    kind = data.pop("effect")
    parts = [kind]
    for key in ("kind", "node", "task", "assignee", "users", "due_at", "action"):
        value = data.get(key)
        if value is not None:
            parts.append(",".join(value) if isinstance(value, list) else str(value))
    return " ".join(parts)


def history_line(entry: HistoryEntry) -> str:
    line = f"{entry.actor} {entry.entry.value}"
    line += f" @{entry.node}" if entry.node else ""
    line += f" [{entry.task}]" if entry.task else ""
    line += f" -> {entry.detail}" if entry.detail else ""
    line += f" ({entry.comment})" if entry.comment else ""
    return line


def step_trace(label: str, step: Step) -> dict[str, Any]:
    if not step.ok:
        return {"step": label, "refused": step.code}
    return {
        "step": label,
        "effects": [effect_line(e) for e in step.effects],
        "events": [str(e) for e in step.events],
    }


def checked(spec: FlowSpec, instance: FlowInstance) -> None:
    """The invariants hold and the JSON round trip is exact."""
    assert check_instance(spec, instance) == []
    text = json.dumps(instance_to_json(instance), ensure_ascii=False)
    assert instance_from_json(json.loads(text)) == instance


def load_case(folder: Path) -> tuple[FlowSpec, dict[str, Any]]:
    loaded = load_flow(json.loads((folder / "flow.json").read_text("utf-8")))
    assert loaded.spec is not None, [str(p) for p in loaded.problems]
    return loaded.spec, json.loads((folder / "script.json").read_text("utf-8"))


def run_script(spec: FlowSpec, script: Mapping[str, Any]) -> dict[str, Any]:
    """Play a script; returns the trace. Asserts inline refusals and invariants."""
    resolver = resolver_from(script)
    conditions = StaticConditions(script.get("conditions", {}))
    document = script.get("document", {})
    submitter = script.get("submitter", "alice")
    step = start(spec, document, submitter, T0, resolver, conditions, script.get("chosen"))
    trace = [step_trace(f"start by {submitter}", step)]
    assert step.code == script.get("start_refused"), trace[-1]
    if step.instance is None:
        return {"trace": trace}
    instance = step.instance
    checked(spec, instance)
    for number, data in enumerate(script.get("actions", []), 1):
        action = action_from_json(data)
        step = advance(spec, instance, action, data["actor"], at(data.get("at")), resolver,
                       conditions, document)  # fmt: skip
        label = f"{number}. {data['actor']} {data['action']}"
        trace.append(step_trace(label, step))
        assert step.code == data.get("refused"), trace[-1]
        assert step.instance is not None
        if not step.ok:
            assert step.instance is instance and step.problems
        instance = step.instance
        checked(spec, instance)
    return summary(trace, instance)


def summary(trace: list[dict[str, Any]], instance: FlowInstance) -> dict[str, Any]:
    return {
        "status": instance.status.value,
        "visited": list(instance.visited),
        "tasks": {t.id: f"{t.assignee} {t.state.value} ({t.origin.value})" for t in instance.tasks},
        "history": [history_line(h) for h in instance.history],
        "trace": trace,
    }
