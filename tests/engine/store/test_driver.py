"""The hot-path driver: set-based row sources and statements sent together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.ledger.model import LocationKind
from engine.services import identity, posting, stock
from engine.services.posting import Effect, Origin
from engine.store import Store
from engine.store.driver import Driver
from engine.store.ledger_reads import in_list
from engine.store.ledger_repo import LedgerRepo

KEYS = "SELECT key FROM postings WHERE tenant_id = ? ORDER BY key"
POSTING = ("INSERT INTO postings (tenant_id, key, digest, operation, posted_at, result) "
           "SELECT column1, column2, column3, column4, column5, column6 FROM {rows} "
           "RETURNING key, result")
TYPES = ("bigint", "text", "text", "text", "timestamp", "json")


def _postings(d: Driver, tenant_id: int, *keys: str) -> tuple[str, list[Any]]:
    at = d.time(datetime(2026, 11, 22, 8, 30, tzinfo=UTC))
    rows, params = d.source(TYPES, [(tenant_id, key, "0" * 64, "receive", at,
                                     d.json({"code": "ok", "key": key})) for key in keys])
    return POSTING.format(rows=rows), params


def test_a_row_source_carries_every_type(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id

    def work(session: Session) -> list[Any]:
        d = Driver.of(session)
        return d.all(*_postings(d, tenant, "a", "b", "c"))

    rows = store.run(work)
    assert [(key, _parsed(result)) for key, result in rows] == [
        (k, {"code": "ok", "key": k}) for k in "abc"]
    stamps = store.run(lambda s: Driver.of(s).all(
        "SELECT posted_at FROM postings WHERE tenant_id = ?", [tenant]))
    assert {str(stamp).replace("T", " ")[:19] for (stamp,) in stamps} == {"2026-11-22 08:30:00"}


def test_statements_sent_together_answer_after_the_block(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id

    def work(session: Session) -> tuple[list[Any], list[Any], list[Any], bool]:
        d = Driver.of(session)
        with d.together():
            first = d.later(*_postings(d, tenant, "a"))
            second = d.later(*_postings(d, tenant, "b"))
            seen_inside = d.all(KEYS, [tenant])  # waits for everything sent so far
            pipelined = d.sqlite or d.raw.pgconn.pipeline_status != pq.PipelineStatus.OFF
        return first.all(), second.all(), seen_inside, pipelined

    first, second, inside, pipelined = store.run(work)
    assert [k for k, _ in first] == ["a"] and [k for k, _ in second] == ["b"]
    assert inside == [("a",), ("b",)]
    assert pipelined  # PostgreSQL really was in pipeline mode inside the block


def test_an_error_sent_together_surfaces_and_nothing_is_kept(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id
    store.run(lambda s: Driver.of(s).all(*_postings(Driver.of(s), tenant, "a")))

    def work(session: Session) -> None:
        d = Driver.of(session)
        with d.together():
            d.later(*_postings(d, tenant, "b"))
            d.later(*_postings(d, tenant, "a"))  # the key is taken
            d.later(*_postings(d, tenant, "c"))

    with pytest.raises(IntegrityError):
        store.run(work)
    assert store.run(lambda s: Driver.of(s).all(KEYS, [tenant])) == [("a",)]


def test_one_driver_per_transaction(store: Store) -> None:
    def work(session: Session) -> bool:
        return Driver.of(session) is Driver.of(session)

    assert store.run(work)


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # SQLite keeps the text


def test_a_list_of_keys_matches_keys_with_quotes_commas_and_backslashes(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id
    odd = ['a"b', "c,d", "e\\f", "{g}", "h i", "NULL", "汉字"]

    def work(session: Session) -> list[Any]:
        d = Driver.of(session)
        d.all(*_postings(d, tenant, *odd, "other"))
        where, params = in_list(d, "key", odd)
        return d.all(f"SELECT key FROM postings WHERE tenant_id = ? AND {where}",
                     [tenant, *params])

    assert sorted(key for (key,) in store.run(work)) == sorted(odd)


def test_items_and_locations_are_found_by_odd_codes(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id
    other = identity.create_tenant(store, "other").id
    odd = ['a"b', "c,d", "e\\f", "{g}", "面粉"]
    ids = {code: stock.create_item(store, tenant, code, code, "kg") for code in odd}
    stock.create_item(store, other, "c,d", "elsewhere", "kg")  # another tenant's
    here = stock.create_location(store, tenant, "仓,1", "Store", LocationKind.STORE)

    def work(session: Session) -> tuple[dict[str, int], dict[str, int], list[int] | None]:
        return LedgerRepo(session).codes_and_reservations(
            tenant, {*odd, "nothing"}, {"仓,1", "nowhere"}, None)

    assert store.run(work) == (ids, {"仓,1": here}, None)


def test_what_the_driver_writes_in_a_savepoint_is_rolled_back_with_it(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id

    def work(session: Session) -> list[Any]:
        Driver.of(session)  # a driver the session remembers, before the savepoint
        savepoint = session.begin_nested()
        d = Driver.of(session)
        d.all(*_postings(d, tenant, "inside"))
        savepoint.rollback()
        d = Driver.of(session)
        d.all(*_postings(d, tenant, "after"))
        return d.all("SELECT key FROM postings WHERE tenant_id = ? ORDER BY key", [tenant])

    assert store.run(work) == [("after",)]


def test_codes_and_a_documents_pending_reservations_are_read_together(store: Store) -> None:
    tenant = identity.create_tenant(store, "acme").id
    flour = stock.create_item(store, tenant, "面粉", "Flour", "kg")
    here = stock.create_location(store, tenant, "S1", "Store", LocationKind.STORE)
    stock.create_location(store, tenant, "SUP", "Suppliers", LocationKind.SUPPLIER)
    assert posting.post_event(store, tenant, Origin(41), [Effect("in", "receive", {
        "item_id": flour, "qty": Decimal(5), "to_location_id": here})]).ok
    held = posting.post_event(store, tenant, Origin(42), [Effect("hold", "reserve", {
        "item_id": flour, "qty": Decimal(2), "location_id": here})])
    assert held.ok

    def read(document_id: int | None) -> Any:
        return store.run(lambda s: LedgerRepo(s).codes_and_reservations(
            tenant, {"面粉", "nothing"}, {"S1"}, document_id))

    assert read(42) == ({"面粉": flour}, {"S1": here}, [r.id for r in held.reservations])
    assert read(43) == ({"面粉": flour}, {"S1": here}, [])
    assert read(None) == ({"面粉": flour}, {"S1": here}, None)
