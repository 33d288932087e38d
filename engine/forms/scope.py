"""A form as the rules language sees it: :class:`FormScope` implements ``Scope``.

Fields map to :class:`engine.rules.FieldType` of the same kind (a linked field
targets its form, a formula carries its result kind), a subform becomes a child
scope over its columns, and the caller supplies the tenant-wide constants
(location codes such as ``warehouse``)::

    scope = FormScope.of(spec, constants={"warehouse": "location"})
    compile_expression("sum(lines.qty) > 0", scope)

``hidden`` leaves fields out, which is how a formula sees only the formulas declared
before it (so formulas can never depend on each other in a cycle).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.rules import FieldType
from engine.rules.types import DEFAULT_ATTRIBUTES

from .spec import Field, FieldKind, FormSpec, ResultKind

Attributes = Mapping[str, Mapping[str, FieldType]]


@dataclass(frozen=True, slots=True)
class FormScope:
    """The fields of one form, or of one subform row, plus constants and attributes."""

    form_fields: tuple[Field, ...]
    constant_types: Mapping[str, FieldType] = field(default_factory=dict)
    attributes: Attributes = field(default_factory=lambda: DEFAULT_ATTRIBUTES)
    hidden: frozenset[str] = frozenset()

    @classmethod
    def of(cls, spec: FormSpec, constants: Mapping[str, str] | None = None,
           attributes: Mapping[str, Mapping[str, str]] | None = None) -> FormScope:  # fmt: skip
        """The scope of ``spec``; ``constants`` maps names to kinds (``"location"``)."""
        attrs: dict[str, Mapping[str, FieldType]] = dict(DEFAULT_ATTRIBUTES)
        for kind, names in (attributes or {}).items():
            extra = {name: FieldType(k) for name, k in names.items()}
            attrs[kind] = {**attrs.get(kind, {}), **extra}
        consts = {name: FieldType(kind) for name, kind in (constants or {}).items()}
        return cls(spec.fields, consts, attrs)

    def without(self, keys: Iterable[str]) -> FormScope:
        return FormScope(self.form_fields, self.constant_types, self.attributes,
                         self.hidden | frozenset(keys))  # fmt: skip

    def rows(self, subform: Field) -> FormScope:
        """The scope of one row of ``subform`` (its columns; same constants)."""
        return FormScope(subform.fields, self.constant_types, self.attributes)

    def field(self, name: str) -> FieldType | None:
        if name in self.hidden:
            return None
        found = next((f for f in self.form_fields if f.key == name), None)
        return None if found is None else self.field_type(found)

    def field_type(self, f: Field) -> FieldType:
        if f.kind is FieldKind.SUBFORM:
            return FieldType("subform", children=self.rows(f))
        if f.kind is FieldKind.LINKED:
            return FieldType("linked", target=f.link.form if f.link else None)
        if f.kind is FieldKind.FORMULA:
            return FieldType("formula", result=(f.result or ResultKind.NUMBER).value)
        return FieldType(f.kind.value)

    def fields(self) -> Iterable[str]:
        return [f.key for f in self.form_fields if f.key not in self.hidden]

    def constant(self, name: str) -> FieldType | None:
        return self.constant_types.get(name)

    def constants(self) -> Iterable[str]:
        return self.constant_types.keys()

    def attribute(self, kind: str, name: str) -> FieldType | None:
        return self.attributes.get(kind, {}).get(name)
