"""Demo documents of a template: submitted and acted on as the template's staff would,
each through the ordinary document services, so demo stock is real stock."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from engine.errors import EngineError
from engine.services import documents, identity
from engine.services.context import CallContext
from engine.services.documents import ActionRequest
from engine.services.template_pkg import Package
from engine.store.db import Store
from engine.store.doc_tables import TemplateInstall
from engine.store.uow import UnitOfWork, transaction

RELATIVE_DATE = re.compile(r"^\$\{today(?:([+-])(\d+))?\}$")


def dated(value: Any, today: date) -> Any:
    """Demo data with ``${today}`` / ``${today+30}`` / ``${today-2}`` as real dates, so
    expiry dates stay in the future whenever the template is installed."""
    if isinstance(value, str) and (match := RELATIVE_DATE.match(value)):
        sign, days = match.group(1), int(match.group(2) or 0)
        return (today + timedelta(days=days if sign != "-" else -days)).isoformat()
    if isinstance(value, dict):
        return {k: dated(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [dated(v, today) for v in value]
    return value


def _accounts(store: Store, tenant_slug: str, pkg: Package) -> dict[str, str]:
    """Template staff names → this tenant's accounts (see templates.staff_username)."""
    from engine.services.templates import staff_username

    def work(uow: UnitOfWork) -> dict[str, str]:
        tenant = identity.get_tenant_in(uow, tenant_slug)
        return {u["username"]: staff_username(uow, tenant, u["username"])
                for u in pkg.seed["users"]}

    return transaction(store, work, write=False)


def _as_accounts(value: Any, accounts: dict[str, str]) -> Any:
    """Member fields of demo data name template staff: use this tenant's accounts."""
    if isinstance(value, str):
        return accounts.get(value, value)
    if isinstance(value, dict):
        return {k: _as_accounts(v, accounts) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_accounts(v, accounts) for v in value]
    return value


def play(store: Store, tenant_slug: str, pkg: Package, ctx: CallContext) -> list[str]:
    """Run every demo document; return one line per document saying how it ended.

    A document the template expects to be refused (``"expect": "refused"``) is
    reported as such; any other refusal stops the demo and is raised.
    """
    lines = []
    accounts = _accounts(store, tenant_slug, pkg)
    for n, step in enumerate(pkg.demo):
        who = identity.principal_named(store, tenant_slug, accounts.get(step["by"], step["by"]))
        acting = CallContext(who.user_id, who.username, ctx.client_addr, ctx.request_id,
                             ctx.clock)
        try:
            data = _as_accounts(dated(step["data"], ctx.now().date()), accounts)
            out = documents.submit_new(store, who, step["form"], data, ctx=acting)
            for action in step.get("then", []):
                actor = identity.principal_named(store, tenant_slug,
                                                 accounts.get(action["by"], action["by"]))
                out = documents.act(store, actor, out.document.id, ActionRequest(
                    action["action"], comment=action.get("comment"),
                    target=action.get("target"), return_to=action.get("return_to"),
                    fields=_as_accounts(dated(action.get("fields", {}), ctx.now().date()),
                                        accounts)),
                    CallContext(actor.user_id, actor.username, clock=ctx.clock))
        except EngineError as error:
            if step.get("expect") == "refused":
                lines.append(f"{n}: {step['form']} refused as expected ({error.code})")
                continue
            raise
        expected = step.get("expect")
        if expected and expected != out.document.status:
            raise AssertionError(f"demo document {n} ({step['form']}) ended "
                                 f"{out.document.status}, expected {expected}")
        lines.append(f"{n}: {step['form']} {out.document.serial or out.document.id} "
                     f"{out.document.status}")

    def mark(uow: UnitOfWork) -> None:
        tenant = identity.get_tenant_in(uow, tenant_slug)
        record = uow.session.get(TemplateInstall, (tenant.id, pkg.key))
        if record is not None:
            record.demo_loaded = True

    transaction(store, mark)
    return lines
