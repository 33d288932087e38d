"""The ledger's values: master data, balances, the journal and reservations.

Everything here is a frozen dataclass with slots. Master data (items, unit
conversions, locations, batches, BOMs) is what admins author; movements are the
append-only journal; balances are a cache of the journal keyed by
:class:`BalanceKey`; reservations move through one transition table,
:data:`RESERVATION_TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import MappingProxyType

from engine.ledger.numbers import ZERO


class Tracking(Enum):
    """How an item's stock is told apart."""

    NONE = "none"
    BATCH = "batch"
    BATCH_EXPIRY = "batch_expiry"

    @property
    def batched(self) -> bool:
        return self is not Tracking.NONE


class Valuation(Enum):
    """How an item's stock is valued."""

    FIFO = "fifo"
    MOVING_AVERAGE = "moving_average"


class LocationKind(Enum):
    """Internal kinds hold the company's stock; virtual kinds are the outside world."""

    COMPANY = "company"
    WAREHOUSE = "warehouse"
    STORE = "store"
    ZONE = "zone"
    SHELF = "shelf"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    PRODUCTION = "production"
    SCRAP = "scrap"
    ADJUSTMENT = "adjustment"
    TRANSIT = "transit"

    @property
    def internal(self) -> bool:
        return self in INTERNAL_KINDS

    @property
    def valued(self) -> bool:
        """Stock here is the company's own and carries value (internal or in transit)."""
        return self.internal or self is LocationKind.TRANSIT


INTERNAL_KINDS = frozenset(
    {
        LocationKind.COMPANY,
        LocationKind.WAREHOUSE,
        LocationKind.STORE,
        LocationKind.ZONE,
        LocationKind.SHELF,
    }
)


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Item:
    """A stock-keeping item; quantities are always in ``base_unit``."""

    id: int
    tenant_id: int
    code: str
    name: str
    base_unit: str
    tracking: Tracking = Tracking.NONE
    valuation: Valuation = Valuation.MOVING_AVERAGE
    reorder_point: Decimal = ZERO
    safety_stock: Decimal = ZERO
    allow_negative: bool = False
    attributes: Mapping[str, str] = field(default_factory=_frozen)


@dataclass(frozen=True, slots=True)
class UnitConversion:
    """``1 unit = factor × base unit`` for one item (``item_id=None``: every item)."""

    item_id: int | None
    unit: str
    factor: Decimal


@dataclass(frozen=True, slots=True)
class Location:
    """A place stock can be: internal ones form a tree, virtual ones are the outside."""

    id: int
    tenant_id: int
    code: str
    name: str
    kind: LocationKind
    parent_id: int | None = None
    allow_negative: bool = False
    locked: bool = False  # e.g. frozen while a stocktake runs

    @property
    def internal(self) -> bool:
        return self.kind.internal


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch (lot) of one item."""

    id: int
    tenant_id: int
    item_id: int
    code: str
    production_date: date | None = None
    expiry_date: date | None = None

    def expired(self, today: date) -> bool:
        """Expired on ``today``: the expiry date is the last day it may be used."""
        return self.expiry_date is not None and self.expiry_date < today


@dataclass(frozen=True, slots=True)
class BalanceKey:
    """One balance row: item × location × batch (``None`` for untracked items)."""

    item_id: int
    location_id: int
    batch_id: int | None = None

    @property
    def lock_order(self) -> tuple[int, int, int]:
        """The one order in which a store locks balance rows (no batch sorts first)."""
        return (self.item_id, self.location_id, -1 if self.batch_id is None else self.batch_id)


@dataclass(frozen=True, slots=True)
class Balance:
    """On hand and reserved quantities of one key."""

    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def plus(self, delta: Delta) -> Balance:
        return Balance(self.on_hand + delta.on_hand, self.reserved + delta.reserved)

    def __str__(self) -> str:
        return f"on hand {self.on_hand}, reserved {self.reserved}"


@dataclass(frozen=True, slots=True)
class Delta:
    """A change to one balance row.

    ``guarded`` means the store must apply it with a guarded update that refuses
    when ``on_hand − reserved`` would end below zero (and then answer
    ``insufficient_stock``). The store must also keep ``reserved ≥ 0`` always.
    """

    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    guarded: bool = False

    def plus(self, other: Delta) -> Delta:
        return Delta(
            self.on_hand + other.on_hand,
            self.reserved + other.reserved,
            self.guarded or other.guarded,
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who and what caused a movement (DESIGN §4 invariant 5)."""

    tenant_id: int
    document_id: int
    document_version: int
    rule: str
    event: str
    actor_id: int


