"""What must hold for every instance the step function returns, as named checks.

Tests call :func:`check_instance` after every step; each check returns the list
of what is wrong (empty when it holds).
"""

from __future__ import annotations

from collections.abc import Callable

from engine.flows.instance import FlowInstance, FlowStatus, TaskState
from engine.flows.spec import FlowSpec, SpecRef

Check = Callable[[FlowSpec, FlowInstance], list[str]]


def status_matches_tokens(spec: FlowSpec, instance: FlowInstance) -> list[str]:
    """A running flow has active tokens; an ended one has none and a finish time."""
    running = instance.status is FlowStatus.RUNNING
    if running and not instance.positions:
        return ["running without an active node"]
    if not running and (instance.positions or instance.finished_at is None):
        return [f"{instance.status.value} but still active or without finished_at"]
    return []


def open_tasks_belong_to_tokens(spec: FlowSpec, instance: FlowInstance) -> list[str]:
    """Every open task is on an active node's current visit, and every token has one."""
    current = {f"{p.node}.{p.visit}." for p in instance.positions}
    wrong = [t.id for t in instance.open_tasks() if not any(t.id.startswith(c) for c in current)]
    idle = [
        p.node
        for p in instance.positions
        if not any(t.id.startswith(f"{p.node}.{p.visit}.") and t.state.open for t in instance.tasks)
    ]
    return [f"open task {t} on no active node" for t in wrong] + [
        f"active node {n} without an open task" for n in idle
    ]


def waiting_tasks_wait_for_open_ones(spec: FlowSpec, instance: FlowInstance) -> list[str]:
    out = []
    for task in instance.tasks:
        if task.state is TaskState.WAITING:
            blocker = instance.task(task.waiting_for or "")
            if blocker is None or not blocker.state.open:
                out.append(f"{task.id} waits for {task.waiting_for}, which is not open")
    return out


def ids_and_nodes_are_known(spec: FlowSpec, instance: FlowInstance) -> list[str]:
    ids = [t.id for t in instance.tasks]
    out = ["task ids repeat"] if len(ids) != len(set(ids)) else []
    out += [f"unknown node {n}" for n in instance.visited if n not in spec.index.nodes]
    out += [f"task {t.id} on an unvisited node" for t in instance.tasks if t.node not in instance.visited]
    if instance.spec != SpecRef(spec.key, spec.version):
        out.append("instance of another spec")
    return out


CHECKS: tuple[Check, ...] = (
    status_matches_tokens,
    open_tasks_belong_to_tokens,
    waiting_tasks_wait_for_open_ones,
    ids_and_nodes_are_known,
)


def check_instance(spec: FlowSpec, instance: FlowInstance) -> list[str]:
    """Everything wrong with ``instance``, as ``"check: what"`` lines."""
    return [f"{check.__name__}: {what}" for check in CHECKS for what in check(spec, instance)]
