"""The FormSpec: what an admin declares, as frozen dataclasses.

A :class:`FormSpec` is built from JSON by :mod:`.building` after the JSON has been
upgraded (:mod:`.migrations`) and checked (:mod:`.checking`); code that holds a
FormSpec may trust it. Closed sets are enums: :class:`FieldKind`,
:class:`ResultKind`, :class:`Access`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

CURRENT_SCHEMA_VERSION = 1
TOTALS_KEY = "_totals"  # read-only document key holding subform column totals
MAX_PRECISION = 10  # decimal places a number field may declare (and the cap when it does not)
MONEY_PRECISION = 2  # a money field's precision when none is declared


class FieldKind(StrEnum):
    """Every field type a form may declare."""

    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    SELECT = "select"
    MULTISELECT = "multiselect"
    CHECKBOX = "checkbox"
    MEMBER = "member"
    DEPARTMENT = "department"
    ITEM = "item"
    LOCATION = "location"
    BATCH = "batch"
    LINKED = "linked"
    SUBFORM = "subform"
    SERIAL = "serial"
    ATTACHMENT = "attachment"
    BARCODE = "barcode"
    FORMULA = "formula"


TEXT_KINDS = frozenset({FieldKind.TEXT, FieldKind.TEXTAREA, FieldKind.BARCODE, FieldKind.SERIAL})
DECIMAL_KINDS = frozenset({FieldKind.NUMBER, FieldKind.MONEY})
TIME_KINDS = frozenset({FieldKind.DATE, FieldKind.DATETIME})
CHOICE_KINDS = frozenset({FieldKind.SELECT, FieldKind.MULTISELECT})
REF_KINDS = frozenset(
    {FieldKind.MEMBER, FieldKind.DEPARTMENT, FieldKind.ITEM, FieldKind.LOCATION,
     FieldKind.BATCH, FieldKind.LINKED}
)  # fmt: skip
COMPUTED_KINDS = frozenset({FieldKind.FORMULA})  # never taken from a submitted document


class ResultKind(StrEnum):
    """The value kind a formula field produces."""

    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


class Access(StrEnum):
    """What an actor may do with one field (a flow node's field permission)."""

    HIDDEN = "hidden"
    READ = "read"
    EDIT = "edit"


Bound = Decimal | date  # a datetime is a date too


@dataclass(frozen=True, slots=True)
class Label:
    """A text in the two languages users read."""

    zh: str
    en: str

    def get(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a select or multiselect field: the stored value and its label."""

    value: str
    label: Label


@dataclass(frozen=True, slots=True)
class Link:
    """A linked field's target: the other form, what to show, which records to offer."""

    form: str
    display: tuple[str, ...] = ()
    filter: str | None = None  # a rules-language condition, checked for syntax only


@dataclass(frozen=True, slots=True)
class Field:
    """One declared field. Options that do not apply to ``kind`` stay at their default."""

    key: str
    kind: FieldKind
    label: Label
    required: bool = False
    default: Any = field(default=None, hash=False)  # a JSON value, as a document holds it
    minimum: Bound | None = None
    maximum: Bound | None = None
    precision: int | None = None
    unique: bool = False  # checked by the store, not here
    help: Label | None = None
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    fields: tuple[Field, ...] = ()  # subform: the columns of one row
    totals: tuple[str, ...] = ()  # subform: the numeric columns to total
    pattern: str | None = None  # serial
    expression: str | None = None  # formula
    result: ResultKind | None = None  # formula
    link: Link | None = None  # linked

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def child(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def places(self) -> int | None:
        """Decimal places a value may have and is stored with (None: as given, up to 10)."""
        if self.precision is not None:
            return self.precision
        return MONEY_PRECISION if self.kind is FieldKind.MONEY else None

    @property
    def is_decimal(self) -> bool:
        return self.kind in DECIMAL_KINDS or (
            self.kind is FieldKind.FORMULA and self.result in (None, ResultKind.NUMBER)
        )


@dataclass(frozen=True, slots=True)
class Validation:
    """A form-level check: when ``condition`` is false, ``message`` ("中文 / English")."""

    condition: str
    message: str


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A form definition. Validations are either one rules text or a list of checks."""

    key: str
    version: int
    labels: Label
    fields: tuple[Field, ...]
    validation_text: str = ""
    validations: tuple[Validation, ...] = ()
    schema_version: int = CURRENT_SCHEMA_VERSION

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def subforms(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is FieldKind.SUBFORM)

    @property
    def has_totals(self) -> bool:
        return any(f.totals for f in self.subforms)
