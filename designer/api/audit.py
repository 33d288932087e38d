"""The tenant's audit trail (``audit.view``): ``/audit/events``, the hash-chained log
newest first; ``/audit/verify``, the chain checked end to end; ``/ledger/verify``, every
ledger invariant (DESIGN.md §4) checked on the tenant's live data — what
``flowledger audit verify`` and ``flowledger verify`` do for an operator."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from designer import auth, runtime
from designer.api.examples import audit as ex
from designer.api.operation import blueprint, operation
from designer.api.problems import ProblemItem, lang
from designer.api.schemas import PageQuery, Timestamp, ident, page_body, page_schema, text
from engine.ledger.invariants import Violation
from engine.services import audit, queries, verify

blp = blueprint("audit", "The audit log, and checks of the audit chain and the ledger")
MAX_SHOWN = 100  # broken promises listed in one answer; the counts say how many in all


class AuditEventOut(Schema):
    seq = fields.Integer(required=True)
    occurred_at = fields.DateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    actor_label = fields.String(required=True)
    client_addr = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    object_type = fields.String(required=True)
    object_id = fields.String(required=True)
    action = fields.String(required=True)
    detail = fields.Dict(required=True)
    hash = fields.String(required=True)


class AuditQuery(PageQuery):
    object_type = text(63, metadata={"example": "item"})
    object_id = text(63)
    action = text(63, metadata={"example": "create"})
    actor_id = ident(strict=False)
    since = Timestamp(metadata={"description": "at or after"})
    until = Timestamp(metadata={"description": "before"})


Events = page_schema(AuditEventOut, "AuditEventPage")


@blp.route("/audit/events")
class AuditEventsView(MethodView):
    @operation(blp, "audit.view")
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, Events, example=ex.EVENTS)
    def get(self, args: dict[str, Any]) -> Any:
        """Audit events, newest first (filters: object, action, actor, time)"""
        return page_body(queries.audit_events(
            runtime(current_app).store, auth.api_principal().tenant_id,
            object_type=args.get("object_type"), object_id=args.get("object_id"),
            action=args.get("action"), actor_id=args.get("actor_id"),
            since=args.get("since"), until=args.get("until"), before=args.get("cursor"),
            limit=args["limit"]))


class ChainReportOut(Schema):
    ok = fields.Boolean(required=True)
    events = fields.Integer(required=True, metadata={"description": "events in the chain"})
    problems = fields.List(fields.Nested(ProblemItem), required=True, metadata={
        "description": f"what is broken: an edited, deleted or reordered event, or the head "
                       f"(at most {MAX_SHOWN})"})
    problems_total = fields.Integer(required=True)


class ViolationOut(Schema):
    invariant = fields.String(required=True, metadata={"example": "balance_equals_journal"})
    key = fields.String(required=True, metadata={"description": "where: item@location#batch, "
                                                                "a movement, a reservation…"})
    expected = fields.String(required=True)
    actual = fields.String(required=True)
    message = fields.String(required=True)


class LedgerReportOut(Schema):
    ok = fields.Boolean(required=True)
    movements = fields.Integer(required=True, metadata={"description": "journal rows checked"})
    violations = fields.List(fields.Nested(ViolationOut), required=True, metadata={
        "description": f"each broken invariant, where (at most {MAX_SHOWN})"})
    violations_total = fields.Integer(required=True)


@blp.route("/audit/verify")
class AuditVerifyView(MethodView):
    @operation(blp, "audit.view")
    @blp.response(200, ChainReportOut, example=ex.CHAIN_REPORT)
    def get(self) -> Any:
        """Check the audit log's hash chain from the first event to the head"""
        principal = auth.api_principal()
        [report] = audit.verify(runtime(current_app).store, principal.tenant_slug)
        language = lang()
        return {"ok": report.ok, "events": report.events,
                "problems": [p.as_dict(language) for p in report.problems[:MAX_SHOWN]],
                "problems_total": len(report.problems)}


@blp.route("/ledger/verify")
class LedgerVerifyView(MethodView):
    @operation(blp, "audit.view")
    @blp.response(200, LedgerReportOut, example=ex.LEDGER_REPORT)
    def get(self) -> Any:
        """Check every ledger invariant on the tenant's journal, balances and reservations
        (one consistent read; it reads the whole journal, so it is not for every minute)"""
        principal = auth.api_principal()
        [report] = verify.verify(runtime(current_app).store, principal.tenant_slug)
        return {"ok": report.ok, "movements": report.movements,
                "violations": [vars_of(v) for v in report.violations[:MAX_SHOWN]],
                "violations_total": len(report.violations)}


def vars_of(violation: Violation) -> dict[str, str]:
    return {"invariant": violation.invariant, "key": violation.key,
            "expected": violation.expected, "actual": violation.actual,
            "message": violation.message}
