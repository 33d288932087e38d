"""A FormSpec compiled once: formulas, form-level validations, document schema.

:func:`compile_form` checks every formula, validation and linked-record filter with
the rules language against the form's own :class:`~.scope.FormScope` and returns a
:class:`CompiledForm` (cached per spec and constants), or raises one
:class:`~engine.errors.ValidationError` whose problems point into the form JSON:
``source.path`` is the JSON path of the text (``fields[3].expression``) and
``line``/``column`` the position inside it.

A formula sees the fields, the subforms (with all their columns) and only the
formulas declared above it, so formulas are evaluated in declaration order —
row formulas first — and can never form a cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Message, Problem, Source, ValidationError
from engine.rules import CompiledExpression, CompiledRules, compile_expression, compile_rules
from engine.rules.parser import parse_expression

from .docschema import document_validator
from .messages import make
from .scope import FormScope
from .spec import Field, FieldKind, FormSpec, ResultKind

VALIDATE_PREFIX = "validate "
Constants = frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CompiledFormula:
    field: Field
    expression: CompiledExpression


@dataclass(frozen=True, slots=True)
class CompiledForm:
    """Everything a document needs from its spec, built once."""

    spec: FormSpec
    scope: FormScope
    formulas: tuple[CompiledFormula, ...]  # top level, in declaration order
    row_formulas: Mapping[str, tuple[CompiledFormula, ...]]  # subform key → its formulas
    rules: CompiledRules | None
    validator: Any  # jsonschema validator of the document shape
    partial_validator: Any

    def validation_path(self, line: int | None) -> str:
        """Where a validation at rules ``line`` came from in the form JSON."""
        if self.spec.validations and line is not None:
            return f"validations[{line - 1}]"
        return "validations"


def compile_form(spec: FormSpec, constants: Mapping[str, str] | None = None) -> CompiledForm:
    """The compiled form; raise ValidationError when a text does not compile."""
    return _cached(spec, frozenset((constants or {}).items()))


def rules_problems(spec: FormSpec, constants: Mapping[str, str] | None = None) -> list[Problem]:
    """The problems :func:`compile_form` would raise (empty when it compiles)."""
    try:
        compile_form(spec, constants)
    except ValidationError as error:
        return list(error.problems)
    return []


@functools.lru_cache(maxsize=128)
def _cached(spec: FormSpec, constants: Constants) -> CompiledForm:
    scope = FormScope.of(spec, dict(constants))
    found: list[Problem] = []
    formulas = _formulas(spec, scope, spec.fields, "fields", found)
    rows = {
        sub.key: _formulas(spec, scope.rows(sub), sub.fields, f"fields[{i}].fields", found)
        for i, sub in enumerate(spec.fields) if sub.kind is FieldKind.SUBFORM
    }  # fmt: skip
    found.extend(_filters(spec))
    rules = _validations(spec, scope, found)
    if found:
        raise ValidationError(found)
    return CompiledForm(spec, scope, formulas, rows, rules,
                        document_validator(spec, partial=False),
                        document_validator(spec, partial=True))  # fmt: skip


def _formulas(spec: FormSpec, scope: FormScope, fields: tuple[Field, ...], base: str,
              found: list[Problem]) -> tuple[CompiledFormula, ...]:  # fmt: skip
    compiled: list[CompiledFormula] = []
    later = {f.key for f in fields if f.kind is FieldKind.FORMULA}
    for index, f in enumerate(fields):
        if f.kind is not FieldKind.FORMULA:
            continue
        assert f.expression is not None
        path = f"{base}[{index}].expression"
        try:
            expr = compile_expression(f.expression, scope.without(later), name=f.key)
        except ValidationError as error:
            found.extend(_formula_problem(p, spec.key, path, later) for p in error.problems)
        else:
            found.extend(_result_problem(f, expr, spec.key, f"{base}[{index}]"))
            compiled.append(CompiledFormula(f, expr))
        later.discard(f.key)
    return tuple(compiled)


def _formula_problem(p: Problem, form: str, path: str, later: set[str]) -> Problem:
    hint = p.hint
    if p.code == "rules.unknown_field" and any(f"'{k}'" in p.message.en for k in later):
        hint = Message("A formula may use only the formulas declared above it.",
                       "公式只能引用排在它前面的公式。")  # fmt: skip
    return relocate(p, "forms.bad_formula", form, path, hint=hint)


def _result_problem(f: Field, expr: CompiledExpression, form: str, path: str) -> Iterator[Problem]:
    declared = (f.result or ResultKind.NUMBER).value
    found = expr.type.kind
    if found not in (declared, "null", "any"):
        yield make("forms.formula_result", f"{path}.result", form=form, found=found,
                   declared=declared)  # fmt: skip


def _filters(spec: FormSpec) -> Iterator[Problem]:
    for index, f in enumerate(spec.fields):
        children = [(f"fields[{index}].fields[{j}]", c) for j, c in enumerate(f.fields)]
        for path, g in [(f"fields[{index}]", f), *children]:
            if g.link is not None and g.link.filter:
                try:
                    parse_expression(g.link.filter, rule=g.key)
                except ValidationError as error:
                    yield from (relocate(p, "forms.bad_filter", spec.key, f"{path}.filter")
                                for p in error.problems)  # fmt: skip


def validation_text(spec: FormSpec) -> str:
    """The rules text of the form-level validations (the list form, one line each)."""
    if not spec.validations:
        return spec.validation_text
    return "\n".join(
        f'{VALIDATE_PREFIX}{v.condition} else "{_quote(v.message)}"' for v in spec.validations
    )


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _validations(spec: FormSpec, scope: FormScope, found: list[Problem]) -> CompiledRules | None:
    text = validation_text(spec)
    if not text.strip():
        return None
    try:
        rules = compile_rules(text, scope, form=spec.key, name="validations")
    except ValidationError as error:
        found.extend(_validation_problem(spec, p) for p in error.problems)
        return None
    if rules.rules:
        found.append(make("forms.bad_validation", "validations", form=spec.key,
                          detail="only `validate … else \"…\"` lines belong here; stock rules "
                          "live in the rule set", detail_zh="这里只能写 `validate … else \"…\"`；"
                          "库存规则请写在规则集中"))  # fmt: skip
    return rules


def _validation_problem(spec: FormSpec, p: Problem) -> Problem:
    line, column = p.source.line, p.source.column
    if not spec.validations or line is None:
        return relocate(p, "forms.bad_validation", spec.key, "validations")
    shifted = max(1, (column or 1) - len(VALIDATE_PREFIX))
    return relocate(p, "forms.bad_validation", spec.key,
                    f"validations[{line - 1}].condition", line=1, column=shifted)  # fmt: skip


def relocate(p: Problem, code: str, form: str, path: str, *, hint: Message | None = None,
             line: int | None = None, column: int | None = None) -> Problem:  # fmt: skip
    """A rules problem as a forms problem at ``path`` of the form JSON."""
    message = make(code, path, detail=p.message.en, detail_zh=p.message.zh).message
    source = Source(form=form, path=path, line=line or p.source.line,
                    column=column or p.source.column)  # fmt: skip
    return Problem(code, message, source, hint or p.hint)
