"""A small shop on a real database, spoken in the domain's words.

``world.receive("10 A1 @WH cost 2.5")``, ``world.issue("3 A1 @S1")`` and friends post
through :mod:`engine.services.posting`; ``world.check()`` runs every ledger invariant.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal
from typing import Any

from engine.ledger.model import LocationKind, Tracking, Valuation
from engine.ledger.results import PostingResult
from engine.services import identity, posting, stock, verify
from engine.services.posting import Origin
from engine.store import Store

LOCATIONS = {
    "HQ": LocationKind.COMPANY, "WH": LocationKind.WAREHOUSE, "S1": LocationKind.STORE,
    "S2": LocationKind.STORE, "SUP": LocationKind.SUPPLIER, "CUS": LocationKind.CUSTOMER,
    "SCRAP": LocationKind.SCRAP, "ADJ": LocationKind.ADJUSTMENT, "TRANSIT": LocationKind.TRANSIT,
}
PHRASE = re.compile(r"^(?P<qty>[\d.]+) (?P<item>\w+)(?: @(?P<loc>\w+))?(?: -> (?P<to>\w+))?"
                    r"(?: batch (?P<batch>\S+))?(?: exp (?P<exp>\S+))?(?: cost (?P<cost>\S+))?$")


class World:
    def __init__(self, store: Store, slug: str = "shop") -> None:
        self.store = store
        self.tenant_id = identity.create_tenant(store, slug).id
        self.locations: dict[str, int] = {}
        for code, kind in LOCATIONS.items():
            parent = "HQ" if kind.internal and code != "HQ" else None
            self.locations[code] = stock.create_location(
                store, self.tenant_id, code, code, kind, parent=parent)
        self.items: dict[str, int] = {}
        self.item("A1")
        self.item("B2")
        self.item("MILK", tracking=Tracking.BATCH_EXPIRY)
        self.item("AVG", valuation=Valuation.MOVING_AVERAGE)
        self._keys = itertools.count(1)

    def item(self, code: str, **options: Any) -> int:
        self.items[code] = stock.create_item(self.store, self.tenant_id, code, code, "piece",
                                             **options)
        return self.items[code]

    def loc(self, code: str) -> int:
        return self.locations[code]

    def batch(self, item: str, code: str, expiry: str | None = None) -> int:
        return stock.ensure_batch(self.store, self.tenant_id, item, code,
                                  expiry=date.fromisoformat(expiry) if expiry else None)

    def key(self) -> str:
        return f"test:{next(self._keys)}"

    default_doc = 1  # the document postings are filed under unless a test names one

    def post(self, operation: str, key: str | None = None, doc: int | None = None,
             **arguments: Any) -> PostingResult:
        origin = Origin(self.default_doc if doc is None else doc, 1, "test.rules", "approved")
        return posting.post(self.store, self.tenant_id, operation, key or self.key(), origin,
                            arguments)

    def _parse(self, phrase: str) -> dict[str, Any]:
        m = PHRASE.match(phrase)
        assert m, f"cannot read {phrase!r}"
        args: dict[str, Any] = {"item_id": self.items[m["item"]], "qty": Decimal(m["qty"])}
        if m["batch"]:
            args["batch_id"] = self.batch(m["item"], m["batch"], m["exp"])
        if m["cost"]:
            args["unit_cost"] = Decimal(m["cost"])
        return {"args": args, "loc": m["loc"], "to": m["to"]}

    def receive(self, phrase: str, **kw: Any) -> PostingResult:
        p = self._parse(phrase)
        return self.post("receive", to_location_id=self.loc(p["loc"]), **p["args"], **kw)

    def issue(self, phrase: str, **kw: Any) -> PostingResult:
        p = self._parse(phrase)
        return self.post("issue", from_location_id=self.loc(p["loc"]), **p["args"], **kw)

    def move(self, phrase: str, **kw: Any) -> PostingResult:
        p = self._parse(phrase)
        return self.post("move", from_location_id=self.loc(p["loc"]),
                         to_location_id=self.loc(p["to"]), **p["args"], **kw)

    def on_hand(self, item: str, loc: str) -> Decimal:
        lines = self._lines(item, loc)
        return sum((ln.on_hand for ln in lines), Decimal(0))

    def reserved(self, item: str, loc: str) -> Decimal:
        return sum((ln.reserved for ln in self._lines(item, loc)), Decimal(0))

    def _lines(self, item: str, loc: str) -> list[Any]:
        from engine.store.ledger_repo import LedgerRepo

        with self.store.session(write=False) as s:
            return LedgerRepo(s).stock(self.tenant_id, item_ids=[self.items[item]],
                                       location_ids=[self.loc(loc)], internal_only=False)

    def check(self) -> None:
        reports = verify.verify(self.store)
        broken = [str(v) for r in reports for v in r.violations]
        assert broken == [], broken
