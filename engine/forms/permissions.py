"""Field permissions (hidden / read / edit) applied to documents. Pure functions.

``permissions`` maps a field key — or ``subform.column`` for one column of a
subform — to an :class:`~.spec.Access` (or its string). A field not listed is
``read``; a column not listed inherits its subform's access. Flows decide the
permissions of each node; this module applies them:

* :func:`apply_permissions` — the document as the actor may see it (hidden
  fields and columns removed);
* :func:`edits_allowed` — a ``forms.field_not_editable`` problem for every field
  (or cell: ``lines[2].qty``) that changed without edit access. A field absent
  from ``after`` counts as unchanged (clients send what they see); values are
  compared after parsing, so ``"12.5"`` and ``"12.50"`` are the same money. Formula
  fields and ``_totals`` are computed, never edited, and are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import Problem

from .messages import make
from .normalize import Where, normalize
from .spec import TOTALS_KEY, Access, Field, FieldKind, FormSpec

Permissions = Mapping[str, Access | str]


def access(permissions: Permissions, key: str, parent: Access = Access.READ) -> Access:
    raw = permissions.get(key)
    return parent if raw is None else Access(raw)


def apply_permissions(spec: FormSpec, document: Mapping[str, Any],
                      permissions: Permissions) -> dict[str, Any]:  # fmt: skip
    """``document`` without the fields and columns hidden from the actor."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        f = spec.field(key)
        if f is None:
            if key == TOTALS_KEY:
                out[key] = _visible_totals(spec, value, permissions)
            continue
        level = access(permissions, key)
        if level is Access.HIDDEN:
            continue
        out[key] = _visible_rows(f, value, permissions, level) if f.fields else value
    return out


def _visible_rows(f: Field, rows: Any, permissions: Permissions, level: Access) -> Any:
    if not isinstance(rows, list):
        return rows
    hidden = {c.key for c in f.fields
              if access(permissions, f"{f.key}.{c.key}", level) is Access.HIDDEN}  # fmt: skip
    return [{k: v for k, v in row.items() if k not in hidden} if isinstance(row, Mapping) else row
            for row in rows]  # fmt: skip


def _visible_totals(spec: FormSpec, totals: Any, permissions: Permissions) -> Any:
    if not isinstance(totals, Mapping):
        return totals
    out = {}
    for sub, columns in totals.items():
        level = access(permissions, sub)
        if level is Access.HIDDEN or not isinstance(columns, Mapping):
            continue
        out[sub] = {c: v for c, v in columns.items()
                    if access(permissions, f"{sub}.{c}", level) is not Access.HIDDEN}  # fmt: skip
    return out


def edits_allowed(spec: FormSpec, before: Mapping[str, Any], after: Mapping[str, Any],
                  permissions: Permissions) -> list[Problem]:  # fmt: skip
    """A problem for every change in ``after`` that the actor may not make."""
    old = normalize(spec, before, partial=True).values
    new = normalize(spec, after, partial=True).values
    top = Where("", spec.labels)
    found: list[Problem] = []
    for f in spec.fields:
        if f.key not in after or f.kind is FieldKind.FORMULA:
            continue
        level = access(permissions, f.key)
        if f.kind is FieldKind.SUBFORM and level is Access.EDIT:
            found.extend(_row_edits(spec, f, old[f.key], new[f.key], permissions, top.child(f)))
        elif level is not Access.EDIT and old[f.key] != new[f.key]:
            found.append(_not_editable(spec, top.child(f)))
    return found


def _row_edits(spec: FormSpec, f: Field, old: list[dict[str, Any]], new: list[dict[str, Any]],
               permissions: Permissions, at: Where) -> list[Problem]:  # fmt: skip
    locked = [c for c in f.fields if c.kind is not FieldKind.FORMULA
              and access(permissions, f"{f.key}.{c.key}", Access.EDIT) is not Access.EDIT]  # fmt: skip
    found = []
    for index, row in enumerate(new):
        was = old[index] if index < len(old) else {}
        for c in locked:
            if row.get(c.key) != was.get(c.key):
                found.append(_not_editable(spec, at.row(index).child(c)))
    return found


def _not_editable(spec: FormSpec, at: Where) -> Problem:
    return make("forms.field_not_editable", at.path, form=spec.key, label=at.label)
