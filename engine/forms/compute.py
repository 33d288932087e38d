"""Formulas and subform column totals, computed with exact Decimals.

:func:`compute` takes a *typed* document (what :func:`~.normalize.normalize`
returns) and gives a new one with every formula field filled and
``_totals`` set to ``{subform: {column: total}}``. Order: each subform's row
formulas (per row, in declaration order), then the column totals, then the
top-level formulas in declaration order. A number result is rounded half up (四舍五入)
to the field's precision when it declares one.

Formula fields are read-only: whatever a client submitted for them is ignored and
replaced. A formula that cannot be evaluated (an empty operand, a division by
zero) becomes empty; :func:`compute_checked` also returns those failures as
``forms.formula_failed`` problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.errors import Problem
from engine.rules import EvalContext, RuleRuntimeError

from .compiling import CompiledForm, CompiledFormula, compile_form
from .messages import make
from .normalize import Where
from .spec import TOTALS_KEY, Field, FormSpec, ResultKind


def compute(spec: FormSpec, document: Mapping[str, Any], ctx: EvalContext, *,
            constants: Mapping[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """``document`` (typed) with its formulas and column totals computed."""
    values, _ = compute_checked(compile_form(spec, constants), document, ctx)
    return values


def compute_checked(compiled: CompiledForm, document: Mapping[str, Any],
                    ctx: EvalContext) -> tuple[dict[str, Any], list[Problem]]:  # fmt: skip
    """The computed document and the formulas that could not be evaluated."""
    spec, problems = compiled.spec, list[Problem]()
    out = dict(document)
    totals: dict[str, dict[str, Decimal]] = {}
    top = Where("", spec.labels)
    for sub in spec.subforms:
        at = top.child(sub)
        rows = [dict(row) for row in out.get(sub.key) or []]
        for index, row in enumerate(rows):
            place = at.row(index)
            for formula in compiled.row_formulas.get(sub.key, ()):
                row[formula.field.key] = _evaluate(spec, formula, row, ctx, place, problems)
        out[sub.key] = rows
        if sub.totals:
            totals[sub.key] = {c: column_total(sub, c, rows) for c in sub.totals}
    if totals:
        out[TOTALS_KEY] = totals
    else:
        out.pop(TOTALS_KEY, None)
    for formula in compiled.formulas:
        out[formula.field.key] = _evaluate(spec, formula, out, ctx, top, problems)
    return out, problems


def column_total(subform: Field, column: str, rows: list[dict[str, Any]]) -> Decimal:
    """The sum of one column (empty cells skipped) at the column's precision."""
    total = sum((Decimal(r[column]) for r in rows if r.get(column) is not None), Decimal(0))
    child = subform.child(column)
    places = child.places if child else None
    return total if places is None else total.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _evaluate(spec: FormSpec, formula: CompiledFormula, values: Mapping[str, Any],
              ctx: EvalContext, here: Where, problems: list[Problem]) -> Any:  # fmt: skip
    f = formula.field
    at = here.child(f)
    try:
        value = formula.expression.evaluate(values, ctx)
        return _shape(f, value)
    except RuleRuntimeError as error:
        cause = error.problems[0].message
        problems.append(make("forms.formula_failed", at.path, form=spec.key, label=at.label,
                             detail=cause.en, detail_zh=cause.zh))  # fmt: skip
    except ArithmeticError:
        problems.append(make("forms.formula_failed", at.path, form=spec.key, label=at.label,
                             detail="the result is too large", detail_zh="结果过大"))  # fmt: skip
    return None


def _shape(f: Field, value: Any) -> Any:
    """A number result as a Decimal at the field's precision; other kinds unchanged."""
    if (f.result or ResultKind.NUMBER) is not ResultKind.NUMBER or value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    number = Decimal(value)
    if f.precision is None:
        return number
    return number.quantize(Decimal(1).scaleb(-f.precision), ROUND_HALF_UP)
