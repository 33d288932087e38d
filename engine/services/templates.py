"""Installing and upgrading industry templates into a tenant.

Install is one transaction: every problem in the package is found first (files,
schemas, forms, flows, rules against their forms, references between seed files),
and a package with any problem installs nothing. Installing twice changes nothing.
Each definition records the template and version it came from; an upgrade
publishes the template's changes only where the tenant has not published its own
version since, and reports the ones it kept. Demo documents are submitted and acted
on after the install, each in its own transaction, once per tenant.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import NotFound, Problem, Source, ValidationError, problem
from engine.ledger.model import BomKind, LocationKind, Tracking, Valuation
from engine.services import definitions, identity, stock
from engine.services import template_pkg as pkgs
from engine.services.context import SYSTEM, CallContext, audit
from engine.services.template_demo import play as play_demo
from engine.services.template_pkg import Package
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import TemplateInstall
from engine.store.ledger_repo import LedgerRepo
from engine.store.uow import UnitOfWork, transaction


@dataclass
class Report:
    """What an install or upgrade did (or, as a dry run, would do)."""

    template: str
    version: str
    applied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the tenant's own edits, left alone
    unchanged: int = 0
    demo: list[str] = field(default_factory=list)


def digest(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def available() -> list[dict[str, Any]]:
    import templates_library

    return list(templates_library.available().values())


def load_package(key_or_path: str) -> tuple[Package, list[Problem]]:
    """The package and the problems found reading it (a bad manifest raises at once)."""
    try:
        root = pkgs.locate(key_or_path)
    except FileNotFoundError:
        raise NotFound.of("template.not_found", f"No template '{key_or_path}'",
                          f"没有模板 '{key_or_path}'", path="template") from None
    pkg, problems = pkgs.load(root)
    if pkg is None:
        raise ValidationError(problems)
    return pkg, problems


def check_package(uow: UnitOfWork, tenant_id: int, pkg: Package,
                  read_problems: list[Problem]) -> None:
    """Raise every problem of the package at once: what reading it found, and what
    checking the parts that could be read finds."""
    problems = read_problems + _semantic(uow, tenant_id, pkg)
    if problems:
        raise ValidationError(problems)


# checking ------------------------------------------------------------------------------

def _semantic(uow: UnitOfWork, tenant_id: int, pkg: Package) -> list[Problem]:
    out: list[Problem] = []
    codes = {loc["code"] for loc in pkg.seed["locations"]}
    codes |= set(DocRepo(uow.session).location_codes(tenant_id))
    constants = {c: "location" for c in codes if c.isidentifier()}
    from engine.flows import load_flow
    from engine.forms import FormScope, load_form
    from engine.rules import check_rules
    from engine.rules.problems import is_error

    forms = {}
    for key, body in pkg.forms.items():
        loaded = load_form(body, constants=constants)
        out += [_in_file(p, f"forms/{key}.json") for p in loaded.problems]
        if loaded.spec is not None:
            forms[key] = loaded.spec
    for key, body in pkg.flows.items():
        out += [_in_file(p, f"flows/{key}.json") for p in load_flow(body).problems]
    for key, text in pkg.rules.items():
        if key not in forms:
            out.append(problem("template.rules_without_form", f"rules/{key}.rules has no "
                               f"form '{key}'", f"rules/{key}.rules 没有对应的表单 '{key}'",
                               Source(file=f"rules/{key}.rules")))
            continue
        found = check_rules(text, FormScope.of(forms[key], constants), form=key, name=key)
        out += [_in_file(p, f"rules/{key}.rules") for p in found if is_error(p)]
    return out + _references(pkg, set(forms))


def _in_file(p: Problem, name: str) -> Problem:
    s = p.source
    return Problem(p.code, p.message, Source(s.form, s.path, s.rule, s.line, s.column, s.node,
                                             name), p.hint)


def _references(pkg: Package, forms: set[str]) -> list[Problem]:
    out: list[Problem] = []
    seed = pkg.seed

    def missing(name: str, index: int, field_name: str, value: str, known: set[str]) -> None:
        if value not in known:
            out.append(problem("template.unknown_reference",
                               f"seed/{name}.json[{index}].{field_name}: '{value}' is not "
                               "defined", f"seed/{name}.json[{index}].{field_name}：'{value}' "
                               "未定义", Source(file=f"seed/{name}.json",
                                               path=f"[{index}].{field_name}")))

    depts = {d["code"] for d in seed["departments"]}
    roles = {r["key"] for r in seed["roles"]}
    locations = {loc["code"] for loc in seed["locations"]}
    items = {i["code"] for i in seed["items"]}
    users = {u["username"] for u in seed["users"]}
    for n, d in enumerate(seed["departments"]):
        if "parent" in d:
            missing("departments", n, "parent", d["parent"], depts)
    for n, u in enumerate(seed["users"]):
        for value in [u.get("department"), *u.get("head_of", [])]:
            if value:
                missing("users", n, "department", value, depts)
        for role in u.get("roles", []):
            missing("users", n, "roles", role, roles)
    for n, loc in enumerate(seed["locations"]):
        if "parent" in loc:
            missing("locations", n, "parent", loc["parent"], locations)
    for n, b in enumerate(seed["boms"]):
        missing("boms", n, "item", b["item"], items)
        for line in b["lines"]:
            missing("boms", n, "lines.component", line["component"], items)
    for n, doc in enumerate(pkg.demo):
        missing("../demo/documents", n, "form", doc["form"], forms)
        missing("../demo/documents", n, "by", doc["by"], users)
    return out


# installing ----------------------------------------------------------------------------

def install(store: Store, tenant_slug: str, key_or_path: str, *, demo: bool = True,
            ctx: CallContext = SYSTEM) -> Report:
    """Install a template into a tenant (idempotent), then load its demo documents."""
    pkg, read_problems = load_package(key_or_path)

    def work(uow: UnitOfWork) -> tuple[Report, bool]:
        tenant = identity.get_tenant_in(uow, tenant_slug)
        check_package(uow, tenant.id, pkg, read_problems)
        report = Report(pkg.key, pkg.version)
        _seed(uow, tenant, pkg, report)
        for kind, key, body in pkg.definitions():
            _definition(uow, tenant.id, pkg, kind, key, body, report, ctx)
        record = uow.session.get(TemplateInstall, (tenant.id, pkg.key))
        fresh = record is None
        if record is None:
            record = TemplateInstall(tenant_id=tenant.id, key=pkg.key, version=pkg.version,
                                     installed_at=ctx.now(), demo_loaded=False)
            uow.session.add(record)
        if report.applied:
            audit(uow, ctx, tenant_id=tenant.id, object_type="template", object_id=pkg.key,
                  action="install", after={"version": pkg.version, "applied": report.applied})
        return report, fresh or not record.demo_loaded

    report, load_demo = transaction(store, work)
    if demo and load_demo and pkg.demo:
        report.demo = play_demo(store, tenant_slug, pkg, ctx)
    return report


def _seed(uow: UnitOfWork, tenant: Any, pkg: Package, report: Report) -> None:
    seed, repo = pkg.seed, LedgerRepo(uow.session)
    for role in seed["roles"]:
        if uow.identity.role(tenant.id, role["key"]) is None:
            identity.create_role_in(uow, tenant.id, role["key"], role["labels"])
            report.applied.append(f"role {role['key']}")
    for dept in _parents_first(seed["departments"], "code"):
        if uow.identity.department(tenant.id, dept["code"]) is None:
            identity.create_department_in(uow, tenant, dept["code"], dept["labels"],
                                          parent=dept.get("parent"))
            report.applied.append(f"department {dept['code']}")
    _users(uow, tenant, seed["users"], report)
    for loc in _parents_first(seed["locations"], "code"):
        if repo.location_by_code(tenant.id, loc["code"]) is None:
            stock.create_location_in(uow, tenant.id, loc["code"], loc["name"],
                                     LocationKind(loc["kind"]), parent=loc.get("parent"),
                                     allow_negative=loc.get("allow_negative", False))
            report.applied.append(f"location {loc['code']}")
    for item in seed["items"]:
        if repo.item_by_code(tenant.id, item["code"]) is None:
            stock.create_item_in(
                uow, tenant.id, item["code"], item["name"], item["unit"],
                tracking=Tracking(item.get("tracking", "none")),
                valuation=Valuation(item.get("valuation", "fifo")),
                reorder_point=Decimal(item.get("reorder_point", "0")),
                safety_stock=Decimal(item.get("safety_stock", "0")),
                allow_negative=item.get("allow_negative", False),
                attributes=item.get("attributes", {}),
                units={u: Decimal(f) for u, f in item.get("units", {}).items()})
            report.applied.append(f"item {item['code']}")
    for bom in seed["boms"]:
        _bom(uow, tenant.id, bom, report)


def staff_username(uow: UnitOfWork, tenant: Any, name: str) -> str:
    """The account a template's staff member ``name`` has in ``tenant``.

    Users are shared across tenants, so a template never takes over an account that
    belongs to someone else: the plain name is used when it is free or already this
    tenant's member; otherwise the tenant's own ``name.<tenant>`` account.
    """
    existing = uow.identity.user_by_username(name)
    if existing is None or uow.identity.membership(tenant.id, existing.id) is not None:
        return name
    return f"{name}.{tenant.slug}"


def _users(uow: UnitOfWork, tenant: Any, users: list[dict[str, Any]], report: Report) -> None:
    for user in users:
        name = staff_username(uow, tenant, user["username"])
        if uow.identity.user_by_username(name) is not None:
            continue  # this tenant's member already
        identity.create_member_in(
            uow, tenant, name, display_name=user["display_name"], now=_now(),
            admin=user.get("admin", False), department=user.get("department"),
            roles=tuple(user.get("roles", ())))
        for dept in user.get("head_of", []):
            identity.set_head_in(uow, tenant, dept, name)
        report.applied.append(f"user {name}")


def _now() -> Any:
    from engine.services.context import utcnow

    return utcnow()


def _bom(uow: UnitOfWork, tenant_id: int, bom: dict[str, Any], report: Report) -> None:
    kind = BomKind(bom.get("kind", "bom"))
    item = LedgerRepo(uow.session).item_by_code(tenant_id, bom["item"])
    if item is not None and LedgerRepo(uow.session).bom_row(tenant_id, item.id, kind.value):
        return
    lines = [stock.LineSpec(ln["component"], Decimal(ln["qty"]), ln.get("unit"),
                            Decimal(ln.get("loss_pct", "0")), Decimal(ln.get("yield_pct", "100")),
                            ln.get("phantom", False), ln.get("max_depth"))
             for ln in bom["lines"]]
    stock.set_bom_in(uow, tenant_id, bom["item"], lines, kind=kind,
                     output_qty=Decimal(bom.get("output_qty", "1")))
    report.applied.append(f"{kind.value} {bom['item']}")


def _parents_first(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    done: set[str] = set()
    out: list[dict[str, Any]] = []
    pending = list(rows)
    while pending:
        ready = [r for r in pending if r.get("parent") in (None, *done)
                 or r.get("parent") not in {p[key] for p in pending}]
        if not ready:  # a cycle: let the create call report the missing parent
            ready = pending[:1]
        for row in ready:
            out.append(row)
            done.add(row[key])
            pending.remove(row)
    return out


def _definition(uow: UnitOfWork, tenant_id: int, pkg: Package, kind: str, key: str,
                body: dict[str, Any], report: Report, ctx: CallContext) -> None:
    current = DocRepo(uow.session).definition(tenant_id, kind, key)
    source = {"template": pkg.key, "version": pkg.version, "digest": digest(body)}
    if current is not None:
        if current.source.get("digest") == source["digest"]:
            report.unchanged += 1
            return
        if current.source.get("template") != pkg.key:
            report.kept.append(f"{kind} {key}")
            return
    definitions.publish_in(uow, tenant_id, kind, key, body=body, source=source, ctx=ctx)
    report.applied.append(f"{kind} {key}")


def upgrade(store: Store, tenant_slug: str, key_or_path: str, *, dry_run: bool = False,
            ctx: CallContext = SYSTEM) -> Report:
    """Bring a tenant to a newer template version, keeping the tenant's own edits.

    A definition whose newest published version came from this template is replaced
    when the template changed it; one the tenant published itself is kept and
    reported. New seed rows are added; existing ones are never changed.
    """
    pkg, read_problems = load_package(key_or_path)

    class _DryRun(Exception):
        def __init__(self, report: Report) -> None:
            self.report = report

    def work(uow: UnitOfWork) -> Report:
        tenant = identity.get_tenant_in(uow, tenant_slug)
        record = uow.session.get(TemplateInstall, (tenant.id, pkg.key))
        if record is None:
            raise NotFound.of("template.not_installed", f"'{pkg.key}' is not installed here",
                              f"该租户未安装模板 '{pkg.key}'", path="template")
        check_package(uow, tenant.id, pkg, read_problems)
        report = Report(pkg.key, pkg.version)
        _seed(uow, tenant, pkg, report)
        for kind, key, body in pkg.definitions():
            _definition(uow, tenant.id, pkg, kind, key, body, report, ctx)
        record.version, record.upgraded_at = pkg.version, ctx.now()
        if dry_run:
            raise _DryRun(report)
        audit(uow, ctx, tenant_id=tenant.id, object_type="template", object_id=pkg.key,
              action="upgrade", after={"version": pkg.version, "applied": report.applied,
                                       "kept": report.kept})
        return report

    try:
        return transaction(store, work)
    except _DryRun as done:
        return done.report
