"""The ledger's promises (DESIGN §4) as named pure checks over in-memory data.

Each check returns a list of :class:`Violation` (empty: the promise holds). Tests
call :func:`check_all` after every operation; ``flowledger verify`` loads the
tenant's rows into a :class:`LedgerData` and reports each violation by name.
:data:`INVARIANTS` is the registry, in DESIGN order. Balances are never trusted:
:func:`rebuild_balances` derives them from the journal and reservations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from engine.ledger.model import (
    Balance,
    BalanceKey,
    Batch,
    Item,
    Location,
    Movement,
    Reservation,
)
from engine.ledger.numbers import COST_PLACES, QTY_PLACES, ZERO, is_exact


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken promise: which, where, what was expected, what was found."""

    invariant: str
    key: str
    expected: str
    actual: str
    message: str

    def __str__(self) -> str:
        return f"{self.invariant} at {self.key}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True, slots=True)
class LedgerData:
    """What the checks read; ``journal_before`` enables the append-only check."""

    journal: Sequence[Movement]
    balances: Mapping[BalanceKey, Balance]
    reservations: Sequence[Reservation] = ()
    items: Mapping[int, Item] = field(default_factory=lambda: MappingProxyType({}))
    locations: Mapping[int, Location] = field(default_factory=lambda: MappingProxyType({}))
    batches: Mapping[int, Batch] = field(default_factory=lambda: MappingProxyType({}))
    journal_before: Sequence[Movement] | None = None


def _show(key: BalanceKey) -> str:
    return f"item {key.item_id}/location {key.location_id}/batch {key.batch_id}"


def rebuild_balances(
    journal: Iterable[Movement], reservations: Iterable[Reservation] = ()
) -> dict[BalanceKey, Balance]:
    """Balances from first principles: movements for on hand, pending reservations
    for reserved. Keys that net to zero are kept (a store may keep them too)."""
    on_hand: dict[BalanceKey, Decimal] = defaultdict(lambda: ZERO)
    reserved: dict[BalanceKey, Decimal] = defaultdict(lambda: ZERO)
    for m in journal:
        on_hand[m.source_key()] -= m.qty
        on_hand[m.destination_key()] += m.qty
    for r in reservations:
        if r.pending:
            reserved[r.key] += r.qty
    keys = sorted({*on_hand, *reserved}, key=lambda k: k.lock_order)
    return {k: Balance(on_hand[k], reserved[k]) for k in keys}


def append_only(before: Sequence[Movement], after: Sequence[Movement]) -> list[Violation]:
    """1. Rows once written are never changed or removed."""
    out = []
    for index, row in enumerate(before):
        now = after[index] if index < len(after) else None
        if now != row:
            out.append(
                Violation(
                    "append_only",
                    f"journal[{index}]",
                    repr(row),
                    repr(now),
                    "a journal row was changed or removed: post a reversal instead",
                )
            )
    return out


def balance_equals_journal(
    balances: Mapping[BalanceKey, Balance],
    journal: Iterable[Movement],
    reservations: Iterable[Reservation] = (),
) -> list[Violation]:
    """2. Every stored balance equals the sum of its journal rows (and reservations)."""
    rebuilt = rebuild_balances(journal, reservations)
    out = []
    for key in sorted({*balances, *rebuilt}, key=lambda k: k.lock_order):
        stored, derived = balances.get(key, Balance()), rebuilt.get(key, Balance())
        if stored != derived:
            out.append(
                Violation(
                    "balance_equals_journal",
                    _show(key),
                    str(derived),
                    str(stored),
                    "the balance differs from its journal: rebuild it",
                )
            )
    return out


