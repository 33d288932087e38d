"""A small world for ledger tests: one tenant, a few items and locations, helpers.

Items: ``PLAIN`` (untracked), ``MILK`` (batch + expiry, FEFO), ``BOLT`` (batch, FIFO),
``LOOSE`` (untracked, negative allowed), ``FOREIGN`` (another tenant's item).
Locations: ``WH1``, ``WH2``, ``SHOP`` (internal), ``OPEN`` (internal, negative
allowed), ``SUPPLIER``, ``CUSTOMER``, ``SCRAP``, ``ADJUST``, ``TRANSIT`` (virtual),
``ELSEWHERE`` (another tenant's warehouse).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.ledger.memory import MemoryLedger
from engine.ledger.model import Item, Location, LocationKind, Provenance, Tracking, Valuation
from engine.ledger.planning import PostingContext
from engine.ledger.results import PostingResult

D = Decimal
TENANT = 1
OTHER_TENANT = 2
TODAY = date(2024, 6, 1)
NOW = datetime(2024, 6, 1, 9, 30)

PLAIN, MILK, BOLT, LOOSE, FOREIGN = 101, 102, 103, 104, 199
WH1, WH2, SHOP, OPEN = 201, 202, 203, 204
SUPPLIER, CUSTOMER, SCRAP, ADJUST, TRANSIT = 301, 302, 303, 304, 305
ELSEWHERE = 399

ITEMS = (
    Item(PLAIN, TENANT, "P-1", "Plain widget", "piece"),
    Item(MILK, TENANT, "M-1", "Milk", "l", Tracking.BATCH_EXPIRY, Valuation.FIFO),
    Item(BOLT, TENANT, "B-1", "Bolt", "piece", Tracking.BATCH),
    Item(LOOSE, TENANT, "L-1", "Loose sugar", "kg", allow_negative=True),
    Item(FOREIGN, OTHER_TENANT, "F-1", "Someone else's", "piece"),
)

LOCATIONS = (
    Location(WH1, TENANT, "WH1", "Main warehouse", LocationKind.WAREHOUSE),
    Location(WH2, TENANT, "WH2", "Second warehouse", LocationKind.WAREHOUSE),
    Location(SHOP, TENANT, "SHOP", "Shop", LocationKind.STORE),
    Location(OPEN, TENANT, "OPEN", "Open shelf", LocationKind.SHELF, allow_negative=True),
    Location(SUPPLIER, TENANT, "SUP", "Suppliers", LocationKind.SUPPLIER),
    Location(CUSTOMER, TENANT, "CUS", "Customers", LocationKind.CUSTOMER),
    Location(SCRAP, TENANT, "SCRAP", "Scrap", LocationKind.SCRAP),
    Location(ADJUST, TENANT, "ADJ", "Inventory adjustment", LocationKind.ADJUSTMENT),
    Location(TRANSIT, TENANT, "TRANSIT", "In transit", LocationKind.TRANSIT),
    Location(ELSEWHERE, OTHER_TENANT, "X", "Another tenant's", LocationKind.WAREHOUSE),
)

_keys = itertools.count(1)


def new_ledger(**kwargs: Any) -> MemoryLedger:
    ledger = MemoryLedger(TENANT, **kwargs)
    ledger.add(*ITEMS, *LOCATIONS)
    return ledger


def ctx(
    key: str | None = None,
    *,
    document: int = 1,
    tenant: int = TENANT,
    today: date = TODAY,
    posted_at: datetime = NOW,
) -> PostingContext:
    """A posting context with a fresh effect key unless one is given."""
    provenance = Provenance(tenant, document, 1, "stock.rules", "approved", 7)
    return PostingContext(provenance, key or f"effect-{next(_keys)}", posted_at, today)


def post(ledger: MemoryLedger, operation: str, **arguments: Any) -> PostingResult:
    """Run one operation under a fresh effect key; ``document=`` sets the document."""
    document = arguments.pop("document", 1)
    today = arguments.pop("today", TODAY)
    return ledger.run(ctx(document=document, today=today), operation, **arguments)


def ok(result: PostingResult) -> PostingResult:
    assert result.ok, result.problem()
    return result
