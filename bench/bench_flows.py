"""Durable approval throughput against SpiffWorkflow, in the same run.

The process: the manager approves; when ``amount >= 5000`` finance approves too. Half
the documents take each path, so a document is two or three committed steps (submit,
manager, finance). Flowledger runs it through ``engine.services.documents`` (every
step one transaction: the document row with its flow instance, tasks, timeline,
audit). The baseline runs the same process, written as BPMN in ``bench/approval.bpmn``,
with SpiffWorkflow: every step loads the workflow's row (locked), deserializes it,
completes the ready user task of the acting approver's lane, serializes it with
``BpmnWorkflowSerializer`` and writes it back, in one transaction through the same
database engine — an INSERT at the start, an UPDATE per approval.

A second case runs the same flow on a sales form whose rules issue three lines from
a store on approval: documents per second from submit to posted. SpiffWorkflow has
no stock effects, so its row pairs that case with Spiff's approval-only run.

Run: ``python bench/bench_flows.py`` (``--quick`` for a short run; ``--pg URL`` to
choose the PostgreSQL database, default the test one). Needs SpiffWorkflow installed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from bench.bench_ledger import open_backend
from bench.pairs import Paired, interleave
from engine.ledger.model import LocationKind
from engine.services import definitions, documents, identity, posting, stock
from engine.services.documents import ActionRequest
from engine.services.identity import Principal
from engine.services.posting import Effect, Origin
from engine.store import Store

BPMN = Path(__file__).with_name("approval.bpmn")
THRESHOLD = Decimal(5000)
SEED = Decimal(10) ** 9
LABEL = {"zh": "字段", "en": "Field"}

AMOUNT = {"key": "amount", "type": "money", "required": True, "label": LABEL}
EXPENSE_FORM = {
    "schema_version": 1, "key": "expense", "version": 1,
    "labels": {"zh": "费用", "en": "Expense"},
    "fields": [AMOUNT, {"key": "purpose", "type": "text", "label": LABEL}],
}
SALE_FORM = {
    "schema_version": 1, "key": "sale", "version": 1, "labels": {"zh": "销售", "en": "Sale"},
    "fields": [
        AMOUNT,
        {"key": "store", "type": "location", "required": True, "label": LABEL},
        {"key": "lines", "type": "subform", "required": True, "label": LABEL, "fields": [
            {"key": "item", "type": "item", "required": True, "label": LABEL},
            {"key": "qty", "type": "number", "required": True, "label": LABEL},
        ]},
    ],
}
SALE_RULES = "on sale approved:\n    for line in lines: issue line.qty of line.item from store\n"


def flow(key: str) -> dict[str, Any]:
    """manager (the submitter's department head) → amount >= 5000 ? finance : done."""
    return {
        "schema_version": 1, "key": key, "version": 1,
        "labels": {"zh": "审批", "en": "Approval"},
        "nodes": [
            {"id": "manager", "type": "approval", "labels": {"zh": "经理", "en": "Manager"},
             "approvers": [{"kind": "dept_head", "levels": 1}], "mode": "sequential"},
            {"id": "amount_check", "type": "condition", "branches": [
                {"condition": "amount >= 5000", "nodes": [
                    {"id": "finance", "type": "approval",
                     "labels": {"zh": "财务", "en": "Finance"},
                     "approvers": [{"kind": "role", "role": "finance"}], "mode": "any"}]},
                {"otherwise": True, "nodes": []},
            ]},
        ],
    }


def amount_of(n: int) -> Decimal:
    """Every other document needs finance."""
    return Decimal("7300.00") if n % 2 else Decimal("1200.00")


# Flowledger -------------------------------------------------------------------------

@dataclass(frozen=True)
class Shop:
    store: Store
    tenant_id: int
    people: dict[str, Principal]  # clerk submits, mgr heads the clerk's department, fin


def make_shop(store: Store) -> Shop:
    slug = "bench"
    tid = identity.create_tenant(store, slug).id
    identity.create_role(store, slug, "finance", {"zh": "财务", "en": "Finance"})
    people = {name: identity.create_user(
        store, slug, name, password=f"{name}-password-1", admin=name == "mgr",
        roles=("finance",) if name == "fin" else ()).principal for name in ("mgr", "clerk", "fin")}
    identity.create_department(store, slug, "sales", {"zh": "销售部", "en": "Sales"}, head="mgr")
    identity.set_membership(store, slug, "clerk", department="sales")
    s1 = stock.create_location(store, tid, "S1", "Store 1", LocationKind.STORE)
    stock.create_location(store, tid, "SUP", "Suppliers", LocationKind.SUPPLIER)
    stock.create_location(store, tid, "CUS", "Customers", LocationKind.CUSTOMER)
    items = [stock.create_item(store, tid, f"I{n}", f"Item {n}", "piece") for n in range(3)]
    opening = [Effect(f"open:{item}", "receive", {"item_id": item, "qty": SEED,
                                                  "to_location_id": s1, "unit_cost": Decimal(1)})
               for item in items]
    assert posting.post_event(store, tid, Origin(999_999), opening).ok
    for key, form, rules in (("expense", EXPENSE_FORM, None), ("sale", SALE_FORM, SALE_RULES)):
        definitions.publish(store, tid, "form", key, body=form)
        definitions.publish(store, tid, "flow", key, body=flow(key))
        if rules:
            definitions.publish(store, tid, "rules", key, body={"text": rules})
    return Shop(store, tid, people)


def document(form_key: str, n: int) -> dict[str, Any]:
    data: dict[str, Any] = {"amount": str(amount_of(n))}
    if form_key == "sale":
        data |= {"store": "S1", "lines": [{"item": f"I{i}", "qty": "1"} for i in range(3)]}
    else:
        data["purpose"] = f"bench {n}"
    return data


def engine_run(shop: Shop, form_key: str, docs: int) -> Callable[[], int]:
    counter = itertools.count()
    approve = ActionRequest("approve")

    def run() -> int:
        for _ in range(docs):
            n = next(counter)
            out = documents.submit_new(shop.store, shop.people["clerk"], form_key,
                                       document(form_key, n))
            doc_id = out.document.id
            out = documents.act(shop.store, shop.people["mgr"], doc_id, approve)
            if amount_of(n) >= THRESHOLD:
                out = documents.act(shop.store, shop.people["fin"], doc_id, approve)
            assert out.document.status == "approved", out.document.status
            assert out.movements == (3 if form_key == "sale" else 0), out.movements
        return docs

    return run


# SpiffWorkflow ------------------------------------------------------------------------

class Spiff:
    """The same process in SpiffWorkflow, persisted to ``spiff_workflows`` after every step."""

    def __init__(self, store: Store) -> None:
        self.store = store
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("approval")  # parsed once, as Flowledger compiles once
        registry = BpmnWorkflowSerializer.configure()
        registry.register(Decimal, lambda v: {"value": str(v)},
                          lambda v: Decimal(v["value"]), "Decimal")  # exact money, as ours
        self.serializer = BpmnWorkflowSerializer(registry)
        key = "INTEGER PRIMARY KEY" if store.backend == "sqlite" else "BIGSERIAL PRIMARY KEY"
        with store.session() as s:
            s.execute(text(f"CREATE TABLE IF NOT EXISTS spiff_workflows (id {key}, "
                           "status VARCHAR(20) NOT NULL, serialization TEXT NOT NULL)"))
        self.lock = " FOR UPDATE" if store.backend == "postgresql" else ""

    def start(self, amount: Decimal) -> int:
        with self.store.session() as s:
            workflow = BpmnWorkflow(self.spec)
            start = workflow.get_next_task(state=TaskState.READY)
            assert start is not None
            start.data["amount"] = amount
            workflow.do_engine_steps()
            return int(s.execute(text(
                "INSERT INTO spiff_workflows (status, serialization) VALUES (:st, :js) "
                "RETURNING id"), {"st": "running", "js": self.serializer.serialize_json(
                    workflow)}).scalar_one())

    def approve(self, workflow_id: int, lane: str) -> bool:
        """Complete the ready user task of ``lane``; True when the workflow ended."""
        with self.store.session() as s:
            found = s.execute(text(f"SELECT serialization FROM spiff_workflows WHERE id = :id"
                                   f"{self.lock}"), {"id": workflow_id}).scalar_one()
            workflow = self.serializer.deserialize_json(found)
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.lane == lane)
            task.data["approved_by"] = lane
            task.run()
            workflow.do_engine_steps()
            done = workflow.is_completed()
            s.execute(text("UPDATE spiff_workflows SET status = :st, serialization = :js "
                           "WHERE id = :id"),
                      {"st": "approved" if done else "running", "id": workflow_id,
                       "js": self.serializer.serialize_json(workflow)})
            return done


