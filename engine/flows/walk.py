"""Moving through the tree: entering nodes, settling them, ending the flow.

* :func:`walk` enters the nodes of one sequence from an index until one blocks
  (a task node waiting for people) and says whether it reached the end.
  Entering never bubbles up; only :func:`continue_after` does, via
  :func:`bubble`, so a parallel node entered with a finished branch is not
  mistaken for a finished parallel node.
* :func:`settle` decides whether a task node is done after a task changed, and
  hands out the next sequential task.
* :func:`end_flow` cancels what is open and sets the final status.
"""

from __future__ import annotations

from dataclasses import replace

from engine.errors import Source, problem
from engine.flows.instance import Entry, FlowStatus, Position, TaskOrigin, TaskState
from engine.flows.outcomes import CancelTask, CancelTimers, EventName, Notify, NotifyKind, Refusal
from engine.flows.resolvers import resolve
from engine.flows.run import Run
from engine.flows.spec import (
    ROOT,
    Approver,
    BranchNode,
    CcNode,
    EmptyPolicy,
    Mode,
    Node,
    NodeKind,
    TaskNode,
)


def walk(run: Run, seq: str, index: int) -> bool:
    """Enter ``seq`` from ``index``; True when every node passed through."""
    return all(enter(run, node) for node in run.spec.index.sequences[seq][index:])


def enter(run: Run, node: Node) -> bool:
    run.visited.append(node.id)
    if isinstance(node, TaskNode):
        return _enter_task_node(run, node)
    if isinstance(node, CcNode):
        _enter_cc(run, node)
        return True
    if node.kind is NodeKind.CONDITION:
        return walk(run, f"{node.id}[{_choose_branch(run, node)}]", 0)
    return all([walk(run, f"{node.id}[{i}]", 0) for i in range(len(node.branches))])


def continue_after(run: Run, node_id: str) -> None:
    place = run.spec.index.places[node_id]
    if walk(run, place.seq, place.index + 1):
        bubble(run, place.seq)


def bubble(run: Run, seq: str) -> None:
    """Sequence ``seq`` reached its end: finish the flow or its owner node."""
    if seq == ROOT:
        run.finish(FlowStatus.APPROVED)
        run.emit(EventName.APPROVED)
        return
    owner = run.spec.index.owner[seq]
    if run.spec.node(owner).kind is NodeKind.PARALLEL and any(
        run.spec.index.inside(node, owner) for node in run.positions
    ):
        return  # another branch is still running
    continue_after(run, owner)


def _resolve(run: Run, node_id: str, approvers: tuple[Approver, ...]) -> list[str]:
    ctx = run.ctx
    try:
        return resolve(
            approvers, ctx.resolver, ctx.document, run.base.submitter, run.base.chosen_for(node_id)
        )
    except Exception as error:  # a resolver or plugin failure is the step's refusal
        run.refuse(Refusal.RESOLVER_FAILED, Refusal.RESOLVER_FAILED.problem(
            Source(node=node_id), f"{type(error).__name__}: {error}"))  # fmt: skip


def _enter_cc(run: Run, node: CcNode) -> None:
    users = tuple(_resolve(run, node.id, node.approvers))
    if users:
        run.effects.append(Notify(NotifyKind.CC, users, node.id))
    run.log(Entry.CC, node.id, detail=",".join(users), actor="system")


def _choose_branch(run: Run, node: BranchNode) -> int:
    for number, branch in enumerate(node.branches):
        if branch.otherwise or _holds(run, node, branch.condition or ""):
            run.log(Entry.BRANCH, node.id, detail=str(number), actor="system")
            return number
    run.refuse(Refusal.CONDITION_FAILED, Refusal.CONDITION_FAILED.problem(
        Source(node=node.id), "no branch matched and there is no otherwise branch"))  # fmt: skip


def _holds(run: Run, node: BranchNode, condition: str) -> bool:
    try:
        return bool(run.ctx.conditions(condition, run.ctx.document))
    except Exception as error:  # the evaluator's failure names the node, never crashes
        run.refuse(Refusal.CONDITION_FAILED, Refusal.CONDITION_FAILED.problem(
            Source(node=node.id), f"{condition!r}: {error}"))  # fmt: skip


