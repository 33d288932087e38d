"""Actions and the one table of legal transitions.

:data:`TRANSITIONS` maps ``(flow status, state of the actor's task, action)`` to a
:class:`Transition`: who may do it and the state the acting task moves to.
``None`` as task state means the action is not about a task (withdraw, remind,
comment, cancel). An **overseer** is a tenant admin, or an actor the services say may
act for the document's form (its access setting's ``act`` roles): they may cancel, and
also remind and comment on documents they are not otherwise involved in. Anything not
in the table is refused by :func:`refusal_for` with a named
:class:`~engine.flows.outcomes.Refusal`; the step function never decides legality
anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

from engine.flows.instance import FlowStatus, TaskState
from engine.flows.outcomes import Refusal


class ActionKind(Enum):
    APPROVE = "approve"
    REJECT = "reject"  # ends the flow, or returns it to an earlier node (``return_to``)
    TRANSFER = "transfer"  # 转交
    ADD_BEFORE = "add_before"  # 前加签: the added person decides first, then me
    ADD_AFTER = "add_after"  # 后加签: I approve; the added person must approve too
    WITHDRAW = "withdraw"
    REMIND = "remind"
    COMMENT = "comment"
    TIMEOUT = "timeout"  # fired by a durable timer; applies the node's timeout action
    CANCEL = "cancel"  # an overseer cancels an approved document

    @property
    def on_task(self) -> bool:
        return self in TASK_ACTIONS


TASK_ACTIONS = frozenset(
    {
        ActionKind.APPROVE,
        ActionKind.REJECT,
        ActionKind.TRANSFER,
        ActionKind.ADD_BEFORE,
        ActionKind.ADD_AFTER,
        ActionKind.TIMEOUT,
    }
)


@dataclass(frozen=True, slots=True)
class Action:
    """One thing someone (or a timer) does to an instance.

    ``task`` picks the task; without it the actor's open task is used.
    ``target`` is the user to transfer to or to add; ``return_to`` the earlier
    node a reject sends the flow back to; ``fields`` the form fields the actor
    changed (checked against the node's field permissions).
    """

    kind: ActionKind
    task: str | None = None
    comment: str | None = None
    target: str | None = None
    return_to: str | None = None
    fields: tuple[str, ...] = ()


def action_from_json(data: Mapping[str, Any]) -> Action:
    """``{"action": "add_approver", "position": "before", "target": "li"}`` and friends."""
    name = data["action"]
    if name == "add_approver":
        name = "add_before" if data.get("position") == "before" else "add_after"
    return Action(
        kind=ActionKind(name),
        task=data.get("task"),
        comment=data.get("comment"),
        target=data.get("target"),
        return_to=data.get("return_to"),
        fields=tuple(data.get("fields", ())),
    )


class Who(Enum):
    """Who may take a transition."""

    ASSIGNEE = "assignee"  # the holder of the task
    SUBMITTER = "submitter"
    OVERSEER = "overseer"  # one of ``resolver.admins()``, or ``Context.overseer``
    INVOLVED = "involved"  # the submitter, anyone who held a task, anyone cc'd
    TIMER = "timer"  # the durable-timer tick; services never expose it to users


@dataclass(frozen=True, slots=True)
class Transition:
    who: Who
    task_to: TaskState | None = None  # None: the task keeps its state or the node decides
    overseer: bool = False  # an overseer may take it too

    @property
    def label(self) -> str:
        """Who may take it, as docs/flows.md's transition table says."""
        return f"{self.who.value} or overseer" if self.overseer else self.who.value


_RUN, _PENDING = FlowStatus.RUNNING, TaskState.PENDING

TRANSITIONS: Mapping[tuple[FlowStatus, TaskState | None, ActionKind], Transition] = (
    MappingProxyType(
        {
            (_RUN, _PENDING, ActionKind.APPROVE): Transition(Who.ASSIGNEE, TaskState.APPROVED),
            (_RUN, _PENDING, ActionKind.REJECT): Transition(Who.ASSIGNEE, TaskState.REJECTED),
            (_RUN, _PENDING, ActionKind.TRANSFER): Transition(Who.ASSIGNEE, TaskState.TRANSFERRED),
            (_RUN, _PENDING, ActionKind.ADD_BEFORE): Transition(Who.ASSIGNEE, TaskState.WAITING),
            (_RUN, _PENDING, ActionKind.ADD_AFTER): Transition(Who.ASSIGNEE, TaskState.APPROVED),
            (_RUN, _PENDING, ActionKind.TIMEOUT): Transition(Who.TIMER),
            (_RUN, None, ActionKind.WITHDRAW): Transition(Who.SUBMITTER),
            (_RUN, None, ActionKind.REMIND): Transition(Who.SUBMITTER, overseer=True),
            (FlowStatus.APPROVED, None, ActionKind.CANCEL): Transition(Who.OVERSEER),
            **{
                (status, None, ActionKind.COMMENT): Transition(Who.INVOLVED, overseer=True)
                for status in FlowStatus
            },
        }
    )
)


def transition(
    status: FlowStatus, task_state: TaskState | None, kind: ActionKind
) -> Transition | Refusal:
    """The legal transition, or the refusal that names why there is none."""
    found = TRANSITIONS.get((status, task_state, kind))
    return found if found is not None else refusal_for(status, task_state, kind)


def refusal_for(status: FlowStatus, task_state: TaskState | None, kind: ActionKind) -> Refusal:
    if kind is ActionKind.CANCEL:
        return Refusal.NOT_APPROVED
    if status is not FlowStatus.RUNNING:
        return Refusal.NOT_RUNNING
    if task_state is TaskState.WAITING:
        return Refusal.TASK_WAITING
    if task_state is not None:
        return Refusal.ALREADY_DECIDED
    return Refusal.NOT_YOUR_TASK