def conservation_per_item(
    balances: Mapping[BalanceKey, Balance], journal: Iterable[Movement]
) -> list[Violation]:
    """3. Each movement has a distinct source and destination and a positive
    quantity, so each item's on hand sums to zero over all locations."""
    out = []
    for m in journal:
        if m.from_location_id == m.to_location_id or m.qty <= 0:
            out.append(
                Violation(
                    "conservation_per_item",
                    m.key,
                    "source ≠ destination, qty > 0",
                    f"{m.from_location_id}→{m.to_location_id} qty {m.qty}",
                    "a movement must go somewhere else with a positive quantity",
                )
            )
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for key, balance in balances.items():
        totals[key.item_id] += balance.on_hand
    for item_id in sorted(totals):
        if totals[item_id] != 0:
            out.append(
                Violation(
                    "conservation_per_item",
                    f"item {item_id}",
                    "0",
                    str(totals[item_id]),
                    "stock appeared or vanished: every movement needs both ends",
                )
            )
    return out


def no_negative_internal(
    balances: Mapping[BalanceKey, Balance],
    items: Mapping[int, Item],
    locations: Mapping[int, Location],
) -> list[Violation]:
    """4. On hand − reserved ≥ 0 at internal locations unless item or location allows
    negative; reserved ≥ 0 everywhere."""
    out = []
    for key, balance in balances.items():
        location, item = locations.get(key.location_id), items.get(key.item_id)
        checked = (
            location is not None
            and location.internal
            and not location.allow_negative
            and not (item is not None and item.allow_negative)
        )
        if balance.reserved < 0 or (checked and balance.available < 0):
            out.append(
                Violation(
                    "no_negative_internal",
                    _show(key),
                    "available ≥ 0 and reserved ≥ 0",
                    str(balance),
                    "stock went below zero where it is not allowed",
                )
            )
    return out


def provenance_complete(
    journal: Iterable[Movement], reservations: Iterable[Reservation] = ()
) -> list[Violation]:
    """5. Every movement (and reservation) names tenant, document, version, rule,
    event and actor, and its provenance is of its own tenant."""
    out = []
    rows: list[tuple[str, int, object]] = [(m.key, m.tenant_id, m.provenance) for m in journal]
    rows += [(f"reservation {r.id}", r.tenant_id, r.provenance) for r in reservations]
    for key, tenant_id, p in rows:
        complete = (
            p is not None
            and getattr(p, "tenant_id", None) == tenant_id
            and all(
                getattr(p, name, None) not in (None, "")
                for name in ("document_id", "document_version", "rule", "event", "actor_id")
            )
        )
        if not complete:
            out.append(
                Violation(
                    "provenance_complete",
                    key,
                    "tenant, document, version, rule, event, actor",
                    repr(p),
                    "a row does not say where it came from",
                )
            )
    return out


def at_most_once(journal: Sequence[Movement]) -> list[Violation]:
    """6. Movement keys and ids are unique; a movement is reversed at most once."""
    out = []
    for label, values in (
        ("key", [m.key for m in journal]),
        ("id", [m.id for m in journal if m.id is not None]),
        ("reversal_of", [m.reversal_of for m in journal if m.reversal_of is not None]),
    ):
        for value, count in sorted(Counter(values).items(), key=lambda kv: str(kv[0])):
            if count > 1:
                out.append(
                    Violation(
                        "at_most_once",
                        f"{label} {value}",
                        "1",
                        str(count),
                        "the same effect was posted more than once",
                    )
                )
    return out


def atomic_effects(journal: Iterable[Movement]) -> list[Violation]:
    """7. An effect's movements are all there: indices ``0 … n−1`` without a gap."""
    indices: dict[str, list[int]] = defaultdict(list)
    for m in journal:
        effect, _, index = m.key.rpartition("/")
        indices[effect].append(int(index) if index.isdigit() else -1)
    return [
        Violation(
            "atomic_effects",
            effect,
            str(list(range(len(found)))),
            str(sorted(found)),
            "only part of an effect was posted",
        )
        for effect, found in sorted(indices.items())
        if sorted(found) != list(range(len(found)))
    ]


