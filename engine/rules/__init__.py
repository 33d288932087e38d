"""The rules language: grammar, AST, static checker, evaluator and effects.

One small language serves formulas, validations, flow branch conditions and the
stock effects bound to document events (docs/rules.md is the reference)::

    on transfer approved:
        for line in lines: move line.qty of line.item from from_store to to_store

Pipeline: ``grammar.lark`` (Lark, LALR) → :mod:`.transform` → typed frozen tree
(:mod:`.nodes`) → static checker (:mod:`.checker`, :mod:`.check_expr`) → closures
(:mod:`.compile_expr`, :mod:`.compile_stmt`) → effects (:mod:`.effects`). No
``eval``/``exec``, no I/O, no attribute access on user data: referenced records are
read through the ``lookup`` callback of :class:`EvalContext`, stock figures
(``on_hand(…)``) through its :class:`LedgerReader`. Limits (size, depth,
steps, effects) live in :mod:`.limits`; every problem code in :mod:`.problems`.

The rules package learns a form's fields through the :class:`Scope` protocol and
never imports ``engine.forms``.
"""

from .api import (
    CompiledExpression,
    CompiledRules,
    check_rules,
    compile_expression,
    compile_rules,
    split_message,
)
from .effects import (
    CountEffect,
    Effect,
    Explode,
    LockEffect,
    Origin,
    ReleaseEffect,
    StockEffect,
)
from .functions import Function, FunctionRegistry, Signature, default_functions
from .ledger_functions import DictLedger
from .limits import DEFAULT_LIMITS, Limits
from .render import render_problem
from .runtime import (
    EffectLimitExceeded,
    EvalContext,
    LedgerReader,
    Lookup,
    RuleRuntimeError,
    StepLimitExceeded,
)
from .types import DictScope, FieldType, Scope, VType
from .verbs import Verb, VerbRegistry, default_verbs

__all__ = [
    "DEFAULT_LIMITS",
    "CompiledExpression",
    "CompiledRules",
    "CountEffect",
    "DictLedger",
    "DictScope",
    "Effect",
    "EffectLimitExceeded",
    "EvalContext",
    "Explode",
    "FieldType",
    "Function",
    "FunctionRegistry",
    "LedgerReader",
    "Limits",
    "LockEffect",
    "Lookup",
    "Origin",
    "ReleaseEffect",
    "RuleRuntimeError",
    "Scope",
    "Signature",
    "StepLimitExceeded",
    "StockEffect",
    "VType",
    "Verb",
    "VerbRegistry",
    "check_rules",
    "compile_expression",
    "compile_rules",
    "default_functions",
    "default_verbs",
    "render_problem",
    "split_message",
]
