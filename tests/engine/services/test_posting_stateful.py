"""The SQL store against MemoryLedger, the pure reference: same operations, same
answers, same balances, and every invariant after every step (Hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from stockworld import World

from engine.ledger.memory import MemoryLedger
from engine.ledger.model import Balance, Provenance
from engine.ledger.planning import CountLine, PostingContext
from engine.ledger.results import PostingResult, Result
from engine.services import posting
from engine.services.context import CallContext
from engine.services.posting import Origin
from engine.store import Store
from engine.store.ledger_repo import LedgerRepo

NOW = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
QTY = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(9), places=1)
PLACES = st.sampled_from(["WH", "S1", "S2"])
ITEMS = st.sampled_from(["A1", "MILK"])
DOCS = st.integers(min_value=1, max_value=3)
BATCHES = {"OLD": TODAY - timedelta(days=1), "SOON": TODAY + timedelta(days=2),
           "LATE": TODAY + timedelta(days=20)}
_tenants = itertools.count(1)


def machine_for(store: Store) -> type[RuleBasedStateMachine]:
    class StoreVersusMemory(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.world = World(store, f"hyp-{next(_tenants)}")
            self.memory = MemoryLedger(self.world.tenant_id)
            with store.session(write=False) as s:
                snap = LedgerRepo(s).snapshot(self.world.tenant_id, _all(self.world))
            self.memory.add(*snap.items.values(), *snap.locations.values())
            self.batch_ids = {}
            for code, expiry in BATCHES.items():
                bid = self.world.batch("MILK", code, expiry.isoformat())
                self.batch_ids[code] = bid
                with store.session(write=False) as s:
                    snap = LedgerRepo(s).snapshot(self.world.tenant_id, _all(self.world, bid))
                self.memory.add(snap.batches[bid])
            self.moves: dict[int, int] = {}  # store movement id -> memory movement id
            self.holds: dict[int, int] = {}  # store reservation id -> memory reservation id
            self.keys = itertools.count(1)

        def both(self, operation: str, doc: int, **args: Any) -> PostingResult:
            key = f"k{next(self.keys)}"
            ctx = CallContext(7, "hyp", clock=lambda: NOW)
            mem_args = dict(args)
            if "movement_ids" in args:
                mem_args["movement_ids"] = [self.moves[i] for i in args["movement_ids"]]
            if "reservation_ids" in args:
                mem_args["reservation_ids"] = [self.holds[i] for i in args["reservation_ids"]]
            stored = posting.post(store, self.world.tenant_id, operation, key,
                                  Origin(doc, 1, "hyp", "approved"), args, ctx=ctx)
            prov = Provenance(self.world.tenant_id, doc, 1, "hyp", "approved", 7)
            mem = self.memory.run(PostingContext(prov, key, NOW), operation, **mem_args)
            assert stored.code == mem.code, (operation, args, stored.code, mem.code)
            for a, b in zip(stored.movements, mem.movements, strict=True):
                assert (a.item_id, a.batch_id, a.qty) == (b.item_id, b.batch_id, b.qty)
                self.moves[a.id or 0] = b.id or 0
            for a, b in zip(stored.reservations, mem.reservations, strict=True):
                self.holds[a.id or 0] = b.id or 0
            self.compare()
            return stored

        def compare(self) -> None:
            with store.session(write=False) as s:
                snap = LedgerRepo(s).snapshot(self.world.tenant_id, _all(self.world))
            ours = {k: b for k, b in snap.balances.items() if b != Balance()}
            theirs = {k: b for k, b in self.memory.balances.items() if b != Balance()}
            assert ours == theirs
            self.world.check()

        def batch_for(self, item: str, code: str) -> dict[str, Any]:
            return {"batch_id": self.batch_ids[code]} if item == "MILK" else {}

        @rule(item=ITEMS, qty=QTY, place=PLACES, code=st.sampled_from(sorted(BATCHES)))
        def receive(self, item: str, qty: Decimal, place: str, code: str) -> None:
            self.both("receive", 1, item_id=self.world.items[item], qty=qty,
                      to_location_id=self.world.loc(place), unit_cost=Decimal("1.5"),
                      **self.batch_for(item, code))

        @rule(item=ITEMS, qty=QTY, place=PLACES, doc=DOCS)
        def issue(self, item: str, qty: Decimal, place: str, doc: int) -> None:
            self.both("issue", doc, item_id=self.world.items[item], qty=qty,
                      from_location_id=self.world.loc(place))

        @rule(item=ITEMS, qty=QTY, src=PLACES, dst=PLACES)
        def move(self, item: str, qty: Decimal, src: str, dst: str) -> None:
            self.both("move", 1, item_id=self.world.items[item], qty=qty,
                      from_location_id=self.world.loc(src), to_location_id=self.world.loc(dst))

        @rule(item=ITEMS, qty=QTY, place=PLACES, doc=DOCS)
        def reserve(self, item: str, qty: Decimal, place: str, doc: int) -> None:
            self.both("reserve", doc, item_id=self.world.items[item], qty=qty,
                      location_id=self.world.loc(place))

        @rule(doc=DOCS)
        def release(self, doc: int) -> None:
            with store.session(write=False) as s:
                pending = LedgerRepo(s).pending_reservations(self.world.tenant_id, doc)
            self.both("release", doc, reservation_ids=pending)

        @rule(doc=DOCS)
        def expire(self, doc: int) -> None:
            with store.session(write=False) as s:
                pending = LedgerRepo(s).pending_reservations(self.world.tenant_id, doc)
            self.both("expire", doc, reservation_ids=pending[:1])

        @rule(qty=st.decimals(min_value=Decimal(0), max_value=Decimal(9), places=0),
              place=PLACES)
        def count(self, qty: Decimal, place: str) -> None:
            line = CountLine(self.world.items["A1"], self.world.loc(place), qty)
            self.both("count", 1, lines=[line])

        @rule(pick=st.integers(min_value=0, max_value=50))
        def reverse(self, pick: int) -> None:
            if self.moves:
                ids = sorted(self.moves)
                self.both("reverse", 1, movement_ids=[ids[pick % len(ids)]])

    return StoreVersusMemory


def _all(world: World, *batch_ids: int) -> Any:
    from engine.store.ledger_repo import Wanted

    return Wanted(items=frozenset(world.items.values()),
                  locations=frozenset(world.locations.values()),
                  batches=frozenset(batch_ids))


@pytest.mark.slow
def test_store_matches_the_memory_ledger(store: Store) -> None:
    run_state_machine_as_test(machine_for(store), settings=settings(
        max_examples=12, stateful_step_count=15, deadline=None,
        suppress_health_check=list(HealthCheck)))


def test_outcome_set_is_named() -> None:
    assert {r.value for r in Result} >= {"ok", "insufficient_stock", "exists"}
    assert date(2024, 6, 1) == TODAY
