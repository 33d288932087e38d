"""Ledger posting throughput against a raw-SQL baseline, in the same run.

A document is a 3-line transfer between two stores, posted in one transaction. The
engine posts it through ``engine.services.posting.post_event`` (idempotency check,
snapshot, pure plan, guarded updates in lock order, journal, audit). The baseline does
the same writes by hand with the plain driver (sqlite3 / psycopg): three posting rows,
six guarded balance updates in the same order, three journal rows, and the tenant's
audit event on its hash chain (lock the head, hash, insert the event, move the head),
then commits. The goal (engine ≥ half the baseline) is judged against it. For
reference a second baseline leaves the audit event out: the price of the audit chain,
which the engine always pays. Scenarios: 1 and 8 clients, distinct items per client or
one hot item, on SQLite and PostgreSQL; the three runs rotate round by round. Then a
tenant whose journal already holds 1,000,000 movements is posted to, interleaved with
an empty tenant, to show the journal's size does not slow a posting.

Run: ``make bench-ledger`` (``--quick`` for a short run; ``--pg URL`` to choose the
PostgreSQL database, default the test one).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pairs import Paired, interleave, rounds
from engine.ledger.model import LocationKind
from engine.services import identity, posting, stock
from engine.services.posting import Effect, Origin
from engine.store import Store
from engine.store.migrate import upgrade

SEED = Decimal(10) ** 9
_docs = itertools.count(1)


@dataclass
class Shop:
    tenant_id: int
    s1: int
    s2: int
    hot: int
    items: list[list[int]]  # per client: three items


def make_shop(store: Store, slug: str, clients: int = 8) -> Shop:
    tid = identity.create_tenant(store, slug).id
    s1 = stock.create_location(store, tid, "S1", "Store 1", LocationKind.STORE)
    s2 = stock.create_location(store, tid, "S2", "Store 2", LocationKind.STORE)
    stock.create_location(store, tid, "SUP", "Suppliers", LocationKind.SUPPLIER)
    hot = stock.create_item(store, tid, "HOT", "Hot item", "piece")
    items = [[stock.create_item(store, tid, f"C{c}-{n}", f"C{c}-{n}", "piece")
              for n in range(3)] for c in range(clients)]
    seed = [Effect(f"seed:{i}:{loc}", "receive", {"item_id": i, "qty": SEED,
                                                  "to_location_id": loc, "unit_cost": Decimal(1)})
            for i in [hot, *itertools.chain(*items)] for loc in (s1, s2)]
    assert posting.post_event(store, tid, Origin(0), seed).ok
    return Shop(tid, s1, s2, hot, items)


def lines_for(shop: Shop, client: int, hot: bool) -> list[int]:
    return [shop.hot, *shop.items[client][:2]] if hot else shop.items[client]


# the engine -------------------------------------------------------------------------

def engine_doc(store: Store, shop: Shop, client: int, hot: bool) -> None:
    doc = next(_docs)
    src, dst = (shop.s1, shop.s2) if doc % 2 else (shop.s2, shop.s1)
    effects = [Effect(f"bench:{doc}:{n}", "move", {"item_id": item, "qty": Decimal(1),
                                                    "from_location_id": src,
                                                    "to_location_id": dst})
               for n, item in enumerate(lines_for(shop, client, hot))]
    result = posting.post_event(store, shop.tenant_id, Origin(doc, 1, "bench", "approved"),
                                effects)
    assert result.ok, result.code


# the baseline -------------------------------------------------------------------------

class Raw:
    """One plain-driver connection doing the engine's writes by hand."""

    def __init__(self, url: str, backend: str) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30,
                                             isolation_level=None, check_same_thread=False)
            # the engine's connection settings (engine.store.db), so both pay for the
            # same durability (WAL, synchronous=NORMAL) and the same foreign-key checks
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000",
                           "synchronous=NORMAL"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.p = "?"
        else:
            import psycopg
            from sqlalchemy.engine import make_url

            u = make_url(url)
            self.conn = psycopg.connect(
                host=u.host, port=u.port, user=u.username, dbname=u.database,
                options=u.query.get("options", ""), autocommit=True)
            self.p = "%s"

    def sql(self, text: str) -> str:
        return text.replace("?", self.p)

    def doc(self, shop: Shop, client: int, hot: bool, audit: bool = True) -> None:
        doc = next(_docs)
        src, dst = (shop.s1, shop.s2) if doc % 2 else (shop.s2, shop.s1)
        items = sorted(lines_for(shop, client, hot))
        now = datetime.now(UTC).replace(tzinfo=None)
        tid, unit = shop.tenant_id, 1_000_000
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN")
        try:
            cur.executemany(self.sql(
                "INSERT INTO postings (tenant_id, key, digest, operation, posted_at, result) "
                "VALUES (?, ?, ?, 'move', ?, '{}')"),
                [(tid, f"raw:{doc}:{n}", "0" * 64, now) for n in range(3)])
            for item in items:
                for loc, delta, guarded in sorted([(src, -unit, True), (dst, unit, False)]):
                    guard = " AND on_hand + ? - reserved >= 0" if guarded else ""
                    params = [delta, tid, item, loc] + ([delta] if guarded else [])
                    cur.execute(self.sql(
                        "UPDATE balances SET on_hand = on_hand + ? WHERE tenant_id = ? AND "
                        f"item_id = ? AND location_id = ? AND batch_key = 0{guard} "
                        "RETURNING on_hand"), params)
                    assert cur.fetchone() is not None
            cur.executemany(self.sql(
                "INSERT INTO movements (tenant_id, item_id, from_location_id, to_location_id, "
                "qty, document_id, document_version, rule, event, actor_id, key, posting_key, "
                "posted_at) VALUES (?, ?, ?, ?, ?, ?, 1, 'bench', 'approved', 0, ?, ?, ?)"),
                [(tid, item, src, dst, unit, doc, f"raw:{doc}:{n}/0", f"raw:{doc}:{n}", now)
                 for n, item in enumerate(items)])
            if audit:
                self.audit(cur, tid, doc, now, [f"raw:{doc}:{n}" for n in range(3)])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def audit(self, cur: Any, tid: int, doc: int, now: datetime, keys: list[str]) -> None:
        """The event on the tenant's chain: the head locked, the event hashed onto it."""
        lock = "" if self.backend == "sqlite" else " FOR UPDATE"
        cur.execute(self.sql(f"SELECT seq, hash FROM audit_heads WHERE tenant_id = ?{lock}"),
                    [tid])
        seq, prev = cur.fetchone()
        body = json.dumps({"action": "post:approved", "actor_label": "system", "after": keys,
                           "detail": {"movements": 3, "rule": "bench"}, "object_id": str(doc),
                           "object_type": "document", "occurred_at": now.isoformat(),
                           "seq": seq + 1, "tenant_id": tid}, sort_keys=True)
        digest = hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()
        cur.execute(self.sql(
            "INSERT INTO audit_events (tenant_id, occurred_at, actor_label, object_type, "
            "object_id, action, after_digest, detail, seq, prev_hash, hash) VALUES "
            "(?, ?, 'system', 'document', ?, 'post:approved', ?, ?, ?, ?, ?)"),
            [tid, now, str(doc), hashlib.sha256(json.dumps(keys).encode()).hexdigest(),
             '{"movements": 3, "rule": "bench"}', seq + 1, prev, digest])
        cur.execute(self.sql("UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ?"),
                    [seq + 1, digest, tid])


