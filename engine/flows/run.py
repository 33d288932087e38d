"""The scratch state of one step: a mutable copy of an instance plus what it emits.

A :class:`Run` is created by :func:`~engine.flows.step.start` or
:func:`~engine.flows.step.advance`, changed by the navigation in
:mod:`engine.flows.walk`, and frozen back into a
:class:`~engine.flows.instance.FlowInstance` at the end. :meth:`Run.refuse`
aborts the whole step with a named refusal; the public functions turn it into a
refused :class:`~engine.flows.outcomes.Step`, so nothing half-done escapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NoReturn

from engine.errors import Problem
from engine.flows.instance import (
    Entry,
    FlowInstance,
    FlowStatus,
    HistoryEntry,
    Position,
    Task,
    TaskOrigin,
    TaskState,
)
from engine.flows.outcomes import (
    CreateTask,
    Effect,
    Event,
    EventName,
    Notify,
    NotifyKind,
    Refusal,
    ScheduleTimer,
)
from engine.flows.resolvers import ApproverResolver, ConditionEvaluator
from engine.flows.spec import FlowSpec, NodeKind, TaskNode


class Refused(Exception):
    """Internal: aborts a step. Never leaves :mod:`engine.flows`."""

    def __init__(self, refusal: Refusal, problems: tuple[Problem, ...]) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Context:
    """What a step reads besides the instance."""

    spec: FlowSpec
    resolver: ApproverResolver
    conditions: ConditionEvaluator
    document: Mapping[str, Any]
    actor: str
    now: datetime
    overseer: bool = False  # the services let the actor act for the form (see transitions)


class Run:
    def __init__(self, ctx: Context, instance: FlowInstance) -> None:
        self.ctx = ctx
        self.spec = ctx.spec
        self.base = instance
        self.status = instance.status
        self.finished_at = instance.finished_at
        self.positions: dict[str, Position] = {p.node: p for p in instance.positions}
        self.tasks: dict[str, Task] = {t.id: t for t in instance.tasks}
        self.history: list[HistoryEntry] = list(instance.history)
        self.visited: list[str] = list(instance.visited)
        self.effects: list[Effect] = []
        self.events: list[Event] = []

    # -- outcome --------------------------------------------------------------------

    def refuse(self, refusal: Refusal, *problems: Problem) -> NoReturn:
        raise Refused(refusal, problems or (refusal.problem(),))

    def freeze(self) -> FlowInstance:
        return replace(
            self.base,
            status=self.status,
            finished_at=self.finished_at,
            positions=tuple(self.positions.values()),
            tasks=tuple(self.tasks.values()),
            history=tuple(self.history),
            visited=tuple(self.visited),
        )

    def log(self, entry: Entry, node: str | None = None, **fields: str | None) -> None:
        actor = fields.pop("actor", None) or self.ctx.actor
        self.history.append(HistoryEntry(self.ctx.now, actor, entry, node, **fields))

    def emit(self, name: EventName, node: str | None = None) -> None:
        self.events.append(Event(name, node))

    # -- tasks ----------------------------------------------------------------------

    def node_tasks(self, node: str) -> list[Task]:
        """The tasks of the node's current visit."""
        position = self.positions.get(node)
        if position is None:
            return []
        prefix = f"{node}.{position.visit}."
        return [t for t in self.tasks.values() if t.id.startswith(prefix)]

    def create_task(
        self,
        node: TaskNode,
        assignee: str,
        origin: TaskOrigin,
        *,
        required: bool = True,
        previous: str | None = None,
    ) -> Task:
        visit = self.positions[node.id].visit
        number = len(self.node_tasks(node.id)) + 1
        task = Task(
            id=f"{node.id}.{visit}.{number}",
            node=node.id,
            assignee=assignee,
            state=TaskState.PENDING,
            created_at=self.ctx.now,
            origin=origin,
            required=required,
            previous=previous,
        )
        if self._auto_approves(node, task):
            task = replace(task, state=TaskState.APPROVED, decided_at=self.ctx.now)
            self.tasks[task.id] = task
            self.log(Entry.AUTO_APPROVED, node.id, task=task.id, actor=assignee)
            return task
        self.tasks[task.id] = task
        self.effects.append(CreateTask(task.id, node.id, assignee))
        self._announce(node, task)
        return task

    def _announce(self, node: TaskNode, task: Task) -> None:
        self.effects.append(Notify(NotifyKind.TASK, (task.assignee,), node.id))
        if node.timeout is not None:
            due = self.ctx.now + node.timeout.after
            self.effects.append(ScheduleTimer(node.id, task.id, due, node.timeout.action))

    def _auto_approves(self, node: TaskNode, task: Task) -> bool:
        """The same person approved an earlier node, and the flow says that is enough."""
        if not self.spec.settings.auto_approve_same_approver or node.kind is not NodeKind.APPROVAL:
            return False
        if task.origin not in (TaskOrigin.RESOLVED, TaskOrigin.ADMIN):
            return False
        return any(
            t.assignee == task.assignee and t.state is TaskState.APPROVED and t.node != node.id
            for t in self.tasks.values()
        )

    def decide(self, task: Task, state: TaskState, **changes: Any) -> Task:
        """Set a task's state; approving it wakes the tasks that waited for it."""
        decided = replace(task, state=state, decided_at=self.ctx.now, **changes)
        self.tasks[task.id] = decided
        if state is TaskState.APPROVED:
            for waiting in list(self.tasks.values()):
                if waiting.waiting_for == task.id and waiting.state is TaskState.WAITING:
                    woken = replace(waiting, state=TaskState.PENDING, waiting_for=None)
                    self.tasks[waiting.id] = woken
                    node = self.spec.task_node(waiting.node)
                    assert node is not None
                    self._announce(node, woken)
        return decided

    def repoint(self, old: str, new: str) -> None:
        """Tasks waiting for ``old`` (transferred away) now wait for ``new``."""
        for task in list(self.tasks.values()):
            if task.waiting_for == old:
                self.tasks[task.id] = replace(task, waiting_for=new)

    def finish(self, status: FlowStatus) -> None:
        self.status = status
        self.finished_at = self.ctx.now
        self.effects.append(Notify(NotifyKind.RESULT, (self.base.submitter,)))
