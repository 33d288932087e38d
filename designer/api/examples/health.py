"""Examples of ``GET /api/v1/health``."""

from __future__ import annotations

HEALTHY = {"status": "ok", "version": "0.1.0",
           "database": {"ok": True, "backend": "postgresql", "revision": "0007_documents_more",
                        "migrated": True},
           "redis": {"configured": True, "ok": True}}
DEGRADED = {"status": "degraded", "version": "0.1.0",
            "database": {"ok": True, "backend": "postgresql", "revision": "0006_attachments",
                         "migrated": False},
            "redis": {"configured": True, "ok": False}}
