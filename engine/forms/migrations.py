"""Stored form JSON carries a ``schema_version``; this module upgrades it.

Each format change comes with a named migration function whose docstring says what
changed, registered in :data:`MIGRATIONS`. :func:`upgrade_form` applies them in
order until the JSON reaches :data:`~.spec.CURRENT_SCHEMA_VERSION`. A missing
``schema_version`` means 0; a version from the future is refused, never guessed at.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.errors import Problem
from engine.jsonformat import Json, Migration, upgrade

from .messages import make
from .spec import CURRENT_SCHEMA_VERSION


def form_v0_to_v1(data: Json) -> Json:
    """v0 (before ``schema_version`` existed) named a field's type ``kind`` and wrote
    labels as one Chinese string (``"label": "数量"``, form-level ``"title"``); v1
    calls it ``type``, writes every label as ``{"zh": …, "en": …}`` (the English
    text starts as a copy of the Chinese one), names the form label ``labels`` and
    adds ``schema_version``."""
    out = copy.deepcopy(data)
    if "title" in out and "labels" not in out:
        out["labels"] = _label(out.pop("title"))
    _upgrade_fields(out.get("fields"))
    out["schema_version"] = 1
    return out


def _label(value: Any) -> Any:
    return {"zh": value, "en": value} if isinstance(value, str) else value


def _upgrade_fields(fields: Any) -> None:
    if not isinstance(fields, list):
        return
    for item in fields:
        if not isinstance(item, dict):
            continue
        if "kind" in item and "type" not in item:
            item["type"] = item.pop("kind")
        if "label" in item:
            item["label"] = _label(item["label"])
        for option in item.get("options") or ():
            if isinstance(option, dict) and "label" in option:
                option["label"] = _label(option["label"])
        _upgrade_fields(item.get("fields"))


MIGRATIONS: tuple[Migration, ...] = (Migration(0, form_v0_to_v1),)


def upgrade_form(data: Mapping[str, Any]) -> tuple[Json, list[Problem]]:
    """``data`` brought to the current schema_version, or the problem that stops it."""
    return upgrade(data, MIGRATIONS, CURRENT_SCHEMA_VERSION, _unsupported)


def _unsupported(found: object) -> Problem:
    return make("forms.unsupported_schema_version", "schema_version",
                found=repr(found), current=CURRENT_SCHEMA_VERSION)  # fmt: skip
