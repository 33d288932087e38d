"""The limits every rule set and every evaluation runs under.

Size and depth are checked when text is compiled (``rules.too_large``,
``rules.too_deep``); steps and effects while evaluating (``rules.step_limit``,
``rules.effect_limit``). The defaults are the documented contract; callers may pass
stricter limits, never looser ones through user input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_source_bytes: int = 16 * 1024  # UTF-8 bytes of one rule set or expression
    max_depth: int = 32  # nested blocks and operators, see docs/rules.md
    max_steps: int = 10_000  # per evaluation (one event, one validate, one formula)
    max_effects: int = 500  # stock effects per event


DEFAULT_LIMITS = Limits()
