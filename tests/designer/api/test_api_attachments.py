"""Attachments over HTTP: upload (multipart, size limit), list, download, delete."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from desk import publish

CLAIM = {
    "schema_version": 1, "key": "expense", "version": 1, "labels": {"zh": "报销", "en": "Claim"},
    "fields": [
        {"key": "note", "type": "text", "label": {"zh": "说明", "en": "Note"}},
        {"key": "receipts", "type": "attachment", "label": {"zh": "票据", "en": "Receipts"}},
    ],
}


def upload(api: Any, doc: int, body: bytes, name: str = "r.pdf", field: str = "receipts",
           **kwargs: Any) -> Any:
    return api.call("POST", f"documents/{doc}/attachments?field={field}",
                    data={"file": (io.BytesIO(body), name, "application/pdf")}, **kwargs)


def test_upload_list_download_delete(api: Any) -> None:
    publish(api, "form", CLAIM, key="expense")
    doc = api.post("documents", {"form": "expense", "data": {}}).get_json()["id"]
    made = upload(api, doc, b"%PDF-1.4 receipt")
    assert made.status_code == 201, made.get_json()
    meta = made.get_json()
    assert meta["size"] == 16 and meta["content_type"] == "application/pdf"
    assert meta["sha256"] == hashlib.sha256(b"%PDF-1.4 receipt").hexdigest()
    assert made.headers["Location"].endswith(f"/attachments/{meta['id']}")
    seen = api.get(f"documents/{doc}").get_json()["data"]["receipts"]
    assert [f["storage_key"] for f in seen] == [meta["storage_key"]]
    assert [a["id"] for a in api.get(f"documents/{doc}/attachments").get_json()["items"]] == [
        meta["id"]]
    got = api.get(f"documents/{doc}/attachments/{meta['id']}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 receipt"
    assert got.mimetype == "application/octet-stream"
    assert "attachment" in got.headers["Content-Disposition"]
    assert upload(api, doc, b"x", field="note").status_code == 422  # not an attachment field
    assert upload(api, doc, b"x", as_="viewer").status_code == 404  # not theirs to see
    api.client.application.config["MAX_ATTACHMENT_BYTES"] = 8
    big = upload(api, doc, b"123456789")
    assert big.status_code == 422 and big.get_json()["errors"][0]["code"] == "attachment.too_large"
    gone = api.call("DELETE", f"documents/{doc}/attachments/{meta['id']}")
    assert gone.status_code == 204
    assert api.get(f"documents/{doc}/attachments/{meta['id']}").status_code == 404
    assert api.get(f"documents/{doc}").get_json()["data"]["receipts"] == []
