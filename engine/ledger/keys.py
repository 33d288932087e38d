"""Idempotency: effect keys, payload digests and the at-most-once decision.

An *effect* is what one rule does for one line of one document event. Its key is a
stable string built from (document, event, rule, line[, component]); each movement
of the effect gets ``<effect key>/<index>``. A store keeps, per effect key, the
digest of the payload and the original result, and asks :func:`check_idempotent`
before planning: a retry with the same payload gets ``exists`` (and the original
result), a different payload ``exists_with_different_payload``.

The digest is SHA-256 over canonical JSON: keys sorted, no spaces, decimals as
their canonical text, dataclasses as objects of their fields (``Decimal("1.50")`` and ``Decimal("1.5")`` are the same
quantity, so they digest alike), dates in ISO 8601, enums by value. Floats are
refused: they have no exact text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from urllib.parse import quote

from engine.ledger.numbers import canonical
from engine.ledger.results import Result

JSON = None | bool | int | str | list["JSON"] | dict[str, "JSON"]


def _part(text: str) -> str:
    return quote(text, safe="")


def effect_key(
    document_id: int, event: str, rule: str, line: int, component: int | None = None
) -> str:
    """``doc:<id>:<event>:<rule>:<line>[:<component>]``, parts percent-encoded."""
    parts = ["doc", str(document_id), _part(event), _part(rule), str(line)]
    if component is not None:
        parts.append(str(component))
    return ":".join(parts)


def movement_key(effect: str, index: int) -> str:
    """The journal key of the ``index``-th movement of an effect."""
    return f"{effect}/{index}"


def to_canonical(value: object) -> JSON:
    """A JSON-ready value with every decimal, date and enum as exact text."""
    kind = type(value)
    if kind is str or kind is int or value is None:  # the common cases first
        return value  # type: ignore[return-value]
    if kind is Decimal:
        return canonical(value)  # type: ignore[arg-type]
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats have no exact text; pass Decimal or str")
    if isinstance(value, Decimal):
        return canonical(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_canonical(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return {name: to_canonical(getattr(value, name)) for name in _field_names(kind)}
    if isinstance(value, Mapping):
        return {str(k): to_canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_canonical(v) for v in value]
    raise TypeError(f"cannot digest a {type(value).__name__}")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


def payload_digest(payload: Mapping[str, object]) -> str:
    """Hex SHA-256 of the canonical JSON of ``payload``."""
    text = json.dumps(
        to_canonical(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_idempotent(existing_digest: str | None, new_digest: str) -> Result:
    """``OK`` (new: go on and post), ``EXISTS`` or ``EXISTS_WITH_DIFFERENT_PAYLOAD``."""
    if existing_digest is None:
        return Result.OK
    if existing_digest == new_digest:
        return Result.EXISTS
    return Result.EXISTS_WITH_DIFFERENT_PAYLOAD
