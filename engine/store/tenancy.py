"""Row-level security on PostgreSQL: defence in depth for tenant isolation.

Every tenant-owned table has a policy that shows a transaction only the rows of the
tenant in ``flowledger.tenant`` (a transaction-local setting), enabled with FORCE so
that even the tables' owner obeys it. A web request, once it knows whose credential
it carries, enters :func:`scope`; every transaction it then opens sets the setting
first, so a query that forgot its ``tenant_id`` filter still cannot see, change or
insert another tenant's rows. Work outside a request (the CLI, jobs, timers, sign-in
itself) runs unscoped and sees every tenant, as its services filter by tenant
themselves. SQLite has no row-level security; there the services' filters are all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

SETTING = "flowledger.tenant"
_scope: ContextVar[int | None] = ContextVar("flowledger_tenant_scope", default=None)


def current() -> int | None:
    return _scope.get()


def enter(tenant_id: int) -> Any:
    """Scope the rest of this context to one tenant; returns a token for :func:`leave`."""
    return _scope.set(tenant_id)


def leave(token: Any) -> None:
    _scope.reset(token)


@contextmanager
def scope(tenant_id: int) -> Iterator[None]:
    token = enter(tenant_id)
    try:
        yield
    finally:
        leave(token)


def _on_begin(conn: Any) -> None:
    tenant = _scope.get()
    if tenant is not None and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT set_config('{SETTING}', %(t)s, true)",
                             {"t": str(tenant)})


event.listen(Engine, "begin", _on_begin)
