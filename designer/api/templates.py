"""Industry templates shipped with Flowledger: list, show, install, upgrade.

Only shipped templates, by key — never a folder path. Seeing them needs ``design``;
installing and upgrading need ``identity.manage`` (tenant admins), because a
template also creates roles, departments and staff accounts. Installing twice
changes nothing; an upgrade keeps the tenant's own published edits and can be a dry
run that changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from designer import auth, runtime
from designer.api.doc_schemas import problem_dicts
from designer.api.examples import templates as ex
from designer.api.operation import blueprint, operation
from designer.api.problems import ProblemItem
from designer.api.schemas import Request
from engine.errors import NotFound
from engine.services import templates
from engine.services.templates import Report
from engine.store import Store

blp = blueprint("templates", "Industry templates: list, show, install, upgrade")
KEY = "key"  # schemas.KeyConverter


def _store() -> Store:
    return runtime(current_app).store


def _shipped(key: str) -> str:
    """The key of a shipped template, or 404: paths and unknown keys are refused alike."""
    if key not in {m.get("key") for m in templates.available()}:
        raise NotFound.of("template.not_found", f"No template '{key}'", f"没有模板 '{key}'",
                          path="key")
    return key


LABELS = fields.Dict(keys=fields.String(), values=fields.String(),
                     metadata={"example": {"zh": "连锁零售", "en": "Retail chain"}})


class TemplateOut(Schema):
    key = fields.String(required=True, metadata={"example": "retail"})
    version = fields.String(required=True, metadata={"example": "1.0.0"})
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata=LABELS.metadata)
    description = fields.Dict(keys=fields.String(), values=fields.String())
    industry = fields.String(required=True)
    forms = fields.List(fields.String())
    demo = fields.Boolean(metadata={"description": "it ships demo documents"})


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateOut), required=True)


class TemplateDetailOut(Schema):
    manifest = fields.Nested(TemplateOut, required=True)
    forms = fields.List(fields.String(), required=True)
    flows = fields.List(fields.String(), required=True)
    rules = fields.List(fields.String(), required=True)
    seed = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "rows per seed file", "example": {"items": 12, "locations": 6}})
    demo_documents = fields.Integer(required=True)
    problems = fields.List(fields.Nested(ProblemItem), required=True, metadata={
        "description": "what reading the package found (a shipped template has none)"})


class InstallIn(Request):
    demo = fields.Boolean(load_default=False, metadata={
        "description": "also submit and act on the template's demo documents"})


class UpgradeIn(Request):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "say what would change; change nothing"})


class ReportOut(Schema):
    template = fields.String(required=True)
    version = fields.String(required=True)
    applied = fields.List(fields.String(), required=True, metadata={
        "example": ["form transfer", "location WH", "user wh-keeper"]})
    kept = fields.List(fields.String(), required=True, metadata={
        "description": "definitions the tenant published itself: left as they are"})
    unchanged = fields.Integer(required=True)
    demo = fields.List(fields.String(), required=True)
    dry_run = fields.Boolean(required=True)


def _report(report: Report, dry_run: bool = False) -> dict[str, Any]:
    return {"template": report.template, "version": report.version,
            "applied": report.applied, "kept": report.kept, "unchanged": report.unchanged,
            "demo": report.demo, "dry_run": dry_run}


@blp.route("/templates")
class TemplatesView(MethodView):
    @operation(blp, "design")
    @blp.response(200, TemplateList, example=ex.TEMPLATES)
    def get(self) -> Any:
        """The shipped templates"""
        return {"items": templates.available()}


@blp.route(f"/templates/<{KEY}:key>")
class TemplateView(MethodView):
    @operation(blp, "design", errors=(404,))
    @blp.response(200, TemplateDetailOut, example=ex.TEMPLATE)
    def get(self, key: str) -> Any:
        """A template's manifest and contents"""
        pkg, found = templates.load_package(_shipped(key))
        return {"manifest": pkg.manifest, "forms": sorted(pkg.forms),
                "flows": sorted(pkg.flows), "rules": sorted(pkg.rules),
                "seed": {name: len(rows) for name, rows in pkg.seed.items()},
                "demo_documents": len(pkg.demo), "problems": problem_dicts(found)}


@blp.route(f"/templates/<{KEY}:key>/install")
class InstallView(MethodView):
    @operation(blp, auth.ADMIN, errors=(404, 409))
    @blp.arguments(InstallIn, examples=ex.INSTALL)
    @blp.response(200, ReportOut, example=ex.INSTALLED)
    def post(self, data: dict[str, Any], key: str) -> Any:
        """Install into your tenant (again: changes nothing)"""
        principal = auth.api_principal()
        report = templates.install(_store(), principal.tenant_slug, _shipped(key),
                                   demo=data["demo"], ctx=auth.call_context(principal))
        return _report(report)


@blp.route(f"/templates/<{KEY}:key>/upgrade")
class UpgradeView(MethodView):
    @operation(blp, auth.ADMIN, errors=(404, 409))
    @blp.arguments(UpgradeIn, examples=ex.UPGRADE)
    @blp.response(200, ReportOut, example=ex.UPGRADED)
    def post(self, data: dict[str, Any], key: str) -> Any:
        """Upgrade to the shipped version, keeping your own published edits"""
        principal = auth.api_principal()
        report = templates.upgrade(_store(), principal.tenant_slug, _shipped(key),
                                   dry_run=data["dry_run"], ctx=auth.call_context(principal))
        return _report(report, data["dry_run"])
