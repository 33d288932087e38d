"""The pure step function: :func:`start` and :func:`advance`.

Both take values and return a :class:`~engine.flows.outcomes.Step`: the new
instance, the effects for the services layer to apply, and the events for the
rules. They never raise on a user's mistake and never do I/O; conditions and
approvers come in through the :mod:`engine.flows.resolvers` protocols.

``advance`` looks the action up in :data:`~engine.flows.transitions.TRANSITIONS`
(status × the actor's task state × action), checks who may take it and the
node's field permissions, then runs its handler from :mod:`engine.flows.actions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.errors import Source, problem
from engine.flows.actions import HANDLERS
from engine.flows.instance import Entry, FlowInstance, FlowStatus, Task, TaskState
from engine.flows.outcomes import EventName, Refusal, Step
from engine.flows.permissions import check_field_edits
from engine.flows.resolvers import ApproverResolver, ConditionEvaluator
from engine.flows.run import Context, Refused, Run
from engine.flows.spec import ROOT, ApproverKind, BranchNode, FlowSpec, SpecRef
from engine.flows.transitions import Action, ActionKind, Transition, Who, transition
from engine.flows.walk import bubble, walk

__all__ = ["advance", "start"]


def start(
    spec: FlowSpec,
    document: Mapping[str, Any],
    submitter: str,
    now: datetime,
    resolver: ApproverResolver,
    conditions: ConditionEvaluator,
    chosen: Mapping[str, Sequence[str]] | None = None,
) -> Step:
    """Submit a document: enter the tree from the top until nodes wait for people.

    ``chosen`` holds the approvers the submitter picked for ``submitter_choice``
    nodes, by node id.
    """
    picked = tuple((node, tuple(users)) for node, users in (chosen or {}).items())
    instance = FlowInstance(
        SpecRef(spec.key, spec.version), submitter, FlowStatus.RUNNING, now, chosen=picked
    )

    def body(run: Run) -> None:
        _check_chosen(run, spec, picked)
        run.log(Entry.SUBMITTED)
        run.emit(EventName.SUBMITTED)
        if walk(run, ROOT, 0):
            bubble(run, ROOT)

    ctx = Context(spec, resolver, conditions, document, submitter, now)
    return _run(ctx, instance, body, refused=None)


def advance(
    spec: FlowSpec,
    instance: FlowInstance,
    action: Action,
    actor: str,
    now: datetime,
    resolver: ApproverResolver,
    conditions: ConditionEvaluator,
    document: Mapping[str, Any],
    *,
    overseer: bool = False,
) -> Step:
    """Apply one action by ``actor`` at ``now``; a refusal leaves ``instance`` as it was.

    ``overseer``: the services found that ``actor`` may act for the document's form
    (its ``act`` roles): they may cancel, remind and comment like an admin."""
    assert instance.spec == SpecRef(spec.key, spec.version), "step with the instance's own spec"

    def body(run: Run) -> None:
        task = _find_task(run, instance, action, actor)
        state = task.state if task is not None and action.kind.on_task else None
        rule = transition(instance.status, state, action.kind)
        if isinstance(rule, Refusal):
            run.refuse(rule, rule.problem(Source(node=task.node if task else None)))
        _check_who(run, rule, task)
        if action.fields and task is not None:
            problems = check_field_edits(spec, task.node, action.fields)
            if problems:
                run.refuse(Refusal.FIELD_NOT_EDITABLE, *problems)
        HANDLERS[action.kind](run, task, action)

    ctx = Context(spec, resolver, conditions, document, actor, now, overseer)
    return _run(ctx, instance, body, refused=instance)


def _run(
    ctx: Context, instance: FlowInstance, body: Callable[[Run], None], refused: FlowInstance | None
) -> Step:
    run = Run(ctx, instance)
    try:
        body(run)
    except Refused as refusal:
        return Step(refused, refusal=refusal.refusal, problems=refusal.problems)
    return Step(run.freeze(), tuple(run.effects), tuple(run.events))


def _check_chosen(run: Run, spec: FlowSpec, picked: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
    for node_id, _users in picked:
        node = spec.index.nodes.get(node_id)
        choosable = node is not None and not isinstance(node, BranchNode) and any(
            a.kind is ApproverKind.SUBMITTER_CHOICE for a in node.approvers
        )
        if not choosable:
            run.refuse(Refusal.BAD_CHOICE, problem(
                Refusal.BAD_CHOICE.code,
                f"Node '{node_id}' does not let the submitter choose approvers: "
                "remove the choice",
                f"节点 '{node_id}' 不允许提交人自选审批人：请去掉该选择",
                path=f"chosen.{node_id}", node=node_id))  # fmt: skip


def _find_task(run: Run, instance: FlowInstance, action: Action, actor: str) -> Task | None:
    """The task an action is about: the named one, else the actor's open (or last) task."""
    if action.task is not None:
        task = instance.task(action.task)
        if task is None:
            run.refuse(Refusal.UNKNOWN_TASK, Refusal.UNKNOWN_TASK.problem(detail=action.task))
        return task
    if not action.kind.on_task or action.kind is ActionKind.TIMEOUT:
        return None
    mine = [t for t in instance.tasks if t.assignee == actor]
    order = (TaskState.PENDING, TaskState.WAITING)
    for state in order:
        found = next((t for t in mine if t.state is state), None)
        if found is not None:
            return found
    return mine[-1] if mine else None  # decided: a double click is ``already_decided``


REFUSALS = {
    Who.ASSIGNEE: Refusal.NOT_YOUR_TASK,
    Who.SUBMITTER: Refusal.NOT_SUBMITTER,
    Who.OVERSEER: Refusal.NOT_ADMIN,
    Who.INVOLVED: Refusal.NOT_INVOLVED,
}


def _check_who(run: Run, rule: Transition, task: Task | None) -> None:
    if rule.who is Who.TIMER or _may(run, rule.who, task):
        return
    if not (rule.overseer and _may(run, Who.OVERSEER, task)):
        run.refuse(REFUSALS[rule.who])


def _may(run: Run, who: Who, task: Task | None) -> bool:
    actor = run.ctx.actor
    if who is Who.ASSIGNEE:
        return task is not None and task.assignee == actor
    if who is Who.SUBMITTER:
        return actor == run.base.submitter
    if who is Who.OVERSEER:
        return run.ctx.overseer or actor in run.ctx.resolver.admins()
    return _involved(run, actor)


def _involved(run: Run, actor: str) -> bool:
    base = run.base
    return (
        actor == base.submitter
        or any(t.assignee == actor for t in base.tasks)
        or any(h.entry is Entry.CC and actor in (h.detail or "").split(",") for h in base.history)
        or actor in run.ctx.resolver.admins()
    )
