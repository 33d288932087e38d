"""The two things the flow engine asks the outside world, as protocols.

* :class:`ConditionEvaluator` — ``(condition_text, document) -> bool``; services
  wire in the rules language. The flow engine never imports ``engine.rules``.
* :class:`ApproverResolver` — who holds a role, who heads the submitter's
  department, who the admins are, which users a member field names, and what a
  plugin resolver answers. Services implement it over the store.

:class:`StaticResolver` and :class:`StaticConditions` are in-memory versions for
tests and examples. :func:`resolve` turns a node's approver rules into usernames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.flows.spec import Approver, ApproverKind


class ConditionEvaluator(Protocol):
    def __call__(self, condition_text: str, document: Mapping[str, Any], /) -> bool: ...


class ApproverResolver(Protocol):
    def users_with_role(self, role: str) -> list[str]: ...

    def department_heads(self, submitter: str, levels: int) -> list[str]: ...

    def admins(self) -> list[str]: ...

    def field_members(self, document: Mapping[str, Any], field: str) -> list[str]: ...

    def plugin(self, name: str, document: Mapping[str, Any], submitter: str) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class StaticResolver:
    """An in-memory :class:`ApproverResolver`.

    ``heads`` maps a user to their department head (``levels`` follows it upwards);
    ``plugins`` maps a plugin name to a function ``(document, submitter) -> users``.
    A member field holds a username or a list of usernames.
    """

    roles: Mapping[str, Sequence[str]] = field(default_factory=dict)
    heads: Mapping[str, str] = field(default_factory=dict)
    admin_users: Sequence[str] = ()
    plugins: Mapping[str, Callable[[Mapping[str, Any], str], list[str]]] = field(
        default_factory=dict
    )

    def users_with_role(self, role: str) -> list[str]:
        return list(self.roles.get(role, ()))

    def department_heads(self, submitter: str, levels: int) -> list[str]:
        head: str | None = submitter
        for _ in range(levels):
            head = self.heads.get(head) if head is not None else None
        return [head] if head is not None else []

    def admins(self) -> list[str]:
        return list(self.admin_users)

    def field_members(self, document: Mapping[str, Any], field: str) -> list[str]:
        value = document.get(field)
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, list | tuple):
            return [v for v in value if isinstance(v, str) and v]
        return []

    def plugin(self, name: str, document: Mapping[str, Any], submitter: str) -> list[str]:
        function = self.plugins.get(name)
        return list(function(document, submitter)) if function else []


@dataclass(frozen=True, slots=True)
class StaticConditions:
    """A :class:`ConditionEvaluator` for tests and examples: condition text → answer.

    A condition without an answer raises ``LookupError``, which the step function
    turns into a ``flows.condition_failed`` refusal, as it would a real evaluator's error.
    """

    answers: Mapping[str, bool] = field(default_factory=dict)

    def __call__(self, condition_text: str, document: Mapping[str, Any], /) -> bool:
        if condition_text not in self.answers:
            raise LookupError(f"no answer for condition {condition_text!r}")
        return self.answers[condition_text]


def resolve(
    approvers: Iterable[Approver],
    resolver: ApproverResolver,
    document: Mapping[str, Any],
    submitter: str,
    chosen: Sequence[str],
) -> list[str]:
    """The usernames a node's approver rules name, in order, without repeats."""
    found: list[str] = []
    for rule in approvers:
        for user in _one(rule, resolver, document, submitter, chosen):
            if user and user not in found:
                found.append(user)
    return found


def _one(
    rule: Approver,
    resolver: ApproverResolver,
    document: Mapping[str, Any],
    submitter: str,
    chosen: Sequence[str],
) -> Sequence[str]:
    match rule.kind:
        case ApproverKind.USER:
            return rule.users
        case ApproverKind.ROLE:
            return resolver.users_with_role(rule.role or "")
        case ApproverKind.DEPT_HEAD:
            return resolver.department_heads(submitter, rule.levels)
        case ApproverKind.FIELD:
            return resolver.field_members(document, rule.field or "")
        case ApproverKind.SUBMITTER_CHOICE:
            return chosen
        case ApproverKind.PLUGIN:
            return resolver.plugin(rule.name or "", document, submitter)
