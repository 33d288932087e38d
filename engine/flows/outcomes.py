"""What a step returns: the new instance, effects to apply, events for the rules.

Effects are values the services layer carries out in the same transaction
(create and cancel task rows, write notifications to the outbox, schedule or
cancel durable timers). Events are what rules bind to: ``submitted``,
``approved_at:<node>``, ``approved``, ``rejected_at:<node>``, ``rejected``,
``withdrawn``, ``cancelled``, ``timed_out_at:<node>``.

A user mistake is never an exception: the step is a :class:`Step` whose
``refusal`` is a :class:`Refusal` code and whose ``problems`` say what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from engine.errors import Message, Problem, Source
from engine.flows.instance import FlowInstance
from engine.flows.spec import TimeoutAction


class NotifyKind(Enum):
    TASK = "task"  # you have a new task
    CC = "cc"
    REMIND = "remind"
    TIMEOUT = "timeout"  # a task is overdue (the remind timeout action)
    RESULT = "result"  # the submitter learns the outcome


@dataclass(frozen=True, slots=True)
class CreateTask:
    task: str
    node: str
    assignee: str


@dataclass(frozen=True, slots=True)
class CancelTask:
    task: str
    node: str
    assignee: str


@dataclass(frozen=True, slots=True)
class Notify:
    kind: NotifyKind
    users: tuple[str, ...]
    node: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleTimer:
    node: str
    task: str
    due_at: datetime
    action: TimeoutAction


@dataclass(frozen=True, slots=True)
class CancelTimers:
    node: str


Effect = CreateTask | CancelTask | Notify | ScheduleTimer | CancelTimers


def effect_json(effect: Effect) -> dict[str, Any]:
    """A plain-JSON view of an effect (for golden traces, logs and the outbox)."""
    if isinstance(effect, CreateTask | CancelTask):
        kind = "create_task" if isinstance(effect, CreateTask) else "cancel_task"
        return {"effect": kind, "task": effect.task, "node": effect.node, "assignee": effect.assignee}
    if isinstance(effect, Notify):
        return {"effect": "notify", "kind": effect.kind.value, "users": list(effect.users),
                "node": effect.node}  # fmt: skip
    if isinstance(effect, ScheduleTimer):
        return {"effect": "schedule_timer", "node": effect.node, "task": effect.task,
                "due_at": effect.due_at.isoformat(), "action": effect.action.value}  # fmt: skip
    return {"effect": "cancel_timers", "node": effect.node}


class EventName(Enum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, slots=True)
class Event:
    """A document event; with ``node`` it is the node-level form (``approved_at:x``)."""

    name: EventName
    node: str | None = None

    def __str__(self) -> str:
        return self.name.value if self.node is None else f"{self.name.value}_at:{self.node}"


class Refusal(Enum):
    """Every reason a step can be refused. The value is the stable code's tail."""

    NOT_RUNNING = "not_running"
    NOT_APPROVED = "not_approved"
    NOT_YOUR_TASK = "not_your_task"
    ALREADY_DECIDED = "already_decided"
    TASK_WAITING = "task_waiting"
    UNKNOWN_TASK = "unknown_task"
    NOT_SUBMITTER = "not_submitter"
    NOT_ADMIN = "not_admin"
    NOT_INVOLVED = "not_involved"
    WITHDRAW_NOT_ALLOWED = "withdraw_not_allowed"
    RETURN_NOT_ALLOWED = "return_not_allowed"
    BAD_TARGET = "bad_target"
    FIELD_NOT_EDITABLE = "field_not_editable"
    NO_APPROVERS = "no_approvers"
    BAD_CHOICE = "bad_choice"
    CONDITION_FAILED = "condition_failed"
    RESOLVER_FAILED = "resolver_failed"

    @property
    def code(self) -> str:
        return f"flows.{self.value}"

    @property
    def message(self) -> Message:
        return MESSAGES[self]

    def problem(self, source: Source | None = None, detail: str | None = None) -> Problem:
        message = self.message
        if detail:
            message = Message(f"{message.en} ({detail})", f"{message.zh}（{detail}）")
        return Problem(self.code, message, source or Source())


MESSAGES: Mapping[Refusal, Message] = MappingProxyType(
    {
        Refusal.NOT_RUNNING: Message(
            "The flow has already ended: nothing is waiting for a decision",
            "流程已结束：没有待处理的审批"),
        Refusal.NOT_APPROVED: Message(
            "Only an approved document can be cancelled", "只有已通过的单据才能作废"),
        Refusal.NOT_YOUR_TASK: Message(
            "You have no open task here: only its assignee can act on it",
            "您在此没有待办任务：只有任务的处理人可以操作"),
        Refusal.ALREADY_DECIDED: Message(
            "This task has already been decided", "该任务已处理"),
        Refusal.TASK_WAITING: Message(
            "This task waits for the approver you added before you: wait for their decision",
            "该任务正在等待您前加签的审批人：请等待其处理"),
        Refusal.UNKNOWN_TASK: Message("There is no such task in this flow", "该流程中没有此任务"),
        Refusal.NOT_SUBMITTER: Message(
            "Only the submitter can do this", "只有提交人可以执行此操作"),
        Refusal.NOT_ADMIN: Message(
            "Only an administrator, or a role the form lets act, can cancel an approved "
            "document", "只有管理员或表单允许操作的角色可以作废已通过的单据"),
        Refusal.NOT_INVOLVED: Message(
            "Only the submitter, the people with tasks or copies, and administrators can "
            "comment", "只有提交人、审批及抄送相关人员和管理员可以评论"),
        Refusal.WITHDRAW_NOT_ALLOWED: Message(
            "This flow does not allow withdrawing now: ask an approver to reject it instead",
            "该流程当前不允许撤回：请联系审批人驳回"),
        Refusal.RETURN_NOT_ALLOWED: Message(
            "The flow cannot be returned to that node: pick an earlier node it passed",
            "不能退回到该节点：请选择流程已经过的之前节点"),
        Refusal.BAD_TARGET: Message(
            "Choose another person: not yourself, nobody, or someone already on this node",
            "请选择其他人：不能是自己、空，或已在此节点的人"),
        Refusal.FIELD_NOT_EDITABLE: Message(
            "Some fields may not be edited at this node", "部分字段在此节点不可编辑"),
        Refusal.NO_APPROVERS: Message(
            "A node has no approvers: add a role or a user", "节点没有审批人：请添加角色或用户"),
        Refusal.BAD_CHOICE: Message(
            "Approvers were chosen for a node that does not let the submitter choose",
            "为不允许提交人自选的节点选择了审批人"),
        Refusal.CONDITION_FAILED: Message(
            "A branch condition could not be evaluated: fix the condition or the document",
            "分支条件无法计算：请修正条件或单据内容"),
        Refusal.RESOLVER_FAILED: Message(
            "Approvers could not be resolved: check the approver settings or the plugin",
            "无法确定审批人：请检查审批人设置或插件"),
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    """The result of :func:`~engine.flows.step.start` or :func:`~engine.flows.step.advance`.

    On success ``refusal`` is ``None``. On refusal the instance is the one given
    (unchanged; ``None`` when ``start`` is refused), effects and events are empty
    and ``problems`` explain the refusal.
    """

    instance: FlowInstance | None
    effects: tuple[Effect, ...] = ()
    events: tuple[Event, ...] = ()
    refusal: Refusal | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def code(self) -> str | None:
        return self.refusal.code if self.refusal else None
