"""Validating a submitted document against its FormSpec.

:func:`check_document` runs the whole pipeline and returns the typed, computed
document with its problems; :func:`validate_document` returns the problems only.
Steps, each only when the previous ones found nothing wrong:

1. shape: the compiled document JSON Schema, errors mapped to friendly problems;
   then :func:`~.normalize.normalize` (floats refused, precision, exact min/max,
   real dates) — one problem per path;
2. formulas and column totals (:mod:`.compute`): a formula that cannot be
   evaluated is ``forms.formula_failed``;
3. the form-level validations in the rules language (compiled once per spec),
   failed messages split into zh and en (``forms.validation_failed``).

``partial=True`` (a draft or a patch) requires nothing and skips step 3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import Problem, Source
from engine.rules import EvalContext, RuleRuntimeError

from .compiling import CompiledForm, compile_form
from .compute import compute_checked
from .messages import make
from .normalize import normalize
from .schema_errors import schema_problems
from .spec import FormSpec


@dataclass(frozen=True, slots=True)
class Checked:
    """The typed document (computed when it could be) and its problems."""

    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_context() -> EvalContext:
    """The machine's clock and no lookup: services pass their own context."""
    return EvalContext(today=date.today(), now=datetime.now())


def validate_document(spec: FormSpec, document: Any, *, partial: bool = False,
                      ctx: EvalContext | None = None,
                      constants: Mapping[str, str] | None = None) -> list[Problem]:  # fmt: skip
    """Every problem of ``document``; never raises on user data."""
    return check_document(spec, document, partial=partial, ctx=ctx, constants=constants).problems


def check_document(spec: FormSpec, document: Any, *, partial: bool = False,
                   ctx: EvalContext | None = None,
                   constants: Mapping[str, str] | None = None,
                   stored: bool = False) -> Checked:  # fmt: skip
    """The typed, computed document and its problems; never raises on user data.

    ``stored``: ``document`` is what this form version stored after checking it, so
    its JSON shape is not checked again (its values are still parsed, its formulas
    computed and its validations run, as they may depend on the day or the ledger)."""
    compiled = compile_form(spec, constants)
    parsed = normalize(spec, document, partial=partial)
    shape = [] if stored else shape_problems(compiled, document, partial)
    found = merge(shape, parsed.problems)
    if found:
        return Checked(parsed.values, sort_problems(spec, found))
    context = ctx or default_context()
    values, failed = compute_checked(compiled, parsed.values, context)
    if failed or partial:
        return Checked(values, failed if not partial else [])
    return Checked(values, validation_problems(compiled, values, context))


def shape_problems(compiled: CompiledForm, document: Any, partial: bool) -> list[Problem]:
    validator = compiled.partial_validator if partial else compiled.validator
    try:
        return schema_problems(compiled.spec, validator, document)
    except (ArithmeticError, TypeError, ValueError):  # exotic values: normalize reports them
        return []


def merge(first: list[Problem], second: list[Problem]) -> list[Problem]:
    """``first``, then the problems of ``second`` at paths ``first`` does not mention."""
    out: dict[tuple[str, str | None], Problem] = {}
    for p in first:
        out.setdefault((p.code, p.source.path), p)
    seen = {p.source.path for p in first}
    for p in second:
        if p.source.path not in seen:
            out.setdefault((p.code, p.source.path), p)
    return list(out.values())


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def sort_problems(spec: FormSpec, problems: list[Problem]) -> list[Problem]:
    """Problems in the order of the fields and rows they are about."""
    return sorted(problems, key=lambda p: _order(spec, p.source.path or ""))


def _order(spec: FormSpec, path: str) -> list[int]:
    key: list[int] = []
    fields = spec.fields
    for name, index in _PART.findall(path):
        if index:
            key.append(int(index))
            continue
        position = next((i for i, f in enumerate(fields) if f.key == name), len(fields))
        key.append(position)
        fields = fields[position].fields if position < len(fields) else ()
    return key


def validation_problems(compiled: CompiledForm, values: Mapping[str, Any],
                        ctx: EvalContext) -> list[Problem]:  # fmt: skip
    """The form-level validations that fail (or cannot be evaluated) on ``values``."""
    if compiled.rules is None:
        return []
    try:
        failed = compiled.rules.validate(values, ctx)
    except RuleRuntimeError as error:
        failed = list(error.problems)
    return [_relocated(compiled, p) for p in failed]


def _relocated(compiled: CompiledForm, p: Problem) -> Problem:
    path = compiled.validation_path(p.source.line)
    listed = bool(compiled.spec.validations)
    source = Source(form=compiled.spec.key, path=path, line=None if listed else p.source.line,
                    column=None if listed else p.source.column)  # fmt: skip
    if p.code == "rules.validation_failed":
        return Problem("forms.validation_failed", p.message, source)
    message = make("forms.validation_error", path, detail=p.message.en, detail_zh=p.message.zh)
    return Problem("forms.validation_error", message.message, source, p.hint)
