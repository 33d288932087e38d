"""What forms and flows share as stored JSON formats: the JSON Schema shipped in their
package, JSON paths for problems, the jsonschema errors that name a cause, and the
``schema_version`` migrations that bring an old document to the current format.

Each format keeps its own wording of problems; this module only does the mechanics.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from engine.errors import Problem

Json = dict[str, Any]


@functools.cache
def packaged_schema(package: str, name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` shipped in ``package`` (loaded once)."""
    schema: dict[str, Any] = json.loads(
        resources.files(package).joinpath(name).read_text("utf-8"))
    return schema


@functools.cache
def packaged_validator(package: str, name: str) -> Draft202012Validator:
    return Draft202012Validator(packaged_schema(package, name))


def json_path(parts: Iterable[str | int]) -> str:
    """``["fields", 1, "key"]`` → ``fields[1].key``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def leaf_errors(validator: Draft202012Validator, data: Any,
                drop: Callable[[SchemaError], bool] | None = None) -> list[SchemaError]:
    """The errors of ``data`` that name a cause, in path order: the ``if``/``anyOf``
    wrappers give way to the errors inside them (less those ``drop`` rules out)."""
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    return list(_leaves(errors, drop))


def _leaves(errors: Iterable[SchemaError], drop: Callable[[SchemaError], bool] | None
            ) -> Iterator[SchemaError]:  # fmt: skip
    for error in errors:
        if error.context:
            yield from _leaves((e for e in error.context if drop is None or not drop(e)), drop)
        else:
            yield error


# schema_version migrations -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Migration:
    """Turns a document of ``from_version`` into ``from_version + 1``; the function's
    docstring says what changed."""

    from_version: int
    apply: Callable[[Json], Json]

    @property
    def name(self) -> str:
        return self.apply.__name__

    @property
    def description(self) -> str:
        return (self.apply.__doc__ or "").strip()


def upgrade(data: Mapping[str, Any], migrations: tuple[Migration, ...], current: int,
            unsupported: Callable[[object], Problem]) -> tuple[Json, list[Problem]]:
    """``data`` brought to ``current`` (a missing ``schema_version`` means 0), or the
    problem ``unsupported(version)`` for a version from the future or one no migration
    leads on from — never a guess."""
    out: Json = dict(data)
    version = out.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= current:
        return out, [unsupported(version)]
    by_version = {m.from_version: m for m in migrations}
    while version < current:
        migration = by_version.get(version)
        if migration is None:
            return out, [unsupported(version)]
        out = migration.apply(out)
        version = migration.from_version + 1
        assert out.get("schema_version") == version, migration.name
    return out, []
