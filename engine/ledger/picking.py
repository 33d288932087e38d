"""Batch picking over a snapshot: FEFO, FIFO or a named batch. Pure.

* Items tracked with expiry pick **FEFO**: earliest expiry first, undated batches
  last, ties by first receipt then batch id. Batches expired on ``today`` (expiry
  date before ``today``) are skipped; if only they could cover the request the
  answer is ``batch_expired``, unless ``allow_expired=True``.
* Items tracked by batch only pick **FIFO** by the batch's first receipt sequence
  (falling back to the batch id), then batch id.
* A named batch is picked alone (still refused when expired).
* Untracked items pick the single key without a batch.

Available = on hand − reserved + ``own_reserved`` (what the posting document itself
holds on that key, consumable by the reserved issue). ``allow_negative`` lets the
last picked key (or the first candidate) take the remainder below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from engine.ledger.model import Balance, BalanceKey, Batch, Item, Tracking
from engine.ledger.numbers import ZERO
from engine.ledger.results import Result, Shortage

_NO_OWN: Mapping[BalanceKey, Decimal] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Stock:
    """A pickable balance: its key, balance, batch and first receipt sequence."""

    key: BalanceKey
    balance: Balance
    batch: Batch | None = None
    receipt_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Pick:
    key: BalanceKey
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Picked:
    """The picks, or a failure code with the shortfall."""

    code: Result
    picks: tuple[Pick, ...] = ()
    shortfall: Decimal = ZERO
    shortages: tuple[Shortage, ...] = ()
    expired_batches: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is Result.OK


def fefo_order(stock: Stock) -> tuple[bool, date, int, int]:
    """Sort key: dated before undated, earliest expiry, first receipt, batch id."""
    expiry = stock.batch.expiry_date if stock.batch else None
    return (expiry is None, expiry or date.max, *_fifo_tail(stock))


def fifo_order(stock: Stock) -> tuple[int, int]:
    """Sort key: first receipt sequence (or batch id), then batch id."""
    return _fifo_tail(stock)


def _fifo_tail(stock: Stock) -> tuple[int, int]:
    batch_id = stock.key.batch_id if stock.key.batch_id is not None else -1
    seq = stock.receipt_seq if stock.receipt_seq is not None else batch_id
    return (seq, batch_id)


def available(stock: Stock, own_reserved: Mapping[BalanceKey, Decimal]) -> Decimal:
    return stock.balance.available + own_reserved.get(stock.key, ZERO)


def pick(
    item: Item,
    location_id: int,
    qty: Decimal,
    stock: Iterable[Stock],
    *,
    today: date,
    batch_id: int | None = None,
    allow_expired: bool = False,
    allow_negative: bool = False,
    own_reserved: Mapping[BalanceKey, Decimal] = _NO_OWN,
) -> Picked:
    """Choose which keys cover ``qty`` of ``item`` at one location.

    ``stock`` holds that item's balances at that location (missing keys count as
    zero; stock of other items or locations is ignored). Untracked items and named
    batches use a single key; the caller has checked the named batch exists and
    belongs to the item.
    """
    here = [s for s in stock if s.key.item_id == item.id and s.key.location_id == location_id]
    if not item.tracking.batched or batch_id is not None:
        key = BalanceKey(item.id, location_id, batch_id)
        found = [s for s in here if s.key == key]
        target = found[0] if found else Stock(key, Balance())
        if not allow_expired and _expired(target, today):
            return Picked(Result.BATCH_EXPIRED, expired_batches=(batch_id or 0,))
        return _greedy(key, qty, [target], own_reserved, allow_negative)
    order = fefo_order if item.tracking is Tracking.BATCH_EXPIRY else fifo_order
    ranked = sorted((s for s in here if s.key.batch_id is not None), key=order)
    usable = [s for s in ranked if allow_expired or not _expired(s, today)]
    whole = BalanceKey(item.id, location_id)
    picked = _greedy(whole, qty, usable, own_reserved, allow_negative)
    if picked.ok or allow_negative:
        return picked
    expired = [s for s in ranked if _expired(s, today)]
    if expired and _greedy(whole, qty, ranked, own_reserved, False).ok:
        ids = tuple(s.key.batch_id for s in expired if s.key.batch_id is not None)
        return Picked(Result.BATCH_EXPIRED, shortfall=picked.shortfall, expired_batches=ids)
    return picked


def _expired(stock: Stock, today: date) -> bool:
    return stock.batch is not None and stock.batch.expired(today)


def _greedy(
    whole: BalanceKey,
    qty: Decimal,
    ranked: list[Stock],
    own_reserved: Mapping[BalanceKey, Decimal],
    allow_negative: bool,
) -> Picked:
    """Take from each key in order; the remainder goes negative only if allowed.

    A shortage is reported against ``whole`` (the key, or item × location without
    batch when several batches were candidates) with the total available.
    """
    picks: list[Pick] = []
    remaining = qty
    for stock in ranked:
        if remaining <= 0:
            break
        take = min(remaining, available(stock, own_reserved))
        if take > 0:
            picks.append(Pick(stock.key, take))
            remaining -= take
    if remaining <= 0:
        return Picked(Result.OK, tuple(picks))
    if allow_negative and ranked:
        return Picked(Result.OK, _extend(picks, ranked, remaining))
    shortage = Shortage(whole, qty, qty - remaining)
    return Picked(Result.INSUFFICIENT_STOCK, shortfall=remaining, shortages=(shortage,))


def _extend(picks: list[Pick], ranked: list[Stock], remaining: Decimal) -> tuple[Pick, ...]:
    """Put ``remaining`` on the last picked key, or on the first candidate."""
    if picks:
        last = picks[-1]
        return (*picks[:-1], Pick(last.key, last.qty + remaining))
    return (Pick(ranked[0].key, remaining),)
