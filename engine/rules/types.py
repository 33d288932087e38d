"""Field and value types the rules checker works with, and the scope protocol.

Forms (or any other definition that owns fields) describe themselves to the rules
language through :class:`Scope`; the rules package never imports ``engine.forms``.
:class:`DictScope` is a small dict-built implementation for tests and tools::

    DictScope.from_spec(
        {"total": "money", "lines": {"item": "item", "qty": "number"}},
        constants={"warehouse": "location"},
    )

A :class:`FieldType` says what an admin declared (``money``, ``item``, ``subform`` …);
a :class:`VType` is what the checker reasons with (``number``, a ``ref`` to an item,
a ``column`` of a subform …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

FIELD_KINDS: frozenset[str] = frozenset(
    {
        "text", "textarea", "number", "money", "date", "datetime", "boolean", "checkbox",
        "select", "multiselect", "member", "department", "item", "location", "batch",
        "linked", "subform", "serial", "attachment", "barcode", "formula",
    }
)  # fmt: skip

REF_KINDS: frozenset[str] = frozenset(
    {"member", "department", "item", "location", "batch", "linked"}
)

# Value kinds the checker infers. ``ref`` carries the referenced kind in ``VType.ref``.
VALUE_KINDS: frozenset[str] = frozenset(
    {"number", "text", "date", "datetime", "boolean", "null", "list", "ref", "subform",
     "row", "any"}
)  # fmt: skip

_SCALAR_OF_FIELD: Mapping[str, str] = {
    "text": "text", "textarea": "text", "select": "text", "serial": "text",
    "barcode": "text", "number": "number", "money": "number", "date": "date",
    "datetime": "datetime", "boolean": "boolean", "checkbox": "boolean",
    "multiselect": "list", "attachment": "list",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldType:
    """A declared field: its kind, a subform's child scope, a link's target form.

    ``result`` is the value kind of a ``formula`` field (``number`` by default).
    """

    kind: str
    children: Scope | None = field(default=None, compare=False)
    target: str | None = None
    result: str | None = None

    def __post_init__(self) -> None:
        assert self.kind in FIELD_KINDS, f"unknown field kind {self.kind!r}"
        assert (self.kind == "subform") == (self.children is not None), "subform needs children"


class Scope(Protocol):
    """What the checker needs to know about one form (or one subform row)."""

    def field(self, name: str) -> FieldType | None:
        """The declared field called ``name``, or None."""

    def fields(self) -> Iterable[str]:
        """All field names (used for "did you mean")."""

    def constant(self, name: str) -> FieldType | None:
        """A tenant-wide name such as a location code (``warehouse``), or None."""

    def constants(self) -> Iterable[str]:
        """All constant names."""

    def attribute(self, kind: str, name: str) -> FieldType | None:
        """Attribute ``name`` of a referenced record of ``kind`` (``item.category``)."""


def _ft(kind: str, target: str | None = None) -> FieldType:
    return FieldType(kind, target=target)


# What the item master, locations, batches, members and departments expose by default.
DEFAULT_ATTRIBUTES: Mapping[str, Mapping[str, FieldType]] = {
    "item": {
        "code": _ft("text"), "name": _ft("text"), "category": _ft("text"),
        "unit": _ft("text"), "barcode": _ft("barcode"), "tracking": _ft("select"),
        "valuation": _ft("select"), "reorder_point": _ft("number"), "price": _ft("money"),
        "cost": _ft("money"), "shelf_life_days": _ft("number"),
    },
    "location": {
        "code": _ft("text"), "name": _ft("text"), "kind": _ft("select"),
        "parent": _ft("location"), "allow_negative": _ft("boolean"),
    },
    "batch": {"code": _ft("text"), "expiry": _ft("date"), "item": _ft("item")},
    "member": {"name": _ft("text"), "department": _ft("department"), "email": _ft("text")},
    "department": {"name": _ft("text"), "head": _ft("member"), "parent": _ft("department")},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DictScope:
    """A :class:`Scope` built from plain dicts; see :meth:`from_spec`."""

    field_types: Mapping[str, FieldType]
    constant_types: Mapping[str, FieldType] = field(default_factory=dict)
    attributes: Mapping[str, Mapping[str, FieldType]] = field(
        default_factory=lambda: DEFAULT_ATTRIBUTES
    )

    @classmethod
    def from_spec(
        cls,
        spec: Mapping[str, Any],
        constants: Mapping[str, str] | None = None,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
    ) -> DictScope:
        """Build from ``{"name": "kind" | {subform spec} | {"kind": ..., ...}}``.

        A nested dict without a ``kind`` key is a subform. A dict with ``kind`` may
        carry ``target`` (linked) or ``result`` (formula). Constants map names to
        field kinds (usually ``"location"``). Attributes extend the defaults.
        """
        attrs: dict[str, Mapping[str, FieldType]] = dict(DEFAULT_ATTRIBUTES)
        for kind, names in (attributes or {}).items():
            attrs[kind] = {**attrs.get(kind, {}), **{n: _ft(k) for n, k in names.items()}}
        consts = {name: _ft(kind) for name, kind in (constants or {}).items()}
        return cls._build(spec, consts, attrs)

    @classmethod
    def _build(
        cls,
        spec: Mapping[str, Any],
        consts: Mapping[str, FieldType],
        attrs: Mapping[str, Mapping[str, FieldType]],
    ) -> DictScope:
        fields: dict[str, FieldType] = {}
        for name, value in spec.items():
            if isinstance(value, str):
                fields[name] = FieldType(value)
            elif "kind" in value and isinstance(value["kind"], str):
                fields[name] = FieldType(
                    value["kind"], target=value.get("target"), result=value.get("result")
                )
            else:
                child = cls._build(value, consts, attrs)
                fields[name] = FieldType("subform", children=child)
        return cls(fields, consts, attrs)

    def field(self, name: str) -> FieldType | None:
        return self.field_types.get(name)

    def fields(self) -> Iterable[str]:
        return self.field_types.keys()

    def constant(self, name: str) -> FieldType | None:
        return self.constant_types.get(name)

    def constants(self) -> Iterable[str]:
        return self.constant_types.keys()

    def attribute(self, kind: str, name: str) -> FieldType | None:
        return self.attributes.get(kind, {}).get(name)


@dataclass(frozen=True, slots=True)
class VType:
    """A value type as the checker sees it.

    ``ref`` names the referenced kind for ``ref`` values (``item``, ``location``…).
    ``column`` is set when the value varies over the rows of a subform (the path of
    that subform, e.g. ``"lines"``); such values must be aggregated before use.
    ``scope`` is the child scope of a ``subform`` or ``row``.
    """

    kind: str
    ref: str | None = None
    column: str | None = None
    scope: Scope | None = field(default=None, compare=False, repr=False)

    def scalar(self) -> VType:
        return VType(self.kind, self.ref, None, self.scope)

    def with_column(self, column: str | None) -> VType:
        return VType(self.kind, self.ref, column, self.scope)

    def describe(self) -> str:
        base = f"{self.ref} reference" if self.kind == "ref" else self.kind
        return f"column of {base}" if self.column else base


ANY = VType("any")
NUMBER = VType("number")
TEXT = VType("text")
BOOLEAN = VType("boolean")
DATE = VType("date")
DATETIME = VType("datetime")
NULL = VType("null")


def vtype_of(ft: FieldType) -> VType:
    """The value type of a declared field."""
    if ft.kind == "subform":
        return VType("subform", scope=ft.children)
    if ft.kind in REF_KINDS:
        return VType("ref", ref=ft.target if ft.kind == "linked" and ft.target else ft.kind)
    if ft.kind == "formula":
        return VType(ft.result or "number")
    return VType(_SCALAR_OF_FIELD[ft.kind])
