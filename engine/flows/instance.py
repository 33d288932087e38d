"""The running state of one document's flow: :class:`FlowInstance`, frozen.

An instance names its definition by :class:`~engine.flows.spec.SpecRef` and never
embeds it. ``positions`` are the active tokens: one per task node currently waiting
for people (several inside parallel branches), each with the people still queued
for a sequential node. ``tasks`` keep every task ever created, in creation order,
with deterministic ids ``<node>.<visit>.<n>``; ``history`` says who did what when.

:func:`instance_to_json` / :func:`instance_from_json` write and read the stored
form, which carries ``schema_version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from engine.errors import ValidationError
from engine.flows.migrations import INSTANCE_SCHEMA_VERSION, upgrade_instance
from engine.flows.spec import SpecRef


class FlowStatus(Enum):
    RUNNING = "running"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class TaskState(Enum):
    PENDING = "pending"
    WAITING = "waiting"  # its holder added an approver before themselves (前加签)
    APPROVED = "approved"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"  # the node or the flow ended before this task was decided

    @property
    def open(self) -> bool:
        return self in (TaskState.PENDING, TaskState.WAITING)


class TaskOrigin(Enum):
    """Why a task exists."""

    RESOLVED = "resolved"  # the node's approver rules
    ADMIN = "admin"  # nobody resolved; the to_admin policy
    ADDED_BEFORE = "added_before"
    ADDED_AFTER = "added_after"
    TRANSFER = "transfer"
    ESCALATED = "escalated"


class Entry(Enum):
    """What a history line records."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    AUTO_APPROVED = "auto_approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    TRANSFERRED = "transferred"
    ADDED_BEFORE = "added_before"
    ADDED_AFTER = "added_after"
    WITHDRAWN = "withdrawn"
    REMINDED = "reminded"
    COMMENTED = "commented"
    TIMED_OUT = "timed_out"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    TO_ADMIN = "to_admin"
    CC = "cc"
    BRANCH = "branch"


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    node: str
    assignee: str
    state: TaskState
    created_at: datetime
    origin: TaskOrigin = TaskOrigin.RESOLVED
    required: bool = True  # in an ``any`` node only added approvers are required
    waiting_for: str | None = None  # the task that must decide first (前加签)
    previous: str | None = None  # the task this one was transferred or added from
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """An active token: a task node waiting for people."""

    node: str
    visit: int
    queue: tuple[str, ...] = ()  # sequential mode: people still to get a task, in order


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    entry: Entry
    node: str | None = None
    task: str | None = None
    comment: str | None = None
    detail: str | None = None  # a target user, a return target, a branch number


@dataclass(frozen=True, slots=True)
class FlowInstance:
    spec: SpecRef
    submitter: str
    status: FlowStatus
    started_at: datetime
    positions: tuple[Position, ...] = ()
    tasks: tuple[Task, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    visited: tuple[str, ...] = ()  # node ids in the order they were entered
    chosen: tuple[tuple[str, tuple[str, ...]], ...] = ()  # submitter_choice, per node
    finished_at: datetime | None = None

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(p.node for p in self.positions)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.state.open)

    def chosen_for(self, node: str) -> tuple[str, ...]:
        return dict(self.chosen).get(node, ())


# -- JSON -----------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def instance_to_json(instance: FlowInstance) -> dict[str, Any]:
    return _drop_none(
        {
            "schema_version": INSTANCE_SCHEMA_VERSION,
            "spec": {"key": instance.spec.key, "version": instance.spec.version},
            "submitter": instance.submitter,
            "status": instance.status.value,
            "started_at": _time(instance.started_at),
            "finished_at": _time(instance.finished_at),
            "positions": [
                {"node": p.node, "visit": p.visit, "queue": list(p.queue)}
                for p in instance.positions
            ],
            "tasks": [_task_json(t) for t in instance.tasks],
            "history": [_entry_json(h) for h in instance.history],
            "visited": list(instance.visited),
            "chosen": {node: list(users) for node, users in instance.chosen},
        }
    )


def _task_json(task: Task) -> dict[str, Any]:
    return _drop_none(
        {
            "id": task.id,
            "node": task.node,
            "assignee": task.assignee,
            "state": task.state.value,
            "created_at": _time(task.created_at),
            "origin": task.origin.value,
            "required": task.required,
            "waiting_for": task.waiting_for,
            "previous": task.previous,
            "decided_at": _time(task.decided_at),
        }
    )


def _entry_json(entry: HistoryEntry) -> dict[str, Any]:
    return _drop_none(
        {
            "at": _time(entry.at),
            "actor": entry.actor,
            "entry": entry.entry.value,
            "node": entry.node,
            "task": entry.task,
            "comment": entry.comment,
            "detail": entry.detail,
        }
    )


def instance_from_json(data: Mapping[str, Any]) -> FlowInstance:
    """Read a stored instance, upgrading old ``schema_version`` s first.

    Stored instances are the engine's own output; a document from a newer engine
    raises :class:`~engine.errors.ValidationError`.
    """
    upgraded, problems = upgrade_instance(data)
    if problems:
        raise ValidationError(problems)
    started = _parse_time(upgraded["started_at"])
    assert started is not None
    return FlowInstance(
        spec=SpecRef(upgraded["spec"]["key"], upgraded["spec"]["version"]),
        submitter=upgraded["submitter"],
        status=FlowStatus(upgraded["status"]),
        started_at=started,
        finished_at=_parse_time(upgraded.get("finished_at")),
        positions=tuple(
            Position(p["node"], p["visit"], tuple(p["queue"])) for p in upgraded["positions"]
        ),
        tasks=tuple(_task_from(t) for t in upgraded["tasks"]),
        history=tuple(_entry_from(h) for h in upgraded["history"]),
        visited=tuple(upgraded["visited"]),
        chosen=tuple((k, tuple(v)) for k, v in upgraded["chosen"].items()),
    )


def _task_from(data: Mapping[str, Any]) -> Task:
    created = _parse_time(data["created_at"])
    assert created is not None
    return Task(
        id=data["id"],
        node=data["node"],
        assignee=data["assignee"],
        state=TaskState(data["state"]),
        created_at=created,
        origin=TaskOrigin(data["origin"]),
        required=data["required"],
        waiting_for=data.get("waiting_for"),
        previous=data.get("previous"),
        decided_at=_parse_time(data.get("decided_at")),
    )


def _entry_from(data: Mapping[str, Any]) -> HistoryEntry:
    at = _parse_time(data["at"])
    assert at is not None
    return HistoryEntry(
        at=at,
        actor=data["actor"],
        entry=Entry(data["entry"]),
        node=data.get("node"),
        task=data.get("task"),
        comment=data.get("comment"),
        detail=data.get("detail"),
    )