def spiff_run(spiff: Spiff, docs: int) -> Callable[[], int]:
    counter = itertools.count()

    def run() -> int:
        for _ in range(docs):
            amount = amount_of(next(counter))
            wid = spiff.start(amount)
            done = spiff.approve(wid, "manager")
            if amount >= THRESHOLD:
                done = spiff.approve(wid, "finance")
            assert done
        return docs

    return run


# running ------------------------------------------------------------------------------

def calibrated(make: Callable[[int], Callable[[], int]], seconds: float) -> Callable[[], int]:
    """A run of as many documents (an even number: both paths) as take about ``seconds``,
    after a warm-up (compiled definitions, statement caches, imports)."""
    make(4)()
    probe = time.perf_counter()
    make(10)()
    rate = 10 / (time.perf_counter() - probe)
    return make(max(10, 2 * round(rate * seconds / 2)))


def measure(store: Store, seconds: float, pairs: int) -> list[tuple[str, Paired]]:
    shop, spiff = make_shop(store), Spiff(store)
    baseline = calibrated(lambda n: spiff_run(spiff, n), seconds)
    results = []
    for case, form_key in (("approval flow", "expense"), ("+ 3-line stock rule", "sale")):
        run = calibrated(lambda n, key=form_key: engine_run(shop, key, n), seconds)
        results.append((case, interleave(run, baseline, pairs)))
    with store.session(write=False) as s:  # every Spiff workflow ran to its end, persisted
        states = dict(s.execute(text("SELECT status, COUNT(*) FROM spiff_workflows "
                                     "GROUP BY status")).all())
    assert set(states) == {"approved"}, states
    return results


