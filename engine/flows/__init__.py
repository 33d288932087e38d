"""Flow definitions (FlowSpec), flow instances and the pure step function.

The approval tree admins know from DingTalk and Jiandaoyun (not BPMN): approval,
handler, cc, condition and parallel nodes between an implicit start and end.
Pure: takes values, returns values; imports nothing from Flask, SQLAlchemy, RQ,
Redis, ``engine.store``, ``engine.services``, ``engine.forms`` or ``engine.rules``
(conditions and approvers come in through protocols). Modules:

* ``spec`` — :class:`FlowSpec`, nodes, approver rules, enums, the tree index;
* ``flow.schema.json``, ``validation``, ``building``, ``loading`` — the JSON format:
  schema + semantic checks returning Problems with JSON paths, then the spec;
* ``migrations`` — ``schema_version`` upgrades, one named function per change;
* ``instance`` — :class:`FlowInstance` (the running state) and its JSON;
* ``transitions`` — actions and the one table of legal transitions;
* ``outcomes`` — effects, events, named refusals and :class:`Step`;
* ``resolvers`` — the ConditionEvaluator / ApproverResolver protocols, in-memory versions;
* ``run``, ``walk``, ``actions``, ``step`` — :func:`start` and :func:`advance`;
* ``permissions`` — field permissions per node;
* ``invariants`` — what every returned instance satisfies, as named checks.

See docs/flows.md.
"""

from engine.flows.instance import (
    FlowInstance,
    FlowStatus,
    Task,
    TaskState,
    instance_from_json,
    instance_to_json,
)
from engine.flows.loading import Loaded, load_flow
from engine.flows.outcomes import Event, Refusal, Step
from engine.flows.permissions import check_field_edits, visible_fields
from engine.flows.resolvers import (
    ApproverResolver,
    ConditionEvaluator,
    StaticConditions,
    StaticResolver,
)
from engine.flows.spec import FlowSpec, SpecRef
from engine.flows.step import advance, start
from engine.flows.transitions import Action, ActionKind

__all__ = [
    "Action",
    "ActionKind",
    "ApproverResolver",
    "ConditionEvaluator",
    "Event",
    "FlowInstance",
    "FlowSpec",
    "FlowStatus",
    "Loaded",
    "Refusal",
    "SpecRef",
    "StaticConditions",
    "StaticResolver",
    "Step",
    "Task",
    "TaskState",
    "advance",
    "check_field_edits",
    "instance_from_json",
    "instance_to_json",
    "load_flow",
    "start",
    "visible_fields",
]
