"""REST API throughput: gunicorn on PostgreSQL against the same work in-process.

A document is a 3-line transfer between two stores. The clerk submits it
(``POST /api/v1/documents/submit``: validate, number, start the flow, the rules reserve
the three lines at the source store) and the store manager approves it
(``POST /api/v1/documents/{id}/actions``: the rules move the three lines); it counts when
the approval answers 200 with status ``approved``. A client's latency is the time of
both requests. Each client transfers its own three items, so what is measured is the
API and the engine, not one hot balance row (every submit still shares the form's serial
counter, as real documents do).

The HTTP side is gunicorn (sync workers, 2 x cores + 1 by default) with bearer tokens; a
load generator of threads on loopback runs each measurement for a fixed time. The
in-process ceiling does the same two calls through ``engine.services.documents`` in
threads of this process, on the same database. Both connect as a non-owner role, as in
production, so row-level security is in force on both. HTTP and in-process runs are
interleaved (A B A B …) and the ratio is the median of the paired ratios.

Run: ``make bench-api`` (``--quick`` for about a minute; ``--pg URL`` to choose the
PostgreSQL database, default the test one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_ledger import open_backend
from bench.pairs import interleave
from engine.errors import EngineError
from engine.ledger.model import LocationKind
from engine.services import definitions, documents, identity, posting, stock, verify
from engine.services.documents import ActionRequest
from engine.services.identity import Principal
from engine.services.posting import Effect, Origin
from engine.store import Store, tenancy
from engine.store.db import make_engine
from engine.store.migrate import grant_app_role

ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "flowledger_bench"  # NOLOGIN, non-owner: entered with SET ROLE at connect
OPENING = Decimal(10) ** 7  # per item at the source store: never runs out
WorkerFn = Callable[[], str | None]  # one document; None when approved, else why not
STOP = threading.Event()  # set on the way out: clients finish their document and stop
_clients: list[threading.Thread] = []

# the transfer desk of tests/designer/api/desk.py: reserve on submit, move on approval
FORM = {
    "schema_version": 1, "key": "transfer", "version": 1,
    "labels": {"zh": "调拨单", "en": "Transfer"},
    "fields": [
        {"key": "no", "type": "serial", "label": {"zh": "单号", "en": "No."},
         "pattern": "DB-{yyyyMMdd}-{seq:4}"},
        {"key": "from_store", "type": "location", "required": True,
         "label": {"zh": "调出", "en": "From"}},
        {"key": "to_store", "type": "location", "required": True,
         "label": {"zh": "调入", "en": "To"}},
        {"key": "lines", "type": "subform", "required": True,
         "label": {"zh": "明细", "en": "Lines"}, "totals": ["amount"],
         "fields": [
             {"key": "item", "type": "item", "required": True,
              "label": {"zh": "商品", "en": "Item"}},
             {"key": "qty", "type": "number", "required": True, "precision": 3, "min": 0,
              "label": {"zh": "数量", "en": "Qty"}},
             {"key": "price", "type": "money", "required": True,
              "label": {"zh": "单价", "en": "Price"}},
             {"key": "amount", "type": "formula", "expression": "qty * price",
              "label": {"zh": "金额", "en": "Amount"}},
         ]},
        {"key": "total", "type": "formula", "expression": "sum(lines.qty * lines.price)",
         "label": {"zh": "总金额", "en": "Total"}},
    ],
}

FLOW = {
    "schema_version": 1, "key": "transfer", "version": 1,
    "labels": {"zh": "调拨审批", "en": "Transfer approval"},
    "settings": {"withdraw": "before_any_action"},
    "nodes": [
        {"id": "store_manager", "type": "approval",
         "labels": {"zh": "店长", "en": "Store manager"},
         "approvers": [{"kind": "dept_head", "levels": 1}], "mode": "sequential"},
        {"id": "amount_check", "type": "condition", "branches": [
            {"condition": "total >= 5000", "nodes": [
                {"id": "finance", "type": "approval",
                 "labels": {"zh": "财务会签", "en": "Finance"},
                 "approvers": [{"kind": "role", "role": "finance"}], "mode": "all"}]},
            {"otherwise": True, "nodes": []},
        ]},
    ],
}

RULES = """\
on transfer submitted:
    for line in lines: reserve line.qty of line.item at from_store
