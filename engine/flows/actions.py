"""What each legal action does, once :mod:`engine.flows.transitions` allowed it.

Every handler takes the :class:`~engine.flows.run.Run`, the acting task (``None``
for actions that are not about a task) and the :class:`Action`, and changes the
run. Handlers refuse only for reasons the table cannot see: a bad transfer
target, a return target that is not an earlier visited node, the withdraw policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType

from engine.errors import Source
from engine.flows.instance import Entry, FlowStatus, Task, TaskOrigin, TaskState
from engine.flows.outcomes import EventName, Notify, NotifyKind, Refusal
from engine.flows.run import Run
from engine.flows.spec import TaskNode, TimeoutAction, WithdrawPolicy
from engine.flows.transitions import Action, ActionKind
from engine.flows.walk import continue_after, end_flow, finish_node, return_to, settle

Handler = Callable[[Run, Task | None, Action], None]

ACTED = frozenset(
    {
        Entry.APPROVED,
        Entry.REJECTED,
        Entry.RETURNED,
        Entry.TRANSFERRED,
        Entry.ADDED_BEFORE,
        Entry.ADDED_AFTER,
        Entry.ESCALATED,
    }
)


def _node(run: Run, task: Task | None) -> TaskNode:
    assert task is not None, "the table only routes task actions here with a task"
    node = run.spec.task_node(task.node)
    assert node is not None
    return node


def _after_decision(run: Run, node: TaskNode) -> None:
    if settle(run, node):
        finish_node(run, node.id)
        continue_after(run, node.id)


def approve(run: Run, task: Task | None, action: Action) -> None:
    node = _node(run, task)
    assert task is not None
    run.decide(task, TaskState.APPROVED)
    run.log(Entry.APPROVED, node.id, task=task.id, comment=action.comment)
    _after_decision(run, node)


def reject(run: Run, task: Task | None, action: Action) -> None:
    node = _node(run, task)
    assert task is not None
    if action.return_to is not None:
        _check_return(run, node, action.return_to)
    run.decide(task, TaskState.REJECTED)
    run.emit(EventName.REJECTED, node.id)
    if action.return_to is None:
        run.log(Entry.REJECTED, node.id, task=task.id, comment=action.comment)
        end_flow(run, FlowStatus.REJECTED, EventName.REJECTED)
        return
    run.log(Entry.RETURNED, node.id, task=task.id, comment=action.comment, detail=action.return_to)
    return_to(run, action.return_to)


def _check_return(run: Run, node: TaskNode, target: str) -> None:
    allowed = (
        run.spec.task_node(target) is not None
        and target in run.visited
        and run.spec.index.is_earlier(target, node.id)
        and (node.return_to is None or target in node.return_to)
    )
    if not allowed:
        run.refuse(Refusal.RETURN_NOT_ALLOWED, Refusal.RETURN_NOT_ALLOWED.problem(
            Source(node=node.id), f"return_to={target}"))  # fmt: skip


def _check_target(run: Run, node: TaskNode, target: str | None) -> str:
    holders = {t.assignee for t in run.node_tasks(node.id) if t.state.open}
    if not target or target == run.ctx.actor or target in holders:
        run.refuse(Refusal.BAD_TARGET, Refusal.BAD_TARGET.problem(
            Source(node=node.id), f"target={target!r}"))  # fmt: skip
    return target


def transfer(run: Run, task: Task | None, action: Action) -> None:
    node = _node(run, task)
    assert task is not None
    target = _check_target(run, node, action.target)
    _hand_over(run, node, task, target, TaskOrigin.TRANSFER)
    run.log(Entry.TRANSFERRED, node.id, task=task.id, comment=action.comment, detail=target)


def _hand_over(run: Run, node: TaskNode, task: Task, target: str, origin: TaskOrigin) -> None:
    run.decide(task, TaskState.TRANSFERRED)
    new = run.create_task(node, target, origin, required=task.required, previous=task.id)
    run.repoint(task.id, new.id)


def add_before(run: Run, task: Task | None, action: Action) -> None:
    node = _node(run, task)
    assert task is not None
    target = _check_target(run, node, action.target)
    added = run.create_task(node, target, TaskOrigin.ADDED_BEFORE, previous=task.id)
    run.tasks[task.id] = replace(task, state=TaskState.WAITING, waiting_for=added.id)
    run.log(Entry.ADDED_BEFORE, node.id, task=task.id, comment=action.comment, detail=target)


def add_after(run: Run, task: Task | None, action: Action) -> None:
    node = _node(run, task)
    assert task is not None
    target = _check_target(run, node, action.target)
    run.decide(task, TaskState.APPROVED)
    run.create_task(node, target, TaskOrigin.ADDED_AFTER, previous=task.id)
    run.log(Entry.ADDED_AFTER, node.id, task=task.id, comment=action.comment, detail=target)
    _after_decision(run, node)


def withdraw(run: Run, task: Task | None, action: Action) -> None:
    policy = run.spec.settings.withdraw
    acted = any(entry.entry in ACTED for entry in run.history)
    if policy is WithdrawPolicy.NEVER or (policy is WithdrawPolicy.BEFORE_ANY_ACTION and acted):
        run.refuse(Refusal.WITHDRAW_NOT_ALLOWED, Refusal.WITHDRAW_NOT_ALLOWED.problem(
            detail=f"withdraw={policy.value}"))  # fmt: skip
    run.log(Entry.WITHDRAWN, comment=action.comment)
    end_flow(run, FlowStatus.WITHDRAWN, EventName.WITHDRAWN)


def remind(run: Run, task: Task | None, action: Action) -> None:
    for node_id in run.positions:
        users = tuple(t.assignee for t in run.node_tasks(node_id) if t.state is TaskState.PENDING)
        if users:
            run.effects.append(Notify(NotifyKind.REMIND, users, node_id))
    run.log(Entry.REMINDED, comment=action.comment)


def comment(run: Run, task: Task | None, action: Action) -> None:
    run.log(Entry.COMMENTED, task.node if task else None, comment=action.comment)


def cancel(run: Run, task: Task | None, action: Action) -> None:
    run.log(Entry.CANCELLED, comment=action.comment)
    run.finish(FlowStatus.CANCELLED)
    run.emit(EventName.CANCELLED)


def timeout(run: Run, task: Task | None, action: Action) -> None:
    """Apply the node's timeout action (remind when the node has none)."""
    node = _node(run, task)
    assert task is not None
    what = node.timeout.action if node.timeout else TimeoutAction.REMIND
    run.log(Entry.TIMED_OUT, node.id, task=task.id, detail=what.value)
    run.emit(EventName.TIMED_OUT, node.id)
    if what is TimeoutAction.AUTO_APPROVE:
        approve(run, task, replace(action, comment=action.comment or "timeout"))
    elif what is TimeoutAction.AUTO_REJECT:
        reject(run, task, replace(action, comment=action.comment or "timeout", return_to=None))
    elif what is TimeoutAction.ESCALATE and (head := _head(run, node, task)):
        _hand_over(run, node, task, head, TaskOrigin.ESCALATED)
        run.log(Entry.ESCALATED, node.id, task=task.id, detail=head)
    else:  # remind, or escalate with nobody above
        run.effects.append(Notify(NotifyKind.TIMEOUT, (task.assignee,), node.id))


def _head(run: Run, node: TaskNode, task: Task) -> str | None:
    """Who an overdue task escalates to: the assignee's head, else an admin."""
    holders = {t.assignee for t in run.node_tasks(node.id) if t.state.open}
    resolver = run.ctx.resolver
    for user in [*resolver.department_heads(task.assignee, 1), *resolver.admins()]:
        if user not in holders:
            return user
    return None


HANDLERS: Mapping[ActionKind, Handler] = MappingProxyType(
    {
        ActionKind.APPROVE: approve,
        ActionKind.REJECT: reject,
        ActionKind.TRANSFER: transfer,
        ActionKind.ADD_BEFORE: add_before,
        ActionKind.ADD_AFTER: add_after,
        ActionKind.WITHDRAW: withdraw,
        ActionKind.REMIND: remind,
        ActionKind.COMMENT: comment,
        ActionKind.TIMEOUT: timeout,
        ActionKind.CANCEL: cancel,
    }
)

assert set(HANDLERS) == set(ActionKind), "every action has a handler"