@dataclass(frozen=True, slots=True)
class Movement:
    """One journal row: ``qty`` of an item (and batch) from one location to another.

    ``id`` is ``None`` until stored. ``unit_cost`` is the cost given on a receipt,
    or ``None`` when valuation decides it (issues, moves, counts). ``key`` is unique
    in the journal (the effect key plus the movement's index in its posting).
    """

    id: int | None
    tenant_id: int
    item_id: int
    batch_id: int | None
    from_location_id: int
    to_location_id: int
    qty: Decimal
    unit_cost: Decimal | None
    provenance: Provenance
    key: str
    posted_at: datetime
    reversal_of: int | None = None

    def with_id(self, movement_id: int) -> Movement:
        return Movement(movement_id, self.tenant_id, self.item_id, self.batch_id,
                        self.from_location_id, self.to_location_id, self.qty, self.unit_cost,
                        self.provenance, self.key, self.posted_at, self.reversal_of)

    def source_key(self) -> BalanceKey:
        return BalanceKey(self.item_id, self.from_location_id, self.batch_id)

    def destination_key(self) -> BalanceKey:
        return BalanceKey(self.item_id, self.to_location_id, self.batch_id)


class ReservationState(Enum):
    PENDING = "pending"
    POSTED = "posted"
    RELEASED = "released"
    EXPIRED = "expired"


class ReservationAction(Enum):
    POST = "post"
    RELEASE = "release"
    EXPIRE = "expire"


RESERVATION_TRANSITIONS: Mapping[tuple[ReservationState, ReservationAction], ReservationState] = (
    MappingProxyType(
        {
            (ReservationState.PENDING, ReservationAction.POST): ReservationState.POSTED,
            (ReservationState.PENDING, ReservationAction.RELEASE): ReservationState.RELEASED,
            (ReservationState.PENDING, ReservationAction.EXPIRE): ReservationState.EXPIRED,
        }
    )
)


def next_state(state: ReservationState, action: ReservationAction) -> ReservationState | None:
    """The state after ``action``, or ``None`` when the table forbids it."""
    return RESERVATION_TRANSITIONS.get((state, action))


@dataclass(frozen=True, slots=True)
class Reservation:
    """``qty`` of one balance key held for a document until posted, released or expired."""

    id: int | None
    tenant_id: int
    key: BalanceKey
    qty: Decimal
    provenance: Provenance
    state: ReservationState = ReservationState.PENDING
    expires_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.state is ReservationState.PENDING

    def with_id(self, reservation_id: int) -> Reservation:
        return replace(self, id=reservation_id)


def due_reservations(reservations: Iterable[Reservation], now: datetime) -> list[int]:
    """Ids of pending reservations whose ``expires_at`` is at or before ``now``, sorted:
    what an expiry timer hands to ``plan_expire``."""
    return sorted(
        r.id
        for r in reservations
        if r.pending and r.id is not None and r.expires_at is not None and r.expires_at <= now
    )


class BomKind(Enum):
    BOM = "bom"
    RECIPE = "recipe"


@dataclass(frozen=True, slots=True)
class BomLine:
    """``qty`` of ``component_id`` (in ``unit``) per ``Bom.output_qty`` of the parent.

    ``loss_pct`` inflates the need by ``× (1 + loss/100)``; ``yield_pct`` divides it
    by ``yield/100`` (100 = no loss). ``phantom`` lines are always exploded through;
    ``max_depth`` caps how many levels below this component may still be exploded
    (``0``: use the component as it is, even if it has its own BOM).
    """

    component_id: int
    qty: Decimal
    unit: str | None = None  # None: the component's base unit
    loss_pct: Decimal = ZERO
    yield_pct: Decimal = Decimal(100)
    phantom: bool = False
    max_depth: int | None = None


@dataclass(frozen=True, slots=True)
class Bom:
    """A bill of materials or a recipe: ``output_qty`` of ``item_id`` needs ``lines``."""

    item_id: int
    lines: tuple[BomLine, ...]
    output_qty: Decimal = Decimal(1)
    kind: BomKind = BomKind.BOM
    id: int | None = None
