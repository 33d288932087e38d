"""The engine's error vocabulary.

Every problem a user can cause carries a stable ``code``, a message in Chinese and
English, and a ``source`` saying where it is (a form key and field path, a rule's
line and column, a flow node id). Inside the engine, user-data problems are
collected as :class:`Problem` values and returned; they are raised only wrapped in
an :class:`EngineError` at a service boundary, which the API turns into
``application/problem+json``.

Programmer errors (a broken invariant of the code itself) stay plain ``assert`` or
built-in exceptions: they are bugs, not messages for users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass(frozen=True, slots=True)
class Source:
    """Where a problem is. All parts optional; set the ones that apply."""

    form: str | None = None
    path: str | None = None  # field path such as ``lines[3].qty``
    rule: str | None = None  # rule set or file name
    line: int | None = None
    column: int | None = None
    node: str | None = None  # flow node id
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.form:
            parts.append(f"form {self.form}")
        if self.rule:
            parts.append(f"rule {self.rule}")
        if self.path:
            parts.append(self.path)
        if self.line is not None:
            parts.append(f"{self.line}:{self.column or 0}")
        if self.node:
            parts.append(f"node {self.node}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Message:
    """A message in the two languages users read."""

    en: str
    zh: str

    def get(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with user data: a value, not an exception."""

    code: str
    message: Message
    source: Source = field(default_factory=Source)
    hint: Message | None = None  # how to fix it, when the message alone does not say

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "source": self.source.as_dict()}
        if lang is None:
            out["message"] = {"en": self.message.en, "zh": self.message.zh}
            if self.hint:
                out["hint"] = {"en": self.hint.en, "zh": self.hint.zh}
        else:
            out["message"] = self.message.get(lang)
            if self.hint:
                out["hint"] = self.hint.get(lang)
        return out

    def __str__(self) -> str:
        where = str(self.source)
        text = f"[{self.code}] {self.message.en} / {self.message.zh}"
        return f"{where}: {text}" if where else text


def problem(code: str, en: str, zh: str, source: Source | None = None, **src: Any) -> Problem:
    """Shorthand: ``problem("field.required", "...", "...", path="lines[0].qty")``."""
    return Problem(code, Message(en, zh), source or Source(**src))


class EngineError(Exception):
    """Root of every error the engine raises on purpose.

    ``status`` is the HTTP status the API should answer with; the engine itself
    never looks at it.
    """

    code: str = "engine.error"
    status: int = 400

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        assert self.problems, "an EngineError carries at least one problem"
        first = self.problems[0]
        self.code = first.code
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, code: str, en: str, zh: str, **src: Any) -> Self:
        return cls(problem(code, en, zh, **src))

    def as_dict(self, lang: str | None = None) -> Mapping[str, Any]:
        return {
            "code": self.code,
            "errors": [p.as_dict(lang) for p in self.problems],
        }


class ValidationError(EngineError):
    """User input does not satisfy a definition (form, flow, rule, template)."""

    status = 422


class NotFound(EngineError):
    """The object does not exist, or belongs to another tenant (same answer)."""

    status = 404


class Conflict(EngineError):
    """The request is well formed but clashes with current state."""

    status = 409


class PermissionDenied(EngineError):
    """The actor may not do this."""

    status = 403


class AuthenticationFailed(EngineError):
    """Bad credentials. The message never says which part was wrong."""

    status = 401


class TooManyAttempts(EngineError):
    """Too many tries in too short a time (sign-in attempts, say)."""

    status = 429
