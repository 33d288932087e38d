"""The retail template's scenarios, played through HTTP only.

An admin token (the one credential made through the engine) installs the shipped
``retail`` template with ``POST /templates/retail/install``, makes a bearer token
for each member of staff with ``POST /tokens``, and then every step of each
``templates_library/retail/scenarios/*.json`` is a request made with the actor's
token: ``POST /documents/submit`` and ``POST /documents/{id}/actions``. What the
scenario asserts — stock per location and batch, reservations, movement values,
statuses, open tasks, every task of a document (cancelled ones too), who decided
what, timelines, computed fields and the locations open stocktakes lock — is read
back through the API (stock reports, ``/stock/locks``, documents, their tasks and
timelines, task boxes), as the service-level player (tests/templates_library/
retail_play.py) reads it from the database.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openapi_world import forget_compiled_definitions

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "templates_library"))
from retail_play import amounts, dig, resolve, scenarios  # the service player's helpers

from engine.services import identity

SCENARIOS = scenarios("retail")
OUTSIDE = {"supplier", "customer", "scrap", "adjustment"}  # not stock anyone holds
BOXED = {"todo": ("pending",), "processed": ("approved", "rejected", "transferred"),
         "cc": ("cc",)}  # a task's state → the holder's box (waiting, cancelled: none)


class Chain:
    """The chain's tenant as seen over HTTP: a bearer token per member of staff."""

    def __init__(self, client: Any, admin_token: str) -> None:
        self.client = client
        self.tokens = {"boss": admin_token}
        self.docs: dict[str, int] = {}
        self.kinds: dict[str, str] = {}

    def call(self, method: str, path: str, who: str = "boss", **kwargs: Any) -> Any:
        return self.client.open(f"/api/v1/{path}", method=method, headers={
            "Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)

    def ok(self, path: str, who: str = "boss") -> Any:
        response = self.call("GET", path, who)
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    def pages(self, path: str, who: str = "boss") -> list[dict[str, Any]]:
        """Every row of a paged list, following ``next_cursor``."""
        rows: list[dict[str, Any]] = []
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit=500"
        while True:
            page = self.ok(url, who)
            rows.extend(page["items"])
            if page["next_cursor"] is None:
                return rows
            url = f"{path}{sep}limit=500&cursor={page['next_cursor']}"

    # setting up ----------------------------------------------------------------------
    def install(self) -> None:
        response = self.call("POST", "templates/retail/install", json={"demo": False})
        assert response.status_code == 200, response.get_json()
        report = response.get_json()
        assert report["demo"] == [] and "item COLA-330" in report["applied"]
        self.kinds = {loc["code"]: loc["kind"] for loc in self.pages("locations")}

    def staff_tokens(self) -> None:
        """A token for every member the template made, created by the admin."""
        for user in self.pages("users"):
            if user["username"] in self.tokens:
                continue
            made = self.call("POST", "tokens", json={"name": "e2e", "user_id": user["id"]})
            assert made.status_code == 201, made.get_json()
            assert made.get_json()["user_id"] == user["id"]
            self.tokens[user["username"]] = made.get_json()["token"]

    # playing -------------------------------------------------------------------------
    def step(self, step: dict[str, Any]) -> tuple[str, str | None]:
        """One scenario step as the actor: the status it ended in, or the refusal code."""
        body: dict[str, Any]
        if "submit" in step:
            body = {"form": step["submit"], "data": step["data"]}
            if "chosen" in step:
                body["chosen"] = step["chosen"]
            response = self.call("POST", "documents/submit", step["by"], json=body)
            expected = 201
        else:  # any action: approve, reject (return_to), transfer/add_* (target), cancel…
            body = {"action": step["action"]}
            for name in ("task", "comment", "target", "return_to", "fields"):
                if name in step:
                    body[name] = step[name]
            response = self.call("POST", f"documents/{self.docs[step['act']]}/actions",
                                 step["by"], json=body)
            expected = 200
        answer = response.get_json()
        if response.status_code != expected:
            assert response.mimetype == "application/problem+json", answer
            return "refused", answer["code"]
        if "id" in step:
            self.docs[step["id"]] = answer["document"]["id"]
        return answer["document"]["status"], None

    def open_tasks(self, ref: str) -> list[str]:
        doc = self.ok(f"documents/{self.docs[ref]}")
        return sorted(f"{t['node']}:{t['assignee']}" for t in doc["open_tasks"])

    def play(self, scenario: dict[str, Any]) -> dict[str, str]:
        """Every step, checked as it goes; the status each document should end in."""
        today = date.today()
        ends: dict[str, str] = {}
        for n, raw in enumerate(scenario["steps"]):
            where = f"{scenario['name']} step {n} ({raw.get('id') or raw.get('act') or 'check'})"
            if "check" in raw:
                self.compare(raw["check"], where)
                continue
            step = resolve(raw, today)
            status, code = self.step(step)
            if step["expect"] == "refused":
                assert (status, code) == ("refused", step["code"]), where
                continue
            assert status == step["expect"], f"{where}: ended {status} ({code})"
            ref = step.get("id") or step.get("act")
            if ref is not None:
                ends[ref] = status
            if "tasks" in step:
                assert self.open_tasks(ref) == sorted(step["tasks"]), where
            if "act" in step and "comment" in step:
                said = [t["comment"] for t in self.tasks(ref) if t["assignee"] == step["by"]
                        and t["decided_at"] is not None]
                assert step["comment"] in said, f"{where}: the comment on the decided task"
        return ends

    # reading back --------------------------------------------------------------------
    def balances(self, group_by: str) -> list[dict[str, Any]]:
        return self.pages(f"stock/balances?group_by={group_by}&include_virtual=true")

    def stock(self) -> dict[str, Decimal]:
        """On hand per item@location at internal places and in transit, zeros left out."""
        return {f"{r['item_code']}@{r['location_code']}": Decimal(r["on_hand"])
                for r in self.balances("location")
                if Decimal(r["on_hand"]) and self.kinds[r["location_code"]] not in OUTSIDE}

    def reserved(self) -> dict[str, Decimal]:
        return {f"{r['item_code']}@{r['location_code']}": Decimal(r["reserved"])
                for r in self.balances("location") if Decimal(r["reserved"])}

    def batches(self) -> dict[str, Decimal]:
        return {f"{r['item_code']}@{r['location_code']}#{r['batch_code']}": Decimal(r["on_hand"])
                for r in self.balances("batch")
                if r["batch_code"] and Decimal(r["on_hand"])
                and self.kinds[r["location_code"]] not in OUTSIDE}

    def values(self) -> dict[str, Decimal]:
        """Movement values summed per FROM>TO location pair (unvalued moves left out)."""
        codes = {loc["id"]: loc["code"] for loc in self.pages("locations")}
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for m in self.pages("stock/movements"):
            if m["value"] is not None:
                pair = f"{codes[m['from_location_id']]}>{codes[m['to_location_id']]}"
                totals[pair] += Decimal(m["value"])
        return dict(totals)

    def locked(self) -> list[str]:
        """The locations open stocktakes lock now."""
        return sorted(lock["location_code"] for lock in self.pages("stock/locks"))

    def tasks(self, ref: str) -> list[dict[str, Any]]:
        """Every task of a document, whoever holds it (the admin may view them all)."""
        return self.ok(f"documents/{self.docs[ref]}/tasks")["items"]  # type: ignore[no-any-return]

    def approvals(self, ref: str) -> list[str]:
        return sorted(f"{t['node']}:{t['assignee']}:{t['state']}" for t in self.tasks(ref))

    def boxes(self) -> dict[int, list[str]]:
        """node:holder:state of the tasks in everyone's boxes, per document."""
        found: dict[int, list[str]] = defaultdict(list)
        for who in self.tokens:
            for box in BOXED:
                for line in self.ok(f"tasks/{box}?limit=200", who)["items"]:
                    found[line["document_id"]].append(f"{line['node']}:{who}:{line['state']}")
        return found

    def compare(self, expected: dict[str, Any], where: str) -> None:
        for key in ("stock", "batches", "reserved", "values"):
            if key in expected:
                assert getattr(self, key)() == amounts(expected[key]), f"{where}: {key}"
        if "stock_of" in expected:
            actual = self.stock()
            got = {k: actual.get(k, Decimal(0)) for k in expected["stock_of"]}
            assert got == amounts(expected["stock_of"]), f"{where}: stock_of"
        if "approvals" in expected:
            boxed = self.boxes()
            in_a_box = {s for states in BOXED.values() for s in states}
            for ref, lines in expected["approvals"].items():
                assert self.approvals(ref) == sorted(lines), f"{where}: approvals of {ref}"
                # each holder finds the same tasks in their boxes (cancelled ones in none)
                assert sorted(boxed[self.docs[ref]]) == sorted(
                    x for x in lines if x.rsplit(":", 1)[1] in in_a_box), f"{where}: {ref} boxes"
        for ref, lines in expected.get("timeline", {}).items():
            timeline = self.ok(f"documents/{self.docs[ref]}/timeline")
            assert [f"{e['actor']} {e['action']}" for e in timeline] == lines, where
        for ref, values in expected.get("fields", {}).items():
            data = self.ok(f"documents/{self.docs[ref]}")["data"]
            for path, value in values.items():
                assert dig(data, path) == value, f"{where}: {ref}.{path}"
        if "locked" in expected:
            assert self.locked() == sorted(expected["locked"]), f"{where}: locked"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_a_retail_scenario_through_http_only(app: Any, path: Path) -> None:
    forget_compiled_definitions()  # an earlier test's tenant 1 may have had another transfer
    store = app.extensions["flowledger"].store
    identity.create_tenant(store, "chain", "Chain")
    identity.create_user(store, "chain", "boss", password="long-enough-pw", admin=True)
    chain = Chain(app.test_client(), identity.create_token(store, "chain", "boss", "e2e").token)

    chain.install()
    chain.staff_tokens()
    scenario = json.loads(path.read_text(encoding="utf-8"))
    ends = chain.play(scenario)
    chain.compare(scenario["expect"], f"{scenario['name']} (end)")

    statuses = {ref: chain.ok(f"documents/{doc}")["status"] for ref, doc in chain.docs.items()}
    assert statuses == ends
    pending: dict[str, int] = defaultdict(int)
    for ref in chain.docs:
        for task in chain.tasks(ref):
            pending[task["assignee"]] += task["state"] == "pending"
    assert {who: chain.ok("tasks/counts", who)["todo"] for who in chain.tokens} == {
        who: pending[who] for who in chain.tokens}
    reserved = sum(amounts(scenario["expect"].get("reserved", {})).values(), Decimal(0))
    totals = chain.ok("stock/balances?group_by=location")["totals"]
    assert Decimal(totals["reserved"]) == reserved


def test_both_shipped_scenarios_are_played() -> None:
    assert [p.stem for p in SCENARIOS][:2] == ["01_store_day", "02_approvals_and_returns"]
