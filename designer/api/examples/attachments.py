"""Examples of a document's attachments: the delivery note of a transfer."""

from __future__ import annotations

ATTACHMENT = {"id": 88, "document_id": 1042, "field": "receipts", "name": "delivery-note.pdf",
              "size": 48213, "content_type": "application/pdf",
              "sha256": "9f2c1d8e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
              "storage_key": "t1/d1042/5be0c3a1f47d2e9b8c6a0f1e2d3c4b5a",
              "created_by": "s1-mgr", "created_at": "2024-06-01T09:35:10+00:00"}
ATTACHMENTS = {"items": [ATTACHMENT]}