# running ------------------------------------------------------------------------------

def clients_run(clients: int, docs: int, url: str, shop: Shop, hot: bool, kind: str
                ) -> Callable[[], tuple[int, float]]:
    """A run: ``clients`` forked processes (as web workers would be), each with its own
    connection, released together; the rate counts from that moment to the last one
    done. The engine (``kind`` "engine") and the baselines ("raw", "raw-no-audit") all
    run this way."""
    ctx = multiprocessing.get_context("fork")

    def run() -> tuple[int, float]:
        gate = ctx.Barrier(clients + 1)
        done = ctx.Queue()
        procs = [ctx.Process(target=_client, args=(url, shop, c, docs, hot, kind, gate, done))
                 for c in range(clients)]
        for proc in procs:
            proc.start()
        gate.wait()
        started = time.monotonic()
        finished = [done.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join()
        failures = [f for f in finished if isinstance(f, str)]
        if failures:
            raise RuntimeError(failures[0])
        return clients * docs, max(finished) - started

    return run


def _client(url: str, shop: Shop, client: int, docs: int, hot: bool, kind: str,
            gate: Any, done: Any) -> None:
    global _docs
    _docs = itertools.count(client * 10_000_000 + os.getpid() * 1000)
    try:
        if kind == "engine":
            store = Store(url)
            one: Callable[[], None] = lambda: engine_doc(store, shop, client, hot)  # noqa: E731
        else:
            raw = Raw(url, "sqlite" if url.startswith("sqlite") else "postgresql")
            audit = kind == "raw"
            one = lambda: raw.doc(shop, client, hot, audit)  # noqa: E731
        for _ in range(3):  # warm up: each process compiles its statements once
            one()
        gate.wait()
        for _ in range(docs):
            one()
        done.put(time.monotonic())
    except BaseException as exc:  # reported to the parent
        done.put(f"client {client}: {exc!r}")


def open_backend(name: str, pg_url: str, tmp: Path) -> tuple[Store, str, Callable[[], None]]:
    if name == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        store = Store(url)
        upgrade(store)
        return store, url, lambda: None
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(pg_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    store = Store(url)
    upgrade(store)

    def drop() -> None:
        store.dispose()
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return store, url, drop


def fill_journal(store: Store, backend: str, shop: Shop, rows: int) -> None:
    """Append ``rows`` movements to a tenant's journal with one set-based INSERT."""
    from sqlalchemy import text

    series = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
              "SELECT i FROM n") if backend == "sqlite" else \
        "SELECT i FROM generate_series(1, :rows) AS s(i)"
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO movements (tenant_id, item_id, from_location_id, to_location_id, qty, "
            "document_id, document_version, rule, event, actor_id, key, posting_key, posted_at) "
            f"SELECT :t, :item, :a, :b, 1000000, i, 1, 'fill', 'fill', 0, 'fill:' || i, "
            f"'fill:' || i, :now FROM ({series}) AS q"),
            {"t": shop.tenant_id, "item": shop.hot, "a": shop.s1, "b": shop.s2, "rows": rows,
             "now": datetime.now(UTC).replace(tzinfo=None)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer documents per run")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get(
        "FLOWLEDGER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--journal", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    per_client = {1: 40, 8: 8} if args.quick else {1: 150, 8: 30}
    print(f"{'backend':<11}{'clients':>8}{'items':>10}{'engine doc/s':>14}"
          f"{'raw doc/s':>12}{'ratio':>8}{'raw w/o audit':>15}{'ratio':>8}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            store, url, drop = open_backend(backend, args.pg, Path(tmp))
            try:
                run_backend(backend, store, url, per_client, args)
            finally:
                store.dispose()
                drop()


def run_backend(backend: str, store: Store, url: str, per_client: dict[int, int],
                args: argparse.Namespace) -> None:
    shop = make_shop(store, "bench")
    store.dispose()
    for clients, hot in [(1, False), (1, True), (8, False), (8, True)]:
        docs = per_client[clients]
        engine, raw, bare = rounds([clients_run(clients, docs, url, shop, hot, kind)
                                    for kind in ("engine", "raw", "raw-no-audit")],
                                   count=args.pairs)
        goal, reference = Paired(engine, raw), Paired(engine, bare)
        print(f"{backend:<11}{clients:>8}{'hot' if hot else 'distinct':>10}"
              f"{goal.engine_median:>14,.0f}{goal.baseline_median:>12,.0f}"
              f"{goal.median_ratio:>8.2f}{reference.baseline_median:>15,.0f}"
              f"{reference.median_ratio:>8.2f}")
    big = make_shop(store, "big")
    fill_journal(store, backend, big, args.journal)
    store.dispose()
    docs = per_client[1]
    result = interleave(
        clients_run(1, docs, url, big, False, "engine"),
        clients_run(1, docs, url, shop, False, "engine"),
        pairs=args.pairs)
    print(f"{backend:<11}{'1':>8}{'distinct':>10}{result.engine_median:>14,.0f}"
          f"{result.baseline_median:>12,.0f}{result.median_ratio:>8.2f}"
          f"   ← tenant with {args.journal:,} movements vs. an empty journal")


if __name__ == "__main__":
    main()
