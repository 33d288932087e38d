"""``/api/v1/audit/events``: the tenant's hash-chained audit log, newest first
(``audit.view``)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from designer import auth, runtime
from designer.api.operation import blueprint, operation
from designer.api.schemas import PageQuery, Timestamp, ident, page_body, page_schema, text
from engine.services import queries

blp = blueprint("audit", "The audit log")


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
    @blp.response(200, Events)
    def get(self, args: dict[str, Any]) -> Any:
        """Audit events, newest first (filters: object, action, actor, time)"""
        return page_body(queries.audit_events(
            runtime(current_app).store, auth.api_principal().tenant_id,
            object_type=args.get("object_type"), object_id=args.get("object_id"),
            action=args.get("action"), actor_id=args.get("actor_id"),
            since=args.get("since"), until=args.get("until"), before=args.get("cursor"),
            limit=args["limit"]))
