"""Plays a template scenario (``templates_library/<key>/scenarios/*.json``) against a
real database and reads back what the assertions compare: balances per location and
per batch, reservations, movement values, tasks and timelines.

A scenario is data (see docs/templates.md, "Scenarios")::

    {"name": …, "labels": {"zh", "en"},
     "steps": [{"id": "p1", "by": "wh-keeper", "submit": "purchase_in", "data": {…},
                "expect": "in_approval", "tasks": ["head:wh-head"]},
               {"by": "wh-head", "act": "p1", "action": "approve", "expect": "approved"},
               {"by": "s1-clerk", "submit": "sales_out", "data": {…},
                "expect": "refused", "code": "forms.validation_failed"},
               {"check": {"stock": {"COLA-330@TRANSIT": "48"}}}],
     "expect": {"stock": …, "batches": …, "reserved": …, "values": …,
                "approvals": …, "timeline": …, "fields": …, "locked": […]}}

``{"$days": N}`` anywhere in step data becomes the ISO date N days from today, so
expiry dates never go stale.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.errors import EngineError
from engine.services import doc_queries, documents, identity
from engine.services.documents import ActionRequest
from engine.store import Store
from engine.store import ledger_tables as t
from engine.store.doc_tables import DocTask
from engine.store.ledger_repo import LedgerRepo

ROOT = Path(__file__).resolve().parents[2] / "templates_library"


def scenarios(template: str) -> list[Path]:
    return sorted((ROOT / template / "scenarios").glob("*.json"))


def resolve(value: Any, today: date) -> Any:
    """Replace ``{"$days": N}`` by the date N days after ``today``."""
    if isinstance(value, dict):
        if set(value) == {"$days"}:
            return (today + timedelta(days=int(value["$days"]))).isoformat()
        return {k: resolve(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, today) for v in value]
    return value


def amounts(mapping: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in mapping.items()}


@dataclass
class Play:
    store: Store
    tenant: str
    docs: dict[str, int] = field(default_factory=dict)
    _tenant_id: int | None = None

    @property
    def tenant_id(self) -> int:
        if self._tenant_id is None:
            self._tenant_id = identity.principal_named(self.store, self.tenant,
                                                       "owner").tenant_id
        return self._tenant_id

    # steps ---------------------------------------------------------------------------
    def run(self, scenario: dict[str, Any]) -> None:
        today = date.today()
        for n, step in enumerate(scenario["steps"]):
            where = f"{scenario['name']} step {n} ({step.get('id') or step.get('act') or 'check'})"
            if "check" in step:
                self.compare(step["check"], where)
                continue
            status, code = self.step(resolve(step, today))
            if step["expect"] == "refused":
                assert status == "refused", f"{where}: ended {status}, expected a refusal"
                assert code == step["code"], f"{where}: refused with {code}, not {step['code']}"
            else:
                assert status == step["expect"], f"{where}: ended {status} ({code}), " \
                                                  f"expected {step['expect']}"
            if "tasks" in step:
                assert self.open_tasks(step.get("id") or step["act"]) == sorted(step["tasks"]), \
                    where

    def step(self, step: dict[str, Any]) -> tuple[str, str | None]:
        who = identity.principal_named(self.store, self.tenant, step["by"])
        try:
            if "submit" in step:
                out = documents.submit_new(self.store, who, step["submit"], step["data"])
                if "id" in step:
                    self.docs[step["id"]] = out.document.id
            else:
                out = documents.act(self.store, who, self.docs[step["act"]], ActionRequest(
                    step["action"], comment=step.get("comment"),
                    fields=step.get("fields", {})))
        except EngineError as error:
            return "refused", error.problems[0].code if error.problems else error.code
        return out.document.status, None

    def open_tasks(self, ref: str) -> list[str]:
        doc = doc_queries.get(self.store, identity.principal_named(
            self.store, self.tenant, "owner"), self.docs[ref])
        return sorted(f"{t['node']}:{t['assignee']}" for t in doc.open_tasks)

    # reading back --------------------------------------------------------------------
    def stock(self) -> dict[str, Decimal]:
        """On hand per item@location (internal and transit), zeros left out."""
        with self.store.session(write=False) as s:
            lines = LedgerRepo(s).stock(self.tenant_id, internal_only=False)
            kinds = {loc.code: loc.kind for loc in s.execute(select(t.Location).where(
                t.Location.tenant_id == self.tenant_id)).scalars()}
        return {f"{ln.item_code}@{ln.location_code}": ln.on_hand for ln in lines
                if ln.on_hand and kinds[ln.location_code] not in ("supplier", "customer",
                                                                  "scrap", "adjustment")}

    def reserved(self) -> dict[str, Decimal]:
        with self.store.session(write=False) as s:
            lines = LedgerRepo(s).stock(self.tenant_id)
        return {f"{ln.item_code}@{ln.location_code}": ln.reserved for ln in lines if ln.reserved}

    def batches(self) -> dict[str, Decimal]:
        """On hand per item@location#batch of batch-tracked stock at internal places."""
        with self.store.session(write=False) as s:
            rows = s.execute(
                select(t.Item.code, t.Location.code, t.Batch.code, t.Balance.on_hand)
                .join(t.Item, t.Item.id == t.Balance.item_id)
                .join(t.Location, t.Location.id == t.Balance.location_id)
                .join(t.Batch, t.Batch.id == t.Balance.batch_key)
                .where(t.Balance.tenant_id == self.tenant_id, t.Balance.on_hand != 0,
                       t.Location.kind.not_in(["supplier", "customer", "scrap",
                                               "adjustment"]))).all()
        return {f"{i}@{loc}#{b}": qty for i, loc, b, qty in rows}

    def values(self) -> dict[str, Decimal]:
        """Movement values summed per FROM>TO location pair (unvalued moves left out)."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        with self.store.session(write=False) as s:
            codes = {loc.id: loc.code for loc in s.execute(select(t.Location).where(
                t.Location.tenant_id == self.tenant_id)).scalars()}
            for m in s.execute(select(t.Movement).where(
                    t.Movement.tenant_id == self.tenant_id)).scalars():
                if m.value is not None:
                    totals[f"{codes[m.from_location_id]}>{codes[m.to_location_id]}"] += m.value
        return dict(totals)

    def approvals(self, ref: str) -> list[str]:
        with self.store.session(write=False) as s:
            rows = s.execute(select(DocTask).where(
                DocTask.tenant_id == self.tenant_id,
                DocTask.document_id == self.docs[ref])).scalars().all()
        return sorted(f"{r.node}:{r.assignee}:{r.state}" for r in rows)

    def timeline(self, ref: str) -> list[str]:
        owner = identity.principal_named(self.store, self.tenant, "owner")
        return [f"{e.actor} {e.action}" for e in
                doc_queries.timeline(self.store, owner, self.docs[ref])]

    def fields(self, ref: str) -> dict[str, Any]:
        owner = identity.principal_named(self.store, self.tenant, "owner")
        return doc_queries.get(self.store, owner, self.docs[ref]).data

    def locked(self) -> list[str]:
        with self.store.session(write=False) as s:
            return sorted(s.execute(
                select(t.Location.code).join(t.CountSession,
                                             t.CountSession.location_id == t.Location.id)
                .where(t.CountSession.tenant_id == self.tenant_id,
                       t.CountSession.state == "open")).scalars())

    # comparing ---------------------------------------------------------------------
    def compare(self, expected: dict[str, Any], where: str) -> None:
        """Whole-picture keys (stock, batches, reserved, values) must match exactly;
        a ``check`` step may give ``stock_of`` for a few balances only."""
        for key in ("stock", "batches", "reserved", "values"):
            if key in expected:
                assert getattr(self, key)() == amounts(expected[key]), f"{where}: {key}"
        if "stock_of" in expected:
            actual = self.stock()
            got = {k: actual.get(k, Decimal(0)) for k in expected["stock_of"]}
            assert got == amounts(expected["stock_of"]), f"{where}: stock_of"
        for ref, tasks in expected.get("approvals", {}).items():
            assert self.approvals(ref) == sorted(tasks), f"{where}: approvals of {ref}"
        for ref, lines in expected.get("timeline", {}).items():
            assert self.timeline(ref) == lines, f"{where}: timeline of {ref}"
        for ref, values in expected.get("fields", {}).items():
            data = self.fields(ref)
            for path, value in values.items():
                assert dig(data, path) == value, f"{where}: {ref}.{path}"
        if "locked" in expected:
            assert self.locked() == expected["locked"], f"{where}: locked"


def dig(data: Any, path: str) -> Any:
    """``lines[0].proposed`` in a document's data."""
    for part in path.replace("]", "").replace("[", ".").split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
