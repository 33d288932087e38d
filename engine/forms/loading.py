"""Read form JSON: upgrade its ``schema_version``, check it, build the FormSpec.

:func:`load_form` never raises on user data: it returns a :class:`Loaded` whose
``problems`` say what is wrong and where (``source.path`` is a JSON path into the
form such as ``fields[2].options``; formula and validation problems add the
``line``/``column`` inside the text). The checks run in stages — the shipped JSON
Schema, then the meaning of each field, then the rules-language texts — and stop
at the first stage that finds something. :meth:`Loaded.require` raises
:class:`~engine.errors.ValidationError` for services that want an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Problem, ValidationError

from .building import build_form
from .checking import schema_problems, structure_problems
from .compiling import rules_problems
from .messages import make
from .migrations import upgrade_form
from .spec import FormSpec


@dataclass(frozen=True, slots=True)
class Loaded:
    """The spec, or the problems that stop it being built."""

    spec: FormSpec | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.spec is not None

    def require(self) -> FormSpec:
        if self.spec is None:
            raise ValidationError(self.problems)
        return self.spec


def load_form(data: Any, *, constants: Mapping[str, str] | None = None) -> Loaded:
    """Upgrade, check and build one form (parsed JSON); ``constants`` as for FormScope."""
    if not isinstance(data, Mapping):
        return Loaded(None, (make("forms.schema", "$", detail="A form must be a JSON object.",
                                  detail_zh="表单必须是 JSON 对象。"),))  # fmt: skip
    upgraded, problems = upgrade_form(data)
    problems = problems or schema_problems(upgraded) or structure_problems(upgraded)
    if problems:
        return Loaded(None, tuple(_with_form(p, upgraded) for p in problems))
    spec = build_form(upgraded)
    problems = rules_problems(spec, constants)
    return Loaded(None, tuple(problems)) if problems else Loaded(spec)


def validate_spec(data: Any, *, constants: Mapping[str, str] | None = None) -> list[Problem]:
    """The problems of form JSON when it is saved (empty when it is good)."""
    return list(load_form(data, constants=constants).problems)


def _with_form(p: Problem, data: Mapping[str, Any]) -> Problem:
    key = data.get("key")
    if p.source.form or not isinstance(key, str):
        return p
    source = type(p.source)(**{**p.source.as_dict(), "form": key})
    return Problem(p.code, p.message, source, p.hint)
