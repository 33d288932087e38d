"""Posting through the store, on SQLite and PostgreSQL, with every invariant checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from stockworld import World

from engine.ledger.planning import CountLine
from engine.ledger.results import Result
from engine.services import posting
from engine.services.posting import Effect, Origin
from engine.store import Store


@pytest.fixture
def world(store: Store) -> Iterator[World]:
    w = World(store)
    yield w
    w.check()  # every invariant, after every test


def test_receive_then_issue(world: World) -> None:
    assert world.receive("10 A1 @WH cost 2.5").ok
    result = world.issue("4 A1 @WH")
    assert result.code is Result.OK and len(result.movements) == 1
    assert world.on_hand("A1", "WH") == D(6)
    # Conservation: the supplier gave 10, the customer holds 4, the warehouse 6.
    assert (world.on_hand("A1", "SUP"), world.on_hand("A1", "CUS")) == (D(-10), D(4))


def test_insufficient_stock_posts_nothing(world: World) -> None:
    world.receive("3 A1 @WH")
    result = world.issue("5 A1 @WH")
    assert result.code is Result.INSUFFICIENT_STOCK
    assert result.problem().code == "ledger.insufficient_stock"
    assert world.on_hand("A1", "WH") == D(3)


def test_an_event_posts_all_its_effects_or_none(world: World) -> None:
    world.receive("5 A1 @WH")
    world.receive("1 B2 @WH")
    origin = Origin(7, 1, "sale.rules", "approved")
    effects = [
        Effect("doc:7:a", "issue", {"item_id": world.items["A1"], "qty": D(2),
                                    "from_location_id": world.loc("WH")}),
        Effect("doc:7:b", "issue", {"item_id": world.items["B2"], "qty": D(2),
                                    "from_location_id": world.loc("WH")}),
    ]
    refused = posting.post_event(world.store, world.tenant_id, origin, effects)
    assert refused.code is Result.INSUFFICIENT_STOCK and refused.details["effect"] == "doc:7:b"
    assert world.on_hand("A1", "WH") == D(5)  # the first line was not kept either
    world.receive("1 B2 @WH")
    done = posting.post_event(world.store, world.tenant_id, origin, effects)
    assert done.ok and len(done.movements) == 2


def test_same_key_is_posted_once(world: World) -> None:
    first = world.receive("10 A1 @WH cost 1", key="po:1:approved:r:0")
    again = world.receive("10 A1 @WH cost 1", key="po:1:approved:r:0")
    assert again.code is Result.EXISTS
    assert [m.id for m in again.movements] == [m.id for m in first.movements]
    different = world.receive("11 A1 @WH cost 1", key="po:1:approved:r:0")
    assert different.code is Result.EXISTS_WITH_DIFFERENT_PAYLOAD
    assert world.on_hand("A1", "WH") == D(10)


def test_fefo_picks_the_earliest_expiry_and_refuses_expired(world: World) -> None:
    today = datetime.now(UTC).date()
    soon = (today + timedelta(days=3)).isoformat()
    late = (today + timedelta(days=30)).isoformat()
    gone = (today - timedelta(days=1)).isoformat()
    world.receive(f"5 MILK @WH batch L-LATE exp {late} cost 3")
    world.receive(f"5 MILK @WH batch L-SOON exp {soon} cost 3")
    issued = world.issue("7 MILK @WH")
    picked = [(m.batch_id, m.qty) for m in issued.movements]
    assert picked == [(world.batch("MILK", "L-SOON"), D(5)), (world.batch("MILK", "L-LATE"), D(2))]
    world.receive(f"2 MILK @WH batch OLD exp {gone}")
    assert world.issue("5 MILK @WH").code is Result.BATCH_EXPIRED
    assert world.post("scrap", item_id=world.items["MILK"], qty=D(2),
                      from_location_id=world.loc("WH"),
                      batch_id=world.batch("MILK", "OLD")).ok  # scrapping expired stock


def test_transfer_through_transit(world: World) -> None:
    world.receive("8 A1 @S1")
    shipped = world.post("ship", item_id=world.items["A1"], qty=D(3),
                         from_location_id=world.loc("S1"))
    assert shipped.ok and world.on_hand("A1", "TRANSIT") == D(3)
    received = world.post("transit_receive", shipped_ids=[m.id for m in shipped.movements],
                          to_location_id=world.loc("S2"))
    assert received.ok
    assert (world.on_hand("A1", "S1"), world.on_hand("A1", "TRANSIT"),
            world.on_hand("A1", "S2")) == (D(5), D(0), D(3))


def test_count_locks_the_location_and_posts_differences(world: World) -> None:
    world.receive("10 A1 @S1")
    world.receive("4 B2 @S1")
    posting.open_count(world.store, world.tenant_id, world.loc("S1"))
    assert world.issue("1 A1 @S1").code is Result.LOCATION_LOCKED
    lines = [CountLine(world.items["A1"], world.loc("S1"), D(8)),
             CountLine(world.items["B2"], world.loc("S1"), D(5))]
    counted = posting.post(world.store, world.tenant_id, "count", "count:1", Origin(9),
                           {"lines": lines}, close_counts=True)
    assert counted.ok
    assert (world.on_hand("A1", "S1"), world.on_hand("B2", "S1")) == (D(8), D(5))
    assert (world.on_hand("A1", "ADJ"), world.on_hand("B2", "ADJ")) == (D(2), D(-1))
    assert world.issue("1 A1 @S1").ok  # the count closed the lock


def test_reserve_release_and_a_reserved_issue(world: World) -> None:
    world.receive("10 A1 @S1")
    held = world.post("reserve", doc=5, item_id=world.items["A1"], qty=D(6),
                      location_id=world.loc("S1"))
    assert held.ok and world.reserved("A1", "S1") == D(6)
    assert world.issue("5 A1 @S1").code is Result.INSUFFICIENT_STOCK  # only 4 available
    issued = world.post("issue", doc=5, item_id=world.items["A1"], qty=D(6),
                        from_location_id=world.loc("S1"),
                        reservation_ids=[r.id for r in held.reservations])
    assert issued.ok and world.reserved("A1", "S1") == D(0)
    world.post("reserve", doc=6, item_id=world.items["A1"], qty=D(3),
               location_id=world.loc("S1"))
    assert world.post("release", doc=6).ok and world.reserved("A1", "S1") == D(0)
    assert world.post("release", doc=6, reservation_ids=[held.reservations[0].id]).code is \
        Result.RESERVATION_NOT_PENDING


def test_reverse_once_and_never_a_reversal(world: World) -> None:
    received = world.receive("5 A1 @WH cost 2")
    reversal = world.post("reverse", movement_ids=[received.movements[0].id])
    assert reversal.ok and world.on_hand("A1", "WH") == D(0)
    again = world.post("reverse", movement_ids=[received.movements[0].id])
    assert again.code is Result.ALREADY_REVERSED
    back = world.post("reverse", movement_ids=[reversal.movements[0].id])
    assert back.code is Result.NOT_REVERSIBLE


def test_cancelling_a_document_reverses_all_its_movements(world: World) -> None:
    world.receive("5 A1 @WH", doc=3)
    world.receive("2 B2 @WH", doc=3)
    undone = world.post("reverse", doc=3)
    assert undone.ok and len(undone.movements) == 2
    assert world.on_hand("A1", "WH") == world.on_hand("B2", "WH") == D(0)


def test_the_journal_refuses_updates_and_deletes(world: World) -> None:
    world.receive("5 A1 @WH")
    for sql in ("UPDATE movements SET qty = qty + 1", "DELETE FROM movements"):
        with pytest.raises(DBAPIError, match="append-only"):
            with world.store.session() as s:
                s.execute(text(sql))


def test_past_dated_postings_are_refused(world: World) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    result = posting.post(world.store, world.tenant_id, "receive", "k", Origin(1),
                          {"item_id": world.items["A1"], "qty": D(1),
                           "to_location_id": world.loc("WH")}, at=yesterday)
    assert result.code is Result.PAST_DATED


def test_other_tenants_items_are_unknown(world: World, store: Store) -> None:
    other = World(store, "other")
    result = world.post("receive", item_id=other.items["A1"], qty=D(1),
                        to_location_id=world.loc("WH"))
    assert result.code is Result.UNKNOWN_ITEM
    result = world.post("receive", item_id=world.items["A1"], qty=D(1),
                        to_location_id=other.loc("WH"))
    assert result.code is Result.UNKNOWN_LOCATION


def test_fifo_valuation_costs_issues_from_the_oldest_layer(world: World) -> None:
    world.receive("10 A1 @WH cost 2")
    world.receive("10 A1 @WH cost 3")
    issued = world.issue("15 A1 @WH")
    with world.store.session(write=False) as s:
        value = s.execute(text("SELECT value FROM movements WHERE id = :i"),
                          {"i": issued.movements[0].id}).scalar_one()
    assert D(value) / 10_000 == D(35)  # 10 × 2 + 5 × 3


def layers(world: World, item: str) -> list[tuple[int, D, D]]:
    """The item's stored cost layers: (seq, qty, value)."""
    with world.store.session(write=False) as s:
        rows = s.execute(text("SELECT seq, qty, value FROM cost_layers WHERE tenant_id = :t "
                              "AND item_id = :i ORDER BY seq"),
                         {"t": world.tenant_id, "i": world.items[item]}).all()
    return [(seq, D(qty).scaleb(-6), D(value).scaleb(-4)) for seq, qty, value in rows]