on transfer approved:
    for line in lines: move line.qty of line.item from from_store to to_store
on transfer rejected, withdrawn:
    release reservations
"""


# the shop ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shop:
    tenant_id: int
    clerk: Principal
    manager: Principal
    clerk_token: str
    manager_token: str
    items: int

    @staticmethod
    def transfer(client: int) -> dict[str, Any]:
        return {"from_store": "S1", "to_store": "S2", "lines": [
            {"item": f"I{client}-{n}", "qty": "1", "price": "2.50"} for n in range(3)]}


def make_shop(store: Store, clients: int) -> Shop:
    """A tenant with two stores, three items per client stocked at S1, the transfer
    form, flow and rules published, a clerk in store 1 and its manager."""
    slug = "bench"
    tid = identity.create_tenant(store, slug).id
    stock.create_location(store, tid, "HQ", "HQ", LocationKind.COMPANY)
    s1 = stock.create_location(store, tid, "S1", "Store 1", LocationKind.STORE, parent="HQ")
    stock.create_location(store, tid, "S2", "Store 2", LocationKind.STORE, parent="HQ")
    stock.create_location(store, tid, "SUP", "Suppliers", LocationKind.SUPPLIER)
    items = [stock.create_item(store, tid, f"I{c}-{n}", f"Item {c}-{n}", "piece")
             for c in range(clients) for n in range(3)]
    opening = [Effect(f"opening:{item}", "receive", {
        "item_id": item, "qty": OPENING, "to_location_id": s1, "unit_cost": Decimal(2)})
        for item in items]
    posted = posting.post_event(store, tid, Origin(999_999), opening)
    assert posted.ok, posted
    people = {name: identity.create_user(store, slug, name, password="long-enough-pw",
                                         admin=name == "boss").principal
              for name in ("boss", "s1mgr", "clerk")}
    identity.create_role(store, slug, "finance", {"en": "Finance"})
    identity.create_department(store, slug, "hq", {"en": "HQ"}, head="boss")
    identity.create_department(store, slug, "store1", {"en": "Store 1"}, parent="hq",
                               head="s1mgr")
    identity.set_membership(store, slug, "clerk", department="store1")
    for kind, body in (("form", FORM), ("flow", FLOW), ("rules", {"text": RULES})):
        definitions.publish(store, tid, kind, "transfer", body=body)
    token = {name: identity.create_token(store, slug, name, "bench").token
             for name in ("clerk", "s1mgr")}
    return Shop(tid, people["clerk"], people["s1mgr"], token["clerk"], token["s1mgr"],
                len(items))


# one document, two ways ------------------------------------------------------------------

class Client:
    """One HTTP client on loopback (gunicorn's sync workers close every connection)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            self.conn.request("POST", path, json.dumps(body).encode(), headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            return 0, {"code": type(exc).__name__}
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {"code": "not JSON"}


def http_worker(port: int, shop: Shop, client: int) -> WorkerFn:
    conn = Client(port)
    data = {"form": "transfer", "data": shop.transfer(client)}

    def one() -> str | None:
        status, body = conn.post("/api/v1/documents/submit", shop.clerk_token, data)
        if status != 201:
            return f"submit {status} {body.get('code', '')}"
        doc = body["document"]["id"]
        status, body = conn.post(f"/api/v1/documents/{doc}/actions", shop.manager_token,
                                 {"action": "approve"})
        if status != 200:
            return f"approve {status} {body.get('code', '')}"
        return None if body["document"]["status"] == "approved" else "approve 200 not-approved"

    return one


def inproc_worker(store: Store, shop: Shop, client: int) -> WorkerFn:
    data = shop.transfer(client)
    approve = ActionRequest("approve")

    def one() -> str | None:
        phase = "submit"
        try:
            with tenancy.scope(shop.tenant_id):  # what a request does once authenticated
                out = documents.submit_new(store, shop.clerk, "transfer", data,
                                           ctx=shop.clerk.context("127.0.0.1"))
                phase = "approve"
                done = documents.act(store, shop.manager, out.document.id, approve,
                                     ctx=shop.manager.context("127.0.0.1"))
        except EngineError as exc:
            return f"{phase} {exc.status} {exc.code}"
        except Exception as exc:  # counted as a server error
            return f"{phase} 500 {type(exc).__name__}"
        return None if done.document.status == "approved" else "approve 200 not-approved"

    return one


# running --------------------------------------------------------------------------------

@dataclass
class Tally:
    """What the runs of one side at one concurrency did."""

    docs: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, approved documents
    errors: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0  # this process's CPU seconds (the load generator, for HTTP)


def timed(clients: int, seconds: float, make: Callable[[int], WorkerFn], tally: Tally
          ) -> Callable[[], tuple[int, float]]:
    """A run: ``clients`` threads released together, each submitting and approving
    documents one after another until ``seconds`` have passed (at least one each); the
    rate counts from the release to the last one done."""
    def run() -> tuple[int, float]:
        gate = threading.Barrier(clients + 1)
        finished = [0.0] * clients
        partial = [Tally() for _ in range(clients)]

        def client(c: int) -> None:
            one, mine = make(c), partial[c]
            gate.wait()
            deadline = time.perf_counter() + seconds
            while True:  # at least one document each
                start = time.perf_counter()
                try:
                    failed = one()
                except Exception as exc:  # a malformed answer: counted as a server error
                    failed = f"client 0 {type(exc).__name__}"
                if failed is None:
                    mine.docs += 1
                    mine.latencies.append(time.perf_counter() - start)
                else:
                    mine.errors[failed] += 1
                if time.perf_counter() >= deadline or STOP.is_set():
                    break
            finished[c] = time.perf_counter()

        threads = [threading.Thread(target=client, args=(c,), daemon=True)
                   for c in range(clients)]
        _clients[:] = threads
        for thread in threads:
            thread.start()
        cpu = time.process_time()
        gate.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        tally.cpu += time.process_time() - cpu
        for mine in partial:
            tally.docs += mine.docs
            tally.latencies += mine.latencies
            tally.errors += mine.errors
        return sum(m.docs for m in partial), max(finished) - started

    return run


def stop_clients() -> None:
    """Let running clients finish the document in hand, so that nothing still uses
    the schema when it is dropped (after an error or SIGTERM mid-run)."""
    STOP.set()
    for thread in _clients:
        thread.join(timeout=60)


# gunicorn -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int) -> Iterator[int]:
    """gunicorn serving designer.wsgi:app on 127.0.0.1; stopped when the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLEDGER_")}
    env.update(FLOWLEDGER_DATABASE_URL=database_url, FLOWLEDGER_INSTANCE_PATH=str(instance),
               FLOWLEDGER_SECRET_KEY=secrets.token_hex(32), FLOWLEDGER_REDIS_URL="")
    log = instance / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
             "sync", "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level",
             "warning", "designer.wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_healthy(proc, port, log)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errors = [line for line in log.read_text(errors="replace").splitlines()
                  if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line]
        if errors:
            print(f"gunicorn logged {len(errors)} error lines, e.g. {errors[0]}")


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not healthy after 60 s:\n{log.read_text()[-3000:]}")


# the benchmark ----------------------------------------------------------------------------

def as_app_role(url: str) -> str:
    """The same database and schema, entered as the non-owner role (SET ROLE at connect)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.update_query_dict({"options": f"{u.query['options']} -crole={APP_ROLE}"}
                               ).render_as_string(hide_password=False)


def create_app_role(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$")
    grant_app_role(store, APP_ROLE)


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    if len(latencies) < 2:
        return (latencies[0] * 1000,) * 3 if latencies else (float("nan"),) * 3
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about a minute)")
    parser.add_argument("--seconds", type=float,
                        help="documents are started for this long in each run (default 5, "
                             "quick 0.5); a run ends when the last one is approved")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn sync workers (default 2 x cores + 1)")
    parser.add_argument("--pg", default=os.environ.get(
        "FLOWLEDGER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop gunicorn, drop the schema
    seconds = args.seconds or (0.5 if args.quick else 5.0)
    levels = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        owner, url, drop = open_backend("postgresql", args.pg, Path(tmp))
        try:
            create_app_role(owner)
            shop = make_shop(owner, max(levels))
            app_url = as_app_role(url)
            inproc = Store(app_url, engine=make_engine(app_url, pool_size=max(levels) + 2,
                                                       max_overflow=0))
            try:
                with gunicorn(app_url, Path(tmp), args.workers) as port:
                    print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}, "
                          f"PostgreSQL as role {APP_ROLE} (row-level security on); "
                          f"{args.pairs} pairs of {seconds:g} s runs per row")
                    ok = bench(port, inproc, shop, levels, seconds, args.pairs)
                ok = check(owner, shop) and ok
            finally:
                stop_clients()
                inproc.dispose()
        finally:
            owner.dispose()
            drop()
    sys.exit(0 if ok else 1)


def bench(port: int, inproc: Store, shop: Shop, levels: list[int], seconds: float,
          pairs: int) -> bool:
    def over_http(c: int) -> WorkerFn:
        return http_worker(port, shop, c)

    def in_process(c: int) -> WorkerFn:
        return inproc_worker(inproc, shop, c)

    warm = (Tally(), Tally())  # caches filled once, then every gunicorn worker and the pool
    timed(1, 0, over_http, warm[0])()
    timed(1, 0, in_process, warm[1])()
    timed(max(levels), min(2 * seconds, 2.0), over_http, warm[0])()
    timed(max(levels), min(2 * seconds, 2.0), in_process, warm[1])()
    print("ratio = HTTP doc/s ÷ in-process doc/s, the median of the paired runs")
    print(f"{'clients':>7}{'HTTP doc/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'in-proc doc/s':>15}{'ratio':>8}")
    tallies: list[tuple[int, Tally, Tally]] = []
    for clients in levels:
        web, local = Tally(), Tally()
        result = interleave(timed(clients, seconds, over_http, web),
                            timed(clients, seconds, in_process, local), pairs=pairs)
        p50, p95, p99 = percentiles(web.latencies)
        print(f"{clients:>7}{result.engine_median:>12,.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
              f"{result.baseline_median:>15,.1f}{result.median_ratio:>8.2f}", flush=True)
        tallies.append((clients, web, local))
    return report(tallies, warm)


def report(tallies: list[tuple[int, Tally, Tally]], warm: tuple[Tally, Tally]) -> bool:
    """Refusals and failures per row (the table counts approved documents only);
    False when anything answered 5xx or the connection failed."""
    server = 0
    for clients, web, local in [(0, *warm), *tallies]:
        for side, tally in (("HTTP", web), ("in-process", local)):
            where = f"at {clients} clients" if clients else "in the warm-up"
            if tally.errors:
                print(f"{side} {where}, not approved: {dict(tally.errors)}")
            server += sum(n for why, n in tally.errors.items()
                          if why.split()[1] == "0" or why.split()[1].startswith("5"))
        if clients:
            print(f"{clients:>3} clients: {web.docs:,} documents approved over HTTP, "
                  f"{local.docs:,} in-process; the load generator used "
                  f"{web.cpu / max(web.docs, 1) * 1000:.1f} ms CPU per HTTP document")
    refused = sum(sum(t.errors.values()) for _, w, lo in [(0, *warm), *tallies]
                  for t in (w, lo))
    print(f"documents not approved: {refused}; server errors (5xx or connection "
          f"failures): {server}")
    return server == 0


def check(owner: Store, shop: Shop) -> bool:
    """After the load every ledger invariant holds, and the journal holds the opening
    receipts plus three moves per approved document."""
    from sqlalchemy import text

    with owner.engine.connect() as conn:
        approved = conn.execute(text(
            "SELECT count(*) FROM documents WHERE tenant_id = :t AND status = 'approved'"),
            {"t": shop.tenant_id}).scalar_one()
    [ledger] = verify.verify(owner, "bench")
    expected = shop.items + 3 * approved
    print(f"ledger: {ledger.movements:,} movements for {approved:,} approved documents "
          f"(expected {expected:,}); "
          f"{'no violations' if ledger.ok else f'{len(ledger.violations)} VIOLATIONS'}")
    return ledger.ok and ledger.movements == expected

if __name__ == "__main__":
    main()
