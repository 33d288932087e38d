"""Files attached to a document's attachment fields: the bytes in an
:class:`~engine.store.attachment_store.AttachmentStorage`, the metadata (name, size,
content type, SHA-256, storage key, who and when) in ``attachments``, and the field's
value — the list of ``{name, size, content_type, storage_key}`` the form defines —
kept in step with the rows.

Adding or deleting needs the right to edit the field: the draft's creator (unless the
form's ``submitter_fields`` locks it), or someone with an open task at a node whose
``field_permissions`` give the field ``edit``. Reading needs the right to view the
document, and a field hidden from the reader hides its files too (404).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import Conflict, NotFound, PermissionDenied, ValidationError
from engine.flows import instance_from_json
from engine.flows.permissions import permission
from engine.flows.spec import Permission
from engine.forms import FieldKind
from engine.services import doc_access
from engine.services.context import SYSTEM, CallContext, audit
from engine.services.identity import Principal
from engine.store.attachment_store import AttachmentStorage
from engine.store.db import Store
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Attachment, Document
from engine.store.uow import UnitOfWork, transaction

MAX_NAME = 255
MAX_CONTENT_TYPE = 127


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    document_id: int
    field: str
    name: str
    size: int
    content_type: str
    sha256: str
    storage_key: str
    created_by: str
    created_at: datetime


def _view(row: Attachment) -> AttachmentView:
    return AttachmentView(row.id, row.document_id, row.field, row.name, row.size,
                          row.content_type, row.sha256, row.storage_key, row.created_by,
                          row.created_at)


def _entry(row: Attachment) -> dict[str, Any]:
    return {"name": row.name, "size": row.size, "content_type": row.content_type,
            "storage_key": row.storage_key}


def _attachment_field(doc: Document, bundle: Any, field: str) -> None:
    f = bundle.form.field(field)
    if f is None or f.kind is not FieldKind.ATTACHMENT:
        raise ValidationError.of(
            "attachment.not_an_attachment_field",
            f"'{doc.form_key}' has no attachment field '{field}'",
            f"'{doc.form_key}' 没有附件字段 '{field}'", path="field")


def _may_edit(uow: UnitOfWork, principal: Principal, doc: Document, bundle: Any,
              field: str) -> None:
    """The field must be editable by ``principal`` where the document stands."""
    if doc.status == "draft":
        rules = doc_access.rules_in(uow, doc.tenant_id, doc.form_key)
        if doc.submitter == principal.username and (
                principal.is_admin or rules.submitter_fields.get(field, "edit") == "edit"):
            return
    elif doc.status == "in_approval" and doc.flow and bundle.flow is not None:
        instance = instance_from_json(doc.flow)
        if any(t.assignee == principal.username and t.state.open
               and permission(bundle.flow, t.node, field) is Permission.EDIT
               for t in instance.tasks):
            return
    elif doc.status != "in_approval":
        raise Conflict.of("attachment.document_closed", f"Document {doc.id} is {doc.status}: "
                          "its files can no longer change",
                          f"单据 {doc.id} 已是 {doc.status} 状态，附件不能再修改", path="status")
    raise PermissionDenied.of("attachment.not_editable", f"You may not change the files of "
                              f"'{field}' here", f"您在此处不能修改 '{field}' 的附件",
                              path="field")


def _readable(uow: UnitOfWork, principal: Principal, doc: Document, field: str) -> bool:
    reader = doc_access.Reader.of(uow, principal, [doc])
    return field in reader.data(uow, doc, {field: []})


def add(store: Store, storage: AttachmentStorage, principal: Principal, document_id: int,
        field: str, name: str, content_type: str, data: bytes,
        ctx: CallContext = SYSTEM) -> AttachmentView:
    """Store ``data`` and attach it to ``field`` of the document."""
    key = f"t{principal.tenant_id}/d{document_id}/{secrets.token_hex(16)}"
    digest = hashlib.sha256(data).hexdigest()

    def work(uow: UnitOfWork) -> AttachmentView:
        doc = doc_access.viewable(uow, principal, document_id, lock=True)
        bundle = doc_access.pinned(uow, doc)
        _attachment_field(doc, bundle, field)
        _may_edit(uow, principal, doc, bundle, field)
        row = Attachment(tenant_id=doc.tenant_id, document_id=doc.id, field=field,
                         name=name[:MAX_NAME], size=len(data),
                         content_type=content_type[:MAX_CONTENT_TYPE], sha256=digest,
                         storage_key=key, created_by=principal.username,
                         created_at=ctx.now())
        DocRepo(uow.session).add(row)
        files = list(doc.data.get(field) or [])
        doc.data = {**doc.data, field: [*files, _entry(row)]}
        doc.revision, doc.updated_at = doc.revision + 1, ctx.now()
        audit(uow, ctx, tenant_id=doc.tenant_id, object_type="document", object_id=doc.id,
              action="attach", after={"field": field, "name": row.name, "size": row.size,
                                      "sha256": digest})
        return _view(row)

    storage.put(key, data)
    try:
        return transaction(store, work)
    except BaseException:
        storage.delete(key)
        raise


def listed(store: Store, principal: Principal, document_id: int) -> list[AttachmentView]:
    """The document's files, in the order they were added (hidden fields' left out)."""
    def work(uow: UnitOfWork) -> list[AttachmentView]:
        doc = doc_access.viewable(uow, principal, document_id)
        rows = DocRepo(uow.session).attachments(doc.tenant_id, doc.id)
        shown = doc_access.Reader.of(uow, principal, [doc]).data(
            uow, doc, {r.field: [] for r in rows})
        return [_view(r) for r in rows if r.field in shown]

    return transaction(store, work, write=False)


def _one(uow: UnitOfWork, principal: Principal, document_id: int, attachment_id: int, *,
         lock: bool = False) -> tuple[Document, Attachment]:
    doc = doc_access.viewable(uow, principal, document_id, lock=lock)
    row = DocRepo(uow.session).attachment(doc.tenant_id, doc.id, attachment_id)
    if row is None or not _readable(uow, principal, doc, row.field):
        raise NotFound.of("attachment.not_found", f"No attachment {attachment_id} on "
                          f"document {document_id}", f"单据 {document_id} 没有附件 "
                          f"{attachment_id}", path="attachment_id")
    return doc, row


def read(store: Store, storage: AttachmentStorage, principal: Principal, document_id: int,
         attachment_id: int) -> tuple[AttachmentView, bytes]:
    """One file's metadata and bytes."""
    found = transaction(store, lambda uow: _view(_one(uow, principal, document_id,
                                                      attachment_id)[1]), write=False)
    try:
        return found, storage.get(found.storage_key)
    except KeyError:
        raise NotFound.of("attachment.missing", "The file is missing from storage",
                          "附件文件在存储中缺失", path="attachment_id") from None


def delete(store: Store, storage: AttachmentStorage, principal: Principal, document_id: int,
           attachment_id: int, ctx: CallContext = SYSTEM) -> None:
    """Detach a file from its field and delete its bytes."""
    def work(uow: UnitOfWork) -> str:
        doc, row = _one(uow, principal, document_id, attachment_id, lock=True)
        _may_edit(uow, principal, doc, doc_access.pinned(uow, doc), row.field)
        files = [f for f in doc.data.get(row.field) or []
                 if not (isinstance(f, dict) and f.get("storage_key") == row.storage_key)]
        doc.data = {**doc.data, row.field: files}
        doc.revision, doc.updated_at = doc.revision + 1, ctx.now()
        key = row.storage_key
        uow.session.delete(row)
        audit(uow, ctx, tenant_id=doc.tenant_id, object_type="document", object_id=doc.id,
              action="detach", before={"field": row.field, "name": row.name})
        return key

    storage.delete(transaction(store, work))
