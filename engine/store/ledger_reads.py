"""The posting path's reads, on the driver cursor: effect digests and the snapshot core.

One query (a ``UNION ALL`` of five) reads the stored digests of an event's effect
keys together with the items, locations (with their open-count flag, plus every
virtual location), balances and batches a plan needs. Plain reads, no locks: the
guarded updates of :mod:`engine.store.ledger_apply` check the plan again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from engine.ledger.model import (
    INTERNAL_KINDS,
    Balance,
    BalanceKey,
    Batch,
    Item,
    Location,
    LocationKind,
    Tracking,
    Valuation,
)
from engine.ledger.numbers import QTY_PLACES
from engine.store.driver import Driver, unscaled

_VIRTUAL = tuple(k.value for k in LocationKind if k not in INTERNAL_KINDS)
_KINDS = {k.value: k for k in LocationKind}
_TRACKING = {t.value: t for t in Tracking}
_VALUATION = {v.value: v for v in Valuation}

# One query for the lot: each branch fills typed slots (kind, five integers, six texts).
_FIRST = ("SELECT 'd', " + ", ".join(["CAST(NULL AS BIGINT)"] * 5) + ", key, digest, "
          + ", ".join(["CAST(NULL AS TEXT)"] * 4) + " FROM postings WHERE tenant_id = ? AND {keys}")
_ITEMS = ("SELECT 'i', id, tenant_id, reorder_point, safety_stock, "
          "CAST(allow_negative AS INTEGER), code, name, base_unit, tracking, valuation, "
          "CAST(attributes AS TEXT) FROM items WHERE tenant_id = ? AND {ids}")
_LOCATIONS = (
    "SELECT 'l', id, tenant_id, parent_id, CAST(allow_negative AS INTEGER), CAST(EXISTS ("
    "SELECT 1 FROM count_sessions c WHERE c.tenant_id = locations.tenant_id "
    "AND c.location_id = locations.id AND c.state = 'open') AS INTEGER), code, name, kind, "
    "NULL, NULL, NULL FROM locations WHERE tenant_id = ? AND ({ids} OR kind IN ("
    + ", ".join(f"'{k}'" for k in _VIRTUAL) + "))")
_BALANCES = ("SELECT 'b', item_id, location_id, batch_key, on_hand, reserved, NULL, NULL, "
             "NULL, NULL, NULL, NULL FROM balances WHERE tenant_id = ? AND {items} "
             "AND {locations}")
_BATCHES = ("SELECT 't', id, tenant_id, item_id, first_receipt_seq, NULL, code, {made}, "
            "{expires}, NULL, NULL, NULL FROM batches WHERE tenant_id = ? AND ({ids} OR id IN "
            "(SELECT batch_key FROM balances WHERE tenant_id = ? AND {items} AND {locations}))")
_DIGESTS = "SELECT key, digest FROM postings WHERE tenant_id = ? AND {keys}"
OPEN_COUNTS = ("SELECT location_id FROM count_sessions WHERE tenant_id = ? AND state = 'open' "
           "AND {ids}")


@dataclass(frozen=True, slots=True)
class Core:
    """What the hot reads return (the snapshot's master data and balances)."""

    digests: dict[str, str]
    items: dict[int, Item]
    locations: dict[int, Location]
    balances: dict[BalanceKey, Balance]
    batches: dict[int, Batch]
    receipt_seq: dict[int, int]


def in_list(d: Driver, column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``: a placeholder list on SQLite, ``= ANY`` an array
    on PostgreSQL (one statement text whatever the count, so it stays prepared). The
    array travels as its text (``{1,2}``), which psycopg passes as it is instead of
    adapting a list element by element; ``key`` and ``code`` are the text columns."""
    if not d.sqlite:
        if column in ("key", "code"):
            return f"{column} = ANY(?::text[])", [_text_array(values)]
        return f"{column} = ANY(?::bigint[])", ["{" + ",".join(map(str, values)) + "}"]
    if not values:
        return "0 = 1", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def _text_array(values: Collection[str]) -> str:
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _ids_by_codes(d: Driver, table: str, tenant_id: int, codes: Collection[str]
                  ) -> tuple[str, list[Any]]:
    assert table in ("items", "locations"), table
    code_in, params = in_list(d, "code", codes)
    return f"SELECT code, id FROM {table} WHERE tenant_id = ? AND {code_in}", [tenant_id, *params]


PENDING_RESERVATIONS = ("SELECT id FROM reservations WHERE tenant_id = ? AND document_id = ? "
                        "AND state = 'pending' ORDER BY id")


def codes_and_reservations(d: Driver, tenant_id: int, items: Collection[str],
                           locations: Collection[str], document_id: int | None
                           ) -> tuple[dict[str, int], dict[str, int], list[int] | None]:
    """The ids of items and locations by code and (``document_id`` given) the
    document's pending reservations: what turning a rule's effects into postings
    reads, sent together (one round trip on PostgreSQL)."""
    with d.together():
        item_rows = d.later(*_ids_by_codes(d, "items", tenant_id, items)) if items else None
        place_rows = d.later(*_ids_by_codes(d, "locations", tenant_id, locations)) \
            if locations else None
        held = None if document_id is None else d.later(PENDING_RESERVATIONS,
                                                         [tenant_id, document_id])
    return (dict(item_rows.all()) if item_rows else {},
            dict(place_rows.all()) if place_rows else {},
            None if held is None else [rid for (rid,) in held.all()])


def read_core(d: Driver, tenant_id: int, keys: Sequence[str], items: Collection[int],
              locations: Collection[int], batches: Collection[int]) -> Core:
    """Digests of ``keys`` (none read when empty) and the snapshot's core rows."""
    key_in, key_p = in_list(d, "key", keys)
    item_in, item_p = in_list(d, "item_id", items)
    loc_in, loc_p = in_list(d, "location_id", locations)
    id_items, id_items_p = in_list(d, "id", items)
    id_locs, id_locs_p = in_list(d, "id", locations)
    id_batches, id_batches_p = in_list(d, "id", batches)
    dates = ("production_date", "expiry_date") if d.sqlite else (
        "to_char(production_date, 'YYYY-MM-DD')", "to_char(expiry_date, 'YYYY-MM-DD')")
    sql = " UNION ALL ".join((
        _FIRST.format(keys=key_in if keys else "0 = 1"),
        _ITEMS.format(ids=id_items), _LOCATIONS.format(ids=id_locs),
        _BALANCES.format(items=item_in, locations=loc_in),
        _BATCHES.format(made=dates[0], expires=dates[1], ids=id_batches, items=item_in,
                        locations=loc_in)))
    core = Core({}, {}, {}, {}, {}, {})
    for row in d.all(sql, [tenant_id, *(key_p if keys else []),
                           tenant_id, *id_items_p, tenant_id, *id_locs_p,
                           tenant_id, *item_p, *loc_p,
                           tenant_id, *id_batches_p, tenant_id, *item_p, *loc_p]):
        _ADD[row[0]](core, row)
    return core


def _add_digest(core: Core, r: Sequence[Any]) -> None:
    core.digests[r[6]] = r[7]


def _add_item(core: Core, r: Sequence[Any]) -> None:
    attributes = json.loads(r[11]) if r[11] else {}
    core.items[r[1]] = Item(
        r[1], r[2], r[6], r[7], r[8], _TRACKING[r[9]], _VALUATION[r[10]],
        unscaled(r[3], QTY_PLACES), unscaled(r[4], QTY_PLACES), bool(r[5]),
        MappingProxyType({k: str(v) for k, v in attributes.items()}))


def _add_location(core: Core, r: Sequence[Any]) -> None:
    core.locations[r[1]] = Location(r[1], r[2], r[6], r[7], _KINDS[r[8]], r[3], bool(r[4]),
                                    bool(r[5]))


def _add_balance(core: Core, r: Sequence[Any]) -> None:
    core.balances[BalanceKey(r[1], r[2], r[3] or None)] = Balance(
        unscaled(r[4], QTY_PLACES), unscaled(r[5], QTY_PLACES))


def _add_batch(core: Core, r: Sequence[Any]) -> None:
    core.batches[r[1]] = Batch(r[1], r[2], r[3], r[6], _date(r[7]), _date(r[8]))
    if r[4] is not None:
        core.receipt_seq[r[1]] = r[4]


_ADD = {"d": _add_digest, "i": _add_item, "l": _add_location, "b": _add_balance,
        "t": _add_batch}


def read_digests(d: Driver, tenant_id: int, keys: Sequence[str]) -> dict[str, str]:
    key_in, key_p = in_list(d, "key", keys)
    return {k: v for k, v in d.all(_DIGESTS.format(keys=key_in), [tenant_id, *key_p])}


def locked_locations(d: Driver, tenant_id: int, location_ids: Collection[int]) -> set[int]:
    """Which of ``location_ids`` have a count open now."""
    if not location_ids:
        return set()
    ids, params = in_list(d, "location_id", location_ids)
    return {row[0] for row in d.all(OPEN_COUNTS.format(ids=ids), [tenant_id, *params])}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value