FORM_KEY = os.environ.get("BENCH_FLOWS_FORM", "expense")


def profile(store: Store, docs: int) -> None:
    """cProfile one run of the approval flow: the engine's functions by cumulative time,
    then everything by own time."""
    import cProfile
    import pstats

    shop = make_shop(store)
    engine_run(shop, FORM_KEY, 10)()  # warm up
    run = engine_run(shop, FORM_KEY, docs)
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"engine/(services|flows|forms|rules|ledger|store)/", 30)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, five pairs")
    parser.add_argument("--pairs", type=int, help="A/B pairs per case (default 7, quick 5)")
    parser.add_argument("--seconds", type=float, help="length of one run (default 1.2)")
    parser.add_argument("--pg", default=os.environ.get(
        "FLOWLEDGER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", type=int, metavar="DOCS",
                        help="instead: cProfile DOCS documents of the approval flow "
                             "(BENCH_FLOWS_FORM=sale: the flow with the 3-line stock rule)")
    args = parser.parse_args()
    pairs = args.pairs or (5 if args.quick else 7)
    seconds = args.seconds or (0.4 if args.quick else 1.2)
    if not args.profile:
        print(f"{'backend':<11}{'case':<22}{'Flowledger doc/s':>17}{'Spiff doc/s':>13}"
              f"{'ratio':>8}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            store, _url, drop = open_backend(backend, args.pg, Path(tmp))
            try:
                if args.profile:
                    print(f"== {backend}")
                    profile(store, args.profile)
                    continue
                for case, result in measure(store, seconds, pairs):
                    flow_case = case == "approval flow"
                    spiff_rate = f"{result.baseline_median:,.0f}" if flow_case else "—"
                    print(f"{backend:<11}{case:<22}{result.engine_median:>17,.1f}"
                          f"{spiff_rate:>13}{result.median_ratio:>8.2f}"
                          f"{'' if flow_case else '*'}", flush=True)
            finally:
                store.dispose()
                drop()
    if not args.profile:
        print(f"doc/s: median of {pairs} runs; ratio: median of the paired Flowledger/Spiff "
              "rates (A B A B …).\n* against Spiff's approval-only runs, interleaved with "
              "it: Spiff has no stock effects.")


if __name__ == "__main__":
    main()
