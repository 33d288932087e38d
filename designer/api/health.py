"""``GET /api/v1/health``: is the database reachable and migrated, is Redis reachable."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

import engine
from designer import runtime
from designer.api.examples import health as ex
from engine.services import system

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness and readiness")
_PUBLIC = {"x-permission": "none"}  # no credential needed: load balancers ask it


class DatabaseHealth(Schema):
    ok = fields.Boolean(required=True)
    backend = fields.String(required=True)
    revision = fields.String(allow_none=True)
    migrated = fields.Boolean(required=True)
    error = fields.String()


class RedisHealth(Schema):
    configured = fields.Boolean(required=True)
    ok = fields.Boolean(required=True)


class Health(Schema):
    status = fields.String(required=True, metadata={"description": "ok or degraded"})
    version = fields.String(required=True)
    database = fields.Nested(DatabaseHealth, required=True)
    redis = fields.Nested(RedisHealth, required=True)


@blp.route("/health")
class HealthView(MethodView):
    @blp.doc(**_PUBLIC)
    @blp.response(200, Health, example=ex.HEALTHY)
    @blp.alt_response(503, schema=Health, description="A required service is down",
                      example=ex.DEGRADED)
    def get(self) -> Any:
        rt = runtime(current_app)
        db = system.database_health(rt.store)
        redis_ok = rt.queue.ping()
        configured = rt.queue.uses_redis
        healthy = db.ok and db.migrated and (redis_ok or not configured)
        body = {
            "status": "ok" if healthy else "degraded",
            "version": engine.__version__,
            "database": {"ok": db.ok, "backend": db.backend, "revision": db.revision,
                         "migrated": db.migrated, **({"error": db.error} if db.error else {})},
            "redis": {"configured": configured, "ok": redis_ok},
        }
        return body, 200 if healthy else 503
