"""Read a stored flow: upgrade its ``schema_version``, validate, build.

:func:`load_flow` never raises on user data: it returns a :class:`Loaded` whose
``problems`` say what is wrong and where. A service that wants an exception calls
:meth:`Loaded.require`, which raises :class:`~engine.errors.ValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Problem, ValidationError, problem
from engine.flows.building import build_flow
from engine.flows.migrations import upgrade_flow
from engine.flows.spec import FlowSpec
from engine.flows.validation import validate_flow


@dataclass(frozen=True, slots=True)
class Loaded:
    """The spec, or the problems that stop it being built."""

    spec: FlowSpec | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.spec is not None

    def require(self) -> FlowSpec:
        if self.spec is None:
            raise ValidationError(self.problems)
        return self.spec


def load_flow(data: Mapping[str, Any]) -> Loaded:
    """Upgrade, validate and build one flow document (a parsed JSON object)."""
    if not isinstance(data, Mapping):
        return Loaded(None, (_not_an_object(),))
    upgraded, problems = upgrade_flow(data)
    problems = problems or validate_flow(upgraded)
    if problems:
        return Loaded(None, tuple(problems))
    return Loaded(build_flow(upgraded))


def _not_an_object() -> Problem:
    return problem(
        "flows.schema",
        "A flow must be a JSON object with key, version, labels and nodes",
        "流程必须是包含 key、version、labels 和 nodes 的 JSON 对象",
        path="$",
    )
