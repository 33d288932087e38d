"""Attachments: bytes in storage, metadata rows, the field's value kept in step, and
who may add, read and delete them — on both databases."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from docworld import DocWorld

from engine.errors import NotFound, PermissionDenied, ValidationError
from engine.services import attachments, definitions, doc_queries, documents
from engine.services.documents import ActionRequest
from engine.store import Store
from engine.store.attachment_store import FileStorage

CLAIM = {
    "schema_version": 1, "key": "claim", "version": 1, "labels": {"zh": "报销", "en": "Claim"},
    "fields": [
        {"key": "note", "type": "text", "label": {"zh": "说明", "en": "Note"}},
        {"key": "receipts", "type": "attachment", "label": {"zh": "票据", "en": "Receipts"}},
        {"key": "audit", "type": "attachment", "label": {"zh": "审计", "en": "Audit"}},
    ],
}
CLAIM_FLOW = {
    "schema_version": 1, "key": "claim", "version": 1, "labels": {"zh": "审批", "en": "Flow"},
    "nodes": [{"id": "finance", "type": "approval", "mode": "any",
               "approvers": [{"kind": "role", "role": "finance"}],
               "field_permissions": {"audit": "edit", "receipts": "read"}}],
}


@pytest.fixture
def w(store: Store) -> Iterator[DocWorld]:
    world = DocWorld(store)
    definitions.publish(store, world.tenant_id, "form", "claim", body=CLAIM)
    definitions.publish(store, world.tenant_id, "flow", "claim", body=CLAIM_FLOW)
    yield world


def test_files_follow_the_field_permissions(w: DocWorld, tmp_path: Path) -> None:
    storage = FileStorage(tmp_path / "files")
    draft = documents.create_draft(w.store, w.who("clerk"), "claim", {"note": "taxi"}).id
    made = attachments.add(w.store, storage, w.who("clerk"), draft, "receipts", "taxi.pdf",
                           "application/pdf", b"%PDF-1")
    assert made.size == 6 and made.sha256 == hashlib.sha256(b"%PDF-1").hexdigest()
    assert storage.get(made.storage_key) == b"%PDF-1"
    seen = doc_queries.get(w.store, w.who("clerk"), draft).data["receipts"]
    assert seen == [{"name": "taxi.pdf", "size": 6, "content_type": "application/pdf",
                     "storage_key": made.storage_key}]
    with pytest.raises(ValidationError):
        attachments.add(w.store, storage, w.who("clerk"), draft, "note", "x", "text/plain", b"")
    with pytest.raises(NotFound):  # not their document to see
        attachments.add(w.store, storage, w.who("fin1"), draft, "receipts", "x", "t/p", b"")
    out = documents.submit(w.store, w.who("clerk"), draft)
    assert out.document.status == "in_approval"
    with pytest.raises(PermissionDenied):  # read-only at finance, and not the clerk's turn
        attachments.add(w.store, storage, w.who("fin1"), draft, "receipts", "x", "t/p", b"")
    with pytest.raises(PermissionDenied):
        attachments.delete(w.store, storage, w.who("clerk"), draft, made.id)
    note = attachments.add(w.store, storage, w.who("fin1"), draft, "audit", "ok.txt",
                           "text/plain", b"checked")
    assert [a.name for a in attachments.listed(w.store, w.who("fin1"), draft)] == [
        "taxi.pdf", "ok.txt"]
    assert attachments.read(w.store, storage, w.who("fin1"), draft, note.id)[1] == b"checked"
    attachments.delete(w.store, storage, w.who("fin1"), draft, note.id)
    with pytest.raises(KeyError):
        storage.get(note.storage_key)
    assert doc_queries.get(w.store, w.who("clerk"), draft).data["audit"] == []
    with pytest.raises(NotFound):
        attachments.read(w.store, storage, w.who("other"), draft, made.id)
    documents.act(w.store, w.who("fin1"), draft, ActionRequest("approve"))
    assert documents.submit_new(w.store, w.who("clerk"), "claim", {}).document.id != draft


def test_file_storage_keeps_keys_inside_its_folder(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path / "root")
    for bad in ("../x", "/etc/passwd", "a/../../b", "a/./b", "", ".hidden", "a\\b"):
        with pytest.raises((ValueError, KeyError)):
            storage.put(bad, b"x")
        with pytest.raises(KeyError):
            storage.get(bad)
    storage.put("t1/d2/abc", b"ok")
    assert (tmp_path / "root" / "t1" / "d2" / "abc").read_bytes() == b"ok"
    storage.delete("t1/d2/abc")
    storage.delete("t1/d2/abc")  # twice is fine