def _enter_task_node(run: Run, node: TaskNode) -> bool:
    users, origin = _approvers_or_policy(run, node)
    if not users:
        run.log(Entry.SKIPPED, node.id, actor="system")
        run.emit(EventName.APPROVED, node.id)
        return True
    visit = run.visited.count(node.id)
    sequential = node.mode is Mode.SEQUENTIAL
    run.positions[node.id] = Position(node.id, visit, tuple(users[1:]) if sequential else ())
    for user in users[:1] if sequential else users:
        run.create_task(node, user, origin, required=node.mode is not Mode.ANY)
    if settle(run, node):
        finish_node(run, node.id)
        return True
    return False


def _approvers_or_policy(run: Run, node: TaskNode) -> tuple[list[str], TaskOrigin]:
    users = _resolve(run, node.id, node.approvers)
    if users:
        return users, TaskOrigin.RESOLVED
    policy = node.empty_policy or run.spec.settings.empty_policy
    if policy is EmptyPolicy.AUTO_PASS:
        return [], TaskOrigin.RESOLVED
    admins = run.ctx.resolver.admins() if policy is EmptyPolicy.TO_ADMIN else []
    if not admins:
        run.refuse(Refusal.NO_APPROVERS, problem(
            "flows.no_approvers",
            f"Node '{node.id}' has no approvers: add a role or a user",
            f"节点 '{node.id}' 没有审批人：请添加角色或用户",
            node=node.id))  # fmt: skip
    run.log(Entry.TO_ADMIN, node.id, detail=",".join(admins), actor="system")
    return admins, TaskOrigin.ADMIN


def settle(run: Run, node: TaskNode) -> bool:
    """After a task changed: is ``node`` done? Hands out queued sequential tasks."""
    while True:
        tasks = run.node_tasks(node.id)
        if node.mode is Mode.ANY and any(
            t.state is TaskState.APPROVED and not t.required for t in tasks
        ):
            for other in tasks:
                if other.state.open and not other.required:
                    cancel_task(run, other.id)
            tasks = run.node_tasks(node.id)
        if any(t.state.open for t in tasks):
            return False
        position = run.positions[node.id]
        if not position.queue:
            return True
        run.positions[node.id] = replace(position, queue=position.queue[1:])
        run.create_task(node, position.queue[0], TaskOrigin.RESOLVED)


def finish_node(run: Run, node_id: str) -> None:
    """A task node is approved: drop its token, stop its timers, tell the rules."""
    del run.positions[node_id]
    _cancel_timers(run, node_id)
    run.emit(EventName.APPROVED, node_id)


def _cancel_timers(run: Run, node_id: str) -> None:
    node = run.spec.task_node(node_id)
    if node is not None and node.timeout is not None:
        run.effects.append(CancelTimers(node_id))


def cancel_task(run: Run, task_id: str) -> None:
    task = run.tasks[task_id]
    run.tasks[task_id] = replace(task, state=TaskState.CANCELLED, decided_at=run.ctx.now)
    run.effects.append(CancelTask(task.id, task.node, task.assignee))


def drop_positions(run: Run, nodes: list[str]) -> None:
    """Cancel the open tasks and timers of these active nodes and remove their tokens."""
    for node_id in nodes:
        for task in run.node_tasks(node_id):
            if task.state.open:
                cancel_task(run, task.id)
        _cancel_timers(run, node_id)
        del run.positions[node_id]


def end_flow(run: Run, status: FlowStatus, event: EventName) -> None:
    drop_positions(run, list(run.positions))
    run.finish(status)
    run.emit(event)


def return_to(run: Run, target: str) -> None:
    """Send the flow back to ``target``: drop every token after it, enter it again."""
    place = run.spec.index.places[target]
    after = [n for n in run.positions if run.spec.index.is_after(n, place.seq, place.index)]
    drop_positions(run, after)
    if walk(run, place.seq, place.index):
        bubble(run, place.seq)
