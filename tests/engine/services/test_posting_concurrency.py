"""Real concurrent connections against the store: never oversold, never deadlocked."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from stockworld import World

from engine.ledger.model import LocationKind
from engine.ledger.results import PostingResult, Result
from engine.services import posting, stock
from engine.services.posting import Effect, Origin
from engine.store import Store

pytestmark = pytest.mark.slow


def run_concurrently(n: int, job: Callable[[int], PostingResult]) -> list[PostingResult]:
    barrier = threading.Barrier(n)
    results: list[PostingResult | None] = [None] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = job(i)
        except BaseException as exc:  # surfaced below: nothing may escape to callers
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:3]
    return [r for r in results if r is not None]


def test_64_concurrent_issues_of_one_from_50(store: Store) -> None:
    world = World(store)
    world.receive("50 A1 @S1 cost 1")
    results = run_concurrently(64, lambda i: world.issue("1 A1 @S1", key=f"sale:{i}"))
    codes = Counter(r.code for r in results)
    assert codes == {Result.OK: 50, Result.INSUFFICIENT_STOCK: 14}
    assert world.on_hand("A1", "S1") == D(0)
    with store.session(write=False) as s:
        issues = s.execute(text("SELECT count(*) FROM movements WHERE from_location_id = :l"),
                           {"l": world.loc("S1")}).scalar_one()
    assert issues == 50
    world.check()


def test_400_concurrent_two_leg_transfers_among_8_locations(store: Store) -> None:
    world = World(store)
    places = [world.loc(c) for c in ("WH", "S1", "S2")]
    for n in range(5):
        world.locations[f"X{n}"] = stock.create_location(
            store, world.tenant_id, f"X{n}", f"X{n}", LocationKind.STORE)
        places.append(world.locations[f"X{n}"])
    for place in places:
        for item in ("A1", "B2"):
            world.post("receive", item_id=world.items[item], qty=D(20), to_location_id=place)
    rng = random.Random(20261122)
    plans = [(rng.sample(places, 2), rng.randint(1, 6)) for _ in range(400)]

    def transfer(i: int) -> PostingResult:
        (src, dst), qty = plans[i]
        legs = [Effect(f"tr:{i}:{item}", "move", {
            "item_id": world.items[item], "qty": D(qty), "from_location_id": src,
            "to_location_id": dst}) for item in (("A1", "B2") if i % 2 else ("B2", "A1"))]
        return posting.post_event(store, world.tenant_id, Origin(1000 + i), legs)

    results: list[PostingResult] = []
    for batch in range(0, 400, 50):  # 8 waves of 50 threads, all hitting the same rows
        results += run_concurrently(50, lambda i, b=batch: transfer(b + i))
    codes = Counter(r.code for r in results)
    assert set(codes) <= {Result.OK, Result.INSUFFICIENT_STOCK}, codes
    assert codes[Result.OK] > 200
    for item in ("A1", "B2"):
        total = sum(world.on_hand(item, code) for code in ("WH", "S1", "S2", *(
            f"X{n}" for n in range(5))))
        assert total == D(160)  # conserved exactly
    with store.session(write=False) as s:
        negative = s.execute(text("SELECT count(*) FROM balances WHERE on_hand < reserved "
                                  "AND location_id IN (SELECT id FROM locations WHERE kind "
                                  "IN ('store', 'warehouse'))")).scalar_one()
    assert negative == 0
    world.check()


def test_the_same_effect_sent_twice_at_once_posts_once(store: Store) -> None:
    world = World(store)
    world.receive("10 A1 @S1")
    results = run_concurrently(8, lambda i: world.issue("3 A1 @S1", key="pos:till1:42"))
    assert Counter(r.code for r in results) == {Result.OK: 1, Result.EXISTS: 7}
    assert len({tuple(m.id for m in r.movements) for r in results}) == 1
    assert world.on_hand("A1", "S1") == D(7)
    world.check()
