"""External documents (an ERP's postings, a POS's sales) as ledger events.

Documents made outside Flowledger have no row of their own yet; their provenance
``document_id`` is derived from the caller's reference — a negative number, so it
never meets the ids of Flowledger's own documents — and their effect keys live in
their own namespaces (``api:…`` for postings, ``pos:…`` for sales), so an outside
caller can never take the key of an inside document's effect.

Pure functions only: the views post what these return through
:func:`engine.services.posting.post_event`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import Problem, problem
from engine.ledger.planning import CountLine
from engine.services.posting import Effect, Origin
from engine.services.queries import SaleRefs

POS_RULE = "api.pos"
POS_EVENT = "sale"


def external_document_id(namespace: str, reference: str) -> int:
    """A stable negative id in [-2⁶³, -1] for an outside document reference."""
    digest = hashlib.sha256(f"{namespace}\x1f{reference}".encode()).digest()
    return -(int.from_bytes(digest[:8], "big") >> 1) - 1


def posting_effects(effects: Sequence[Mapping[str, Any]]) -> list[Effect]:
    """The integrator's effects with their keys moved into the ``api:`` namespace."""
    out = []
    for effect in effects:
        arguments = {k: v for k, v in effect.items() if k not in ("key", "operation")}
        if "lines" in arguments:
            arguments["lines"] = [CountLine(ln["item_id"], ln["location_id"], ln["counted"],
                                            ln.get("batch_id")) for ln in arguments["lines"]]
        out.append(Effect(f"api:{effect['key']}", effect["operation"], arguments))
    return out


def posting_origin(data: Mapping[str, Any]) -> Origin:
    return Origin(external_document_id("api", data["document"]), data["version"], data["rule"],
                  data["event"])


@dataclass(frozen=True, slots=True)
class PlannedSale:
    client_id: str
    origin: Origin
    effects: tuple[Effect, ...] = ()
    problem: Problem | None = None  # a code the tenant does not know


def sale_key(client_id: str, line: int) -> str:
    return f"pos:{client_id}:{line}"


def codes_of(sales: Sequence[Mapping[str, Any]]) -> tuple[set[str], set[str], set[tuple[str, str]]]:
    items = {ln["item"] for s in sales for ln in s["lines"]}
    locations = {s["location"] for s in sales}
    batches = {(ln["item"], ln["batch"]) for s in sales for ln in s["lines"] if ln.get("batch")}
    return items, locations, batches


def plan_sale(sale: Mapping[str, Any], refs: SaleRefs) -> PlannedSale:
    """One POS sale as one event: an ``issue`` per line from the sale's location."""
    client_id = sale["client_id"]
    origin = Origin(external_document_id("pos", client_id), 1, POS_RULE, POS_EVENT)
    location_id = refs.locations.get(sale["location"])
    if location_id is None:
        return PlannedSale(client_id, origin, problem=problem(
            "ledger.unknown_location", f"No location '{sale['location']}'",
            f"库位 '{sale['location']}' 不存在", path="location"))
    effects = []
    for n, line in enumerate(sale["lines"]):
        item_id = refs.items.get(line["item"])
        if item_id is None:
            return PlannedSale(client_id, origin, problem=problem(
                "ledger.unknown_item", f"No item '{line['item']}'",
                f"物料 '{line['item']}' 不存在", path=f"lines[{n}].item"))
        arguments: dict[str, Any] = {"item_id": item_id, "qty": line["qty"],
                                     "from_location_id": location_id}
        if line.get("batch"):
            batch_id = refs.batches.get((item_id, line["batch"]))
            if batch_id is None:
                return PlannedSale(client_id, origin, problem=problem(
                    "ledger.unknown_batch", f"No batch '{line['batch']}' of '{line['item']}'",
                    f"物料 '{line['item']}' 没有批次 '{line['batch']}'",
                    path=f"lines[{n}].batch"))
            arguments["batch_id"] = batch_id
        effects.append(Effect(sale_key(client_id, n), "issue", arguments))
    return PlannedSale(client_id, origin, tuple(effects))
