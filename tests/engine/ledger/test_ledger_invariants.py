"""Each invariant holds on honest data and names the broken promise on crafted data."""

from __future__ import annotations

from dataclasses import replace

import pytest
from ledger_world import BOLT, CUSTOMER, FOREIGN, PLAIN, WH1, WH2, D, new_ledger, ok, post

from engine.ledger.invariants import (
    INVARIANTS,
    LedgerData,
    append_only,
    check_all,
    rebuild_balances,
)
from engine.ledger.memory import MemoryLedger
from engine.ledger.model import Balance, BalanceKey, Provenance


@pytest.fixture
def ledger() -> MemoryLedger:
    book = new_ledger()
    ok(post(book, "receive", item_id=PLAIN, qty=D(10), to_location_id=WH1, unit_cost=D(2)))
    ok(post(book, "move", item_id=PLAIN, qty=D(4), from_location_id=WH1, to_location_id=WH2))
    ok(post(book, "reserve", item_id=PLAIN, qty=D(3), location_id=WH1))
    return book


def names(data: LedgerData) -> set[str]:
    return {v.invariant for v in check_all(data)}


def test_registry_is_in_design_order_and_honest_data_passes(ledger: MemoryLedger) -> None:
    assert list(INVARIANTS) == [
        "append_only",
        "balance_equals_journal",
        "conservation_per_item",
        "no_negative_internal",
        "provenance_complete",
        "at_most_once",
        "atomic_effects",
        "tenant_closure",
        "exact_arithmetic",
    ]
    assert ledger.verify(journal_before=list(ledger.journal)) == []


def test_rebuild_balances_from_journal_and_reservations(ledger: MemoryLedger) -> None:
    rebuilt = rebuild_balances(ledger.journal, ledger.reservations.values())
    assert rebuilt[BalanceKey(PLAIN, WH1)] == Balance(D(6), D(3))
    assert rebuilt == {k: v for k, v in ledger.balances.items()}


def test_append_only(ledger: MemoryLedger) -> None:
    before = list(ledger.journal)
    changed = [replace(before[0], qty=D(11)), *before[1:]]
    (violation,) = append_only(before, changed)
    assert violation.invariant == "append_only" and violation.key == "journal[0]"
    assert len(append_only(before, before[:-1])) == 1


def test_balance_equals_journal(ledger: MemoryLedger) -> None:
    ledger.balances[BalanceKey(PLAIN, WH2)] = Balance(D(5))
    violations = [v for v in ledger.verify() if v.invariant == "balance_equals_journal"]
    assert [(v.expected, v.actual) for v in violations] == [
        (str(Balance(D(4))), str(Balance(D(5))))
    ]


def test_conservation_and_no_negative(ledger: MemoryLedger) -> None:
    ledger.balances[BalanceKey(PLAIN, WH1)] = Balance(D(2), D(3))
    found = names(ledger.data())
    assert {"conservation_per_item", "no_negative_internal"} <= found
    bad = replace(ledger.journal[0], to_location_id=ledger.journal[0].from_location_id)
    assert "conservation_per_item" in names(replace(ledger.data(), journal=(bad,)))


def test_provenance_and_tenant_closure(ledger: MemoryLedger) -> None:
    first = ledger.journal[0]
    anonymous = replace(first, provenance=Provenance(1, 1, 1, "", "approved", 7))
    foreign = replace(first, item_id=FOREIGN)
    wrong_batch = replace(first, batch_id=12345)
    other_tenant_prov = replace(first, provenance=replace(first.provenance, tenant_id=2))
    assert "provenance_complete" in names(replace(ledger.data(), journal=(anonymous,)))
    assert "provenance_complete" in names(replace(ledger.data(), journal=(other_tenant_prov,)))
    assert "tenant_closure" in names(replace(ledger.data(), journal=(foreign,)))
    assert "tenant_closure" in names(replace(ledger.data(), journal=(wrong_batch,)))


def test_at_most_once_and_atomic_effects(ledger: MemoryLedger) -> None:
    first, second = ledger.journal
    twice = replace(second, key=first.key)
    assert "at_most_once" in names(replace(ledger.data(), journal=(first, twice)))
    partial = replace(first, key=first.key[:-1] + "1")  # index 1 without index 0
    assert "atomic_effects" in names(replace(ledger.data(), journal=(partial,)))


def test_exact_arithmetic(ledger: MemoryLedger) -> None:
    first = ledger.journal[0]
    inexact = replace(first, qty=D("0.0000001"))
    floaty = replace(first, unit_cost=2.5)  # type: ignore[arg-type]
    for row in (inexact, floaty):
        assert "exact_arithmetic" in names(replace(ledger.data(), journal=(row,)))


def test_check_all_runs_a_selection(ledger: MemoryLedger) -> None:
    ledger.balances[BalanceKey(BOLT, CUSTOMER)] = Balance(D(1))
    assert {v.invariant for v in check_all(ledger.data(), ["conservation_per_item"])} == {
        "conservation_per_item"
    }
    with pytest.raises(AssertionError, match="unknown"):
        check_all(ledger.data(), ["nonsense"])
