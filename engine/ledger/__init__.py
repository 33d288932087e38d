"""The inventory ledger's pure logic: movements, balances, picking, valuation, invariants.

Takes values, returns values; imports nothing from Flask, SQLAlchemy, RQ, Redis or
the other engine packages (a test checks). Modules:

* ``numbers`` — exact Decimal conventions, parsing, rounding, scaled integers;
* ``model`` — items, locations, batches, balances, movements, reservations, BOMs;
* ``units`` — exact unit conversion per item;
* ``results`` — the named result codes and :class:`PostingResult`;
* ``keys`` — effect keys, payload digests, the at-most-once decision;
* ``snapshot`` — what a plan reads, and ``advance`` for bulk planning;
* ``picking`` — FEFO / FIFO / named-batch picking;
* ``planning`` (over ``plan_base``) — ``plan_*`` for every operation,
  ``combine``, ``aggregate_deltas``;
* ``valuation`` — FIFO layers and moving average;
* ``bom`` — BOM and recipe explosion, cycle detection;
* ``invariants`` — DESIGN §4's promises as named checks, ``rebuild_balances``;
* ``memory`` — :class:`MemoryLedger`, the reference the SQL store must match.

A store posts in this order: ``keys.effect_key`` + ``keys.payload_digest`` →
``keys.check_idempotent`` → build a ``Snapshot`` → ``planning.plan_*`` → apply
``result.deltas`` in order with guarded updates → insert movements and reservation
rows → record the key, digest and result → commit. See docs/ledger.md.
"""
