"""The flow definition: :class:`FlowSpec` and its nodes, as frozen values.

A flow is the DingTalk / Jiandaoyun approval tree admins know: a sequence of nodes
between an implicit start and end. Approval, handler and cc nodes hold approver
rules; condition and parallel nodes hold branches, each a sequence of nodes again.
Node ids are unique in the whole tree, so a node id is enough to find a node, and
:class:`FlowIndex` (built once per spec) answers "where is it and what follows it".

Specs are built from checked JSON by :func:`engine.flows.reading.load_flow`; this
module only holds the values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

ROOT = ""  # the key of the top-level sequence


class NodeKind(Enum):
    APPROVAL = "approval"
    HANDLER = "handler"  # 办理: the actors fill the fields the node lets them edit
    CC = "cc"  # 抄送: notify, never blocks
    CONDITION = "condition"  # first matching branch wins; an otherwise branch is required
    PARALLEL = "parallel"  # every branch must finish


class Mode(Enum):
    """How the approvers of one node decide."""

    SEQUENTIAL = "sequential"  # 依次: one after another, in order
    ALL = "all"  # 会签: everyone must approve; one reject rejects
    ANY = "any"  # 或签: the first decision decides; the others' tasks are cancelled


class ApproverKind(Enum):
    USER = "user"
    ROLE = "role"
    DEPT_HEAD = "dept_head"
    FIELD = "field"
    SUBMITTER_CHOICE = "submitter_choice"
    PLUGIN = "plugin"


class EmptyPolicy(Enum):
    """What happens when a node's approvers resolve to nobody."""

    AUTO_PASS = "auto_pass"
    TO_ADMIN = "to_admin"
    BLOCK = "block"


class TimeoutAction(Enum):
    REMIND = "remind"
    AUTO_APPROVE = "auto_approve"
    AUTO_REJECT = "auto_reject"
    ESCALATE = "escalate"  # hand the task to the assignee's department head


class Permission(Enum):
    HIDDEN = "hidden"
    READ = "read"
    EDIT = "edit"


class WithdrawPolicy(Enum):
    BEFORE_ANY_ACTION = "before_any_action"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Labels:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Approver:
    """One approver rule; which fields matter depends on ``kind``."""

    kind: ApproverKind
    users: tuple[str, ...] = ()  # USER
    role: str | None = None  # ROLE
    levels: int = 1  # DEPT_HEAD: 1 = the submitter's own head
    field: str | None = None  # FIELD: a member field of the form
    name: str | None = None  # PLUGIN: the resolver's registered name


@dataclass(frozen=True, slots=True)
class Timeout:
    after: timedelta
    action: TimeoutAction


@dataclass(frozen=True, slots=True)
class TaskNode:
    """An approval or handler node: tasks for people, decided in ``mode``.

    ``return_to`` lists the earlier nodes a rejecting approver may send the flow
    back to; ``None`` means any earlier task node the instance visited.
    ``empty_policy`` ``None`` means the flow's default.
    """

    id: str
    kind: NodeKind
    labels: Labels
    approvers: tuple[Approver, ...]
    mode: Mode = Mode.SEQUENTIAL
    empty_policy: EmptyPolicy | None = None
    timeout: Timeout | None = None
    permissions: Mapping[str, Permission] = field(default_factory=dict)
    return_to: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class CcNode:
    id: str
    labels: Labels
    approvers: tuple[Approver, ...]
    permissions: Mapping[str, Permission] = field(default_factory=dict)

    @property
    def kind(self) -> NodeKind:
        return NodeKind.CC


@dataclass(frozen=True, slots=True)
class Branch:
    """One branch: a condition (``None`` for ``otherwise`` and parallel branches)."""

    labels: Labels
    nodes: tuple[Node, ...]
    condition: str | None = None
    otherwise: bool = False


@dataclass(frozen=True, slots=True)
class BranchNode:
    """A condition or parallel node."""

    id: str
    kind: NodeKind
    labels: Labels
    branches: tuple[Branch, ...]


Node = TaskNode | CcNode | BranchNode


@dataclass(frozen=True, slots=True)
class Settings:
    withdraw: WithdrawPolicy = WithdrawPolicy.BEFORE_ANY_ACTION
    auto_approve_same_approver: bool = False
    empty_policy: EmptyPolicy = EmptyPolicy.AUTO_PASS


@dataclass(frozen=True, slots=True)
class Place:
    """Where a node sits: in sequence ``seq`` at ``index``."""

    seq: str
    index: int


@dataclass(frozen=True, slots=True)
class FlowIndex:
    """Lookups over the tree, built once: nodes by id, sequences by key.

    A branch's sequence key is ``"<node id>[<branch index>]"``; the top level is
    :data:`ROOT`. ``owner`` maps a branch sequence to its condition/parallel node.
    """

    nodes: Mapping[str, Node]
    places: Mapping[str, Place]
    sequences: Mapping[str, tuple[Node, ...]]
    owner: Mapping[str, str]

    def path(self, node_id: str) -> tuple[Place, ...]:
        """The places from the root down to ``node_id`` (inclusive)."""
        out: list[Place] = []
        place: Place | None = self.places[node_id]
        while place is not None:
            out.append(place)
            owner = self.owner.get(place.seq)
            place = self.places[owner] if owner is not None else None
        return tuple(reversed(out))

    def is_earlier(self, target: str, node_id: str) -> bool:
        """``target`` comes before ``node_id`` in a sequence that leads to ``node_id``."""
        spot = self.places.get(target)
        return spot is not None and any(
            p.seq == spot.seq and p.index > spot.index for p in self.path(node_id)
        )

    def is_after(self, node_id: str, seq: str, index: int) -> bool:
        """``node_id`` lies in ``seq`` at ``index`` or later (directly or inside a branch)."""
        return any(p.seq == seq and p.index >= index for p in self.path(node_id))

    def inside(self, node_id: str, owner: str) -> bool:
        """``node_id`` lies within a branch of ``owner``."""
        return any(self.owner.get(p.seq) == owner for p in self.path(node_id))


def build_index(root: tuple[Node, ...]) -> FlowIndex:
    nodes: dict[str, Node] = {}
    places: dict[str, Place] = {}
    sequences: dict[str, tuple[Node, ...]] = {}
    owner: dict[str, str] = {}

    def visit(seq: str, members: tuple[Node, ...]) -> None:
        sequences[seq] = members
        for index, node in enumerate(members):
            nodes[node.id] = node
            places[node.id] = Place(seq, index)
            if isinstance(node, BranchNode):
                for number, branch in enumerate(node.branches):
                    key = f"{node.id}[{number}]"
                    owner[key] = node.id
                    visit(key, branch.nodes)

    visit(ROOT, root)
    return FlowIndex(nodes, places, sequences, owner)


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A published flow: key, version, labels, settings and the node tree."""

    key: str
    version: int
    labels: Labels
    settings: Settings
    nodes: tuple[Node, ...]
    index: FlowIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", build_index(self.nodes))

    def node(self, node_id: str) -> Node:
        return self.index.nodes[node_id]

    def task_node(self, node_id: str) -> TaskNode | None:
        node = self.index.nodes.get(node_id)
        return node if isinstance(node, TaskNode) else None

    def walk(self) -> Iterator[Node]:
        """Every node, in document order."""
        return iter(self.index.nodes.values())


@dataclass(frozen=True, slots=True)
class SpecRef:
    """How an instance names its definition: never a copy of it."""

    key: str
    version: int