def tenant_closure(
    journal: Iterable[Movement],
    items: Mapping[int, Item],
    locations: Mapping[int, Location],
    batches: Mapping[int, Batch],
    reservations: Iterable[Reservation] = (),
) -> list[Violation]:
    """8. A row only touches its own tenant's items, locations and batches."""
    out = []
    rows: list[tuple[str, int, int, tuple[int, ...], int | None]] = [
        (m.key, m.tenant_id, m.item_id, (m.from_location_id, m.to_location_id), m.batch_id)
        for m in journal
    ]
    rows += [
        (f"reservation {r.id}", r.tenant_id, r.key.item_id, (r.key.location_id,), r.key.batch_id)
        for r in reservations
    ]
    for key, tenant, item_id, location_ids, batch_id in rows:
        owners = [_owner(items.get(item_id))]
        owners += [_owner(locations.get(i)) for i in location_ids]
        if batch_id is not None:
            batch = batches.get(batch_id)
            owners.append(_owner(batch) if batch and batch.item_id == item_id else None)
        if any(owner != tenant for owner in owners):
            out.append(
                Violation(
                    "tenant_closure",
                    key,
                    f"tenant {tenant}",
                    str(owners),
                    "a row touches another tenant's data or an unknown reference",
                )
            )
    return out


def _owner(row: Item | Location | Batch | None) -> int | None:
    return None if row is None else row.tenant_id


def exact_arithmetic(
    journal: Iterable[Movement],
    balances: Mapping[BalanceKey, Balance],
    reservations: Iterable[Reservation] = (),
) -> list[Violation]:
    """9. Quantities and costs are ``Decimal`` within their places, never float."""
    out = []
    values: list[tuple[str, object, int]] = []
    for m in journal:
        values.append((f"{m.key}.qty", m.qty, QTY_PLACES))
        if m.unit_cost is not None:
            values.append((f"{m.key}.unit_cost", m.unit_cost, COST_PLACES))
    for key, b in balances.items():
        values += [
            (f"{_show(key)}.on_hand", b.on_hand, QTY_PLACES),
            (f"{_show(key)}.reserved", b.reserved, QTY_PLACES),
        ]
    values += [(f"reservation {r.id}.qty", r.qty, QTY_PLACES) for r in reservations]
    for where, value, places in values:
        if not isinstance(value, Decimal) or not is_exact(value, places):
            out.append(
                Violation(
                    "exact_arithmetic",
                    where,
                    f"Decimal with ≤ {places} places",
                    f"{type(value).__name__} {value!r}",
                    "an inexact number got in",
                )
            )
    return out


Check = Callable[[LedgerData], list[Violation]]

INVARIANTS: Mapping[str, Check] = MappingProxyType(
    {
        "append_only": lambda d: (
            append_only(d.journal_before, d.journal) if d.journal_before is not None else []
        ),
        "balance_equals_journal": lambda d: balance_equals_journal(
            d.balances, d.journal, d.reservations
        ),
        "conservation_per_item": lambda d: conservation_per_item(d.balances, d.journal),
        "no_negative_internal": lambda d: no_negative_internal(d.balances, d.items, d.locations),
        "provenance_complete": lambda d: provenance_complete(d.journal, d.reservations),
        "at_most_once": lambda d: at_most_once(d.journal),
        "atomic_effects": lambda d: atomic_effects(d.journal),
        "tenant_closure": lambda d: tenant_closure(
            d.journal, d.items, d.locations, d.batches, d.reservations
        ),
        "exact_arithmetic": lambda d: exact_arithmetic(d.journal, d.balances, d.reservations),
    }
)


def check_all(data: LedgerData, names: Iterable[str] | None = None) -> list[Violation]:
    """Run the named invariants (all by default), in registry order."""
    wanted = set(INVARIANTS if names is None else names)
    unknown = wanted - set(INVARIANTS)
    assert not unknown, f"unknown invariants: {sorted(unknown)}"
    return [v for name, check in INVARIANTS.items() if name in wanted for v in check(data)]
