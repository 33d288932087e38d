"""A Hypothesis state machine over MemoryLedger: every invariant after every step.

This is the model the store's stateful test will follow: the same rules against the
database, compared with MemoryLedger.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from ledger_world import BOLT, LOOSE, MILK, OPEN, PLAIN, TODAY, WH1, WH2, ctx, new_ledger

from engine.ledger.planning import CountLine
from engine.ledger.results import PostingResult, Result

ITEMS = st.sampled_from([PLAIN, MILK, BOLT, LOOSE])
PLACES = st.sampled_from([WH1, WH2, OPEN])  # few places: more contention
QTY = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(12), places=1)
DOCS = st.integers(min_value=1, max_value=4)
BATCH_CODES = st.sampled_from(["A", "B", "C"])
EXPIRY = {"A": TODAY - timedelta(days=2), "B": TODAY + timedelta(days=3), "C": None}
OUTCOMES = {
    Result.OK,
    Result.INSUFFICIENT_STOCK,
    Result.BATCH_EXPIRED,
    Result.BATCH_REQUIRED,
    Result.BATCH_NOT_TRACKED,
    Result.SAME_LOCATION,
    Result.ALREADY_REVERSED,
    Result.NOT_REVERSIBLE,
    Result.RESERVATION_NOT_PENDING,
}


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = new_ledger()
        self.before = list(self.ledger.journal)
        self.done: list[tuple[str, str, dict[str, Any]]] = []

    def batch_for(self, item: int, code: str) -> int | None:
        if item not in (MILK, BOLT):
            return None
        expiry = EXPIRY[code] if item == MILK else None
        return self.ledger.ensure_batch(item, code, expiry).id

    def post(self, operation: str, document: int = 1, **arguments: Any) -> PostingResult:
        self.before = list(self.ledger.journal)
        journal, balances = list(self.ledger.journal), dict(self.ledger.balances)
        context = ctx(document=document)
        result = self.ledger.run(context, operation, **arguments)
        assert result.code in OUTCOMES, result.problem()
        if result.ok:
            self.done.append((context.key, operation, arguments))
        else:
            assert self.ledger.journal == journal and self.ledger.balances == balances
        return result

    @rule(item=ITEMS, place=PLACES, qty=QTY, code=BATCH_CODES)
    def receive(self, item: int, place: int, qty: Decimal, code: str) -> None:
        self.post(
            "receive",
            item_id=item,
            qty=qty,
            to_location_id=place,
            batch_id=self.batch_for(item, code),
            unit_cost=Decimal("1.25"),
        )

    @rule(item=ITEMS, place=PLACES, qty=QTY)
    def issue(self, item: int, place: int, qty: Decimal) -> None:
        self.post("issue", item_id=item, qty=qty, from_location_id=place)

    @rule(item=ITEMS, source=PLACES, to=PLACES, qty=QTY)
    def move(self, item: int, source: int, to: int, qty: Decimal) -> None:
        self.post("move", item_id=item, qty=qty, from_location_id=source, to_location_id=to)

    @rule(item=ITEMS, place=PLACES, qty=QTY, doc=DOCS)
    def reserve(self, item: int, place: int, qty: Decimal, doc: int) -> None:
        self.post("reserve", document=doc, item_id=item, qty=qty, location_id=place)

    @rule(doc=DOCS)
    def release(self, doc: int) -> None:
        if self.ledger.pending(doc):
            self.post("release", document=doc, reservation_ids=self.ledger.pending(doc))

    @rule(doc=DOCS, data=st.data())
    def expire_one(self, doc: int, data: st.DataObject) -> None:
        pending = self.ledger.pending(doc)
        if pending:
            chosen = data.draw(st.sampled_from(pending))
            self.post("expire", reservation_ids=[chosen])

    @rule(doc=DOCS, qty=QTY)
    def issue_reserved(self, doc: int, qty: Decimal) -> None:
        pending = [self.ledger.reservations[r] for r in self.ledger.pending(doc)]
        if pending:
            key = pending[0].key
            same = [
                r.id
                for r in pending
                if (r.key.item_id, r.key.location_id) == (key.item_id, key.location_id)
            ]
            self.post(
                "issue",
                document=doc,
                item_id=key.item_id,
                qty=qty,
                from_location_id=key.location_id,
                reservation_ids=same,
            )

    @rule(
        item=ITEMS,
        place=PLACES,
        counted=st.just(Decimal(0)) | st.decimals(min_value=0, max_value=15, places=1),
        code=BATCH_CODES,
    )
    def count(self, item: int, place: int, counted: Decimal, code: str) -> None:
        line = CountLine(item, place, counted, self.batch_for(item, code))
        self.post("count", lines=[line])

    @precondition(lambda self: bool(self.ledger.journal))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        movement = data.draw(st.sampled_from(self.ledger.journal))
        self.post("reverse", movement_ids=[movement.id])

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        key, operation, arguments = data.draw(st.sampled_from(self.done))
        journal = list(self.ledger.journal)
        context = ctx(key)
        again = self.ledger.run(context, operation, **arguments)
        assert again.code is Result.EXISTS
        assert self.ledger.journal == journal

    @invariant()
    def every_promise_holds(self) -> None:
        violations = self.ledger.verify(journal_before=self.before)
        assert violations == [], [str(v) for v in violations]


LedgerMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