def test_stored_fifo_layers_follow_every_posting(world: World) -> None:
    for cost in ("2", "3", "4"):
        world.receive(f"10 A1 @WH cost {cost}")
    assert layers(world, "A1") == [(1, 10, 20), (2, 10, 30), (3, 10, 40)]
    world.issue("15 A1 @WH")  # the first layer goes, the second halves, the third stays
    assert layers(world, "A1") == [(2, 5, 15), (3, 10, 40)]
    assert world.move("5 A1 @WH -> S1").ok  # between stores: the value stays pooled
    assert layers(world, "A1") == [(2, 5, 15), (3, 10, 40)]
    assert world.receive("1 A1 @WH cost 5").ok
    assert world.issue("11 A1 @WH").ok
    assert layers(world, "A1") == [(3, 4, 16), (4, 1, 5)]
    assert world.issue("5 A1 @S1").ok
    assert layers(world, "A1") == []
    assert world.receive("2 A1 @WH cost 6").ok
    assert layers(world, "A1") == [(5, 2, 12)]


def test_moving_average_valuation(world: World) -> None:
    world.receive("10 AVG @WH cost 2")
    world.receive("10 AVG @WH cost 3")
    issued = world.issue("4 AVG @WH")
    with world.store.session(write=False) as s:
        value = s.execute(text("SELECT value FROM movements WHERE id = :i"),
                          {"i": issued.movements[0].id}).scalar_one()
    assert D(value) / 10_000 == D(10)  # 4 × 2.5


def test_moving_between_stores_keeps_value(world: World) -> None:
    world.receive("10 A1 @WH cost 2")
    moved = world.move("10 A1 @WH -> S1")
    assert moved.ok
    issued = world.issue("10 A1 @S1")
    with world.store.session(write=False) as s:
        values = s.execute(text("SELECT value FROM movements ORDER BY id")).scalars().all()
    assert [None if v is None else D(v) / 10_000 for v in values] == [D(20), None, D(20)]
    assert issued.ok


def test_verify_reports_a_tampered_balance(world: World) -> None:
    world.receive("5 A1 @WH")
    with world.store.session() as s:
        s.execute(text("UPDATE balances SET on_hand = on_hand + 1000000"))
    with pytest.raises(AssertionError, match="balance_equals_journal"):
        world.check()
    with world.store.session() as s:
        s.execute(text("UPDATE balances SET on_hand = on_hand - 1000000"))


def test_due_reservations_expire_once(world: World) -> None:
    world.receive("10 A1 @S1")
    soon = datetime.now(UTC) + timedelta(minutes=5)
    held = world.post("reserve", doc=8, item_id=world.items["A1"], qty=D(4),
                      location_id=world.loc("S1"), expires_at=soon)
    assert held.ok and world.reserved("A1", "S1") == D(4)
    assert posting.expire_due(world.store) == 0  # not due yet
    later = posting.CallContext(None, "timer", clock=lambda: soon + timedelta(seconds=1))
    assert posting.expire_due(world.store, later) == 1
    assert posting.expire_due(world.store, later) == 0
    assert world.reserved("A1", "S1") == D(0)


def test_transit_holds_real_stock_picked_fefo_and_never_overdrawn(world: World) -> None:
    today = datetime.now(UTC).date()
    world.receive(f"4 MILK @S1 batch LATE exp {(today + timedelta(days=20)).isoformat()}")
    world.receive(f"4 MILK @S1 batch SOON exp {(today + timedelta(days=2)).isoformat()}")
    assert world.move("6 MILK @S1 -> TRANSIT").ok
    arrived = world.move("3 MILK @TRANSIT -> S2")  # no batch named: picked like a shelf
    assert arrived.ok
    assert [m.batch_id for m in arrived.movements] == [world.batch("MILK", "SOON")]
    assert world.move("4 MILK @TRANSIT -> S2").code is Result.INSUFFICIENT_STOCK  # 3 left
