"""Attachments of a document: upload (multipart, size-limited), list, download and
delete. The bytes live in the attachment storage (the embedded default: the
``attachments`` folder of the instance), the metadata in the database.

Uploading or deleting needs the right to edit the attachment field where the
document stands (its creator while it is a draft; at a node whose field permissions
give ``edit``, the holder of the open task): 403 otherwise. Downloads are always
served as ``application/octet-stream`` with ``Content-Disposition: attachment`` (the
declared type is in the metadata): a stored file never renders in the app's origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields
from werkzeug.datastructures import FileStorage as UploadedFile

from designer import auth, runtime
from designer.api.examples import attachments as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import Request, text
from engine.errors import ValidationError
from engine.services import attachments
from engine.store import Store
from engine.store.attachment_store import AttachmentStorage, FileStorage

blp = blueprint("attachments", "Attachments: files on a document's attachment fields")
ID = "int(min=1, max=9223372036854775807)"
MAX_BYTES = 10 * 1024 * 1024  # the default; FLOWLEDGER_MAX_ATTACHMENT_BYTES overrides


def _store() -> Store:
    return runtime(current_app).store


def storage() -> AttachmentStorage:
    """The app's attachment storage (``flowledger.attachments`` if set, else files under
    the instance folder)."""
    found = current_app.extensions.get("flowledger.attachments")
    if found is None:
        found = current_app.extensions["flowledger.attachments"] = FileStorage(
            Path(current_app.instance_path) / "attachments")
    return found  # type: ignore[no-any-return]


class UploadQuery(Request):
    field = text(63, required=True, metadata={"description": "the attachment field",
                                              "example": "receipts"})


class UploadFiles(Request):
    file = Upload(required=True, metadata={"description": "the file (multipart/form-data)"})


class AttachmentOut(Schema):
    id = fields.Integer(required=True)
    document_id = fields.Integer(required=True)
    field = fields.String(required=True)
    name = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True)
    storage_key = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class AttachmentList(Schema):
    items = fields.List(fields.Nested(AttachmentOut), required=True)


def _read(upload: UploadedFile) -> bytes:
    limit = int(current_app.config.get("MAX_ATTACHMENT_BYTES", MAX_BYTES))
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError.of("attachment.too_large", f"A file may have at most {limit} "
                                 "bytes", f"文件最多 {limit} 字节", path="file")
    return data


@blp.route(f"/documents/<{ID}:document_id>/attachments")
class AttachmentsView(MethodView):
    @operation(blp, "documents.view", errors=(404,))
    @blp.response(200, AttachmentList, example=ex.ATTACHMENTS)
    def get(self, document_id: int) -> Any:
        """The document's files, oldest first"""
        return {"items": attachments.listed(_store(), auth.api_principal(), document_id)}

    @operation(blp, "documents.act", errors=(404, 409))
    @blp.arguments(UploadQuery, location="query")
    @blp.arguments(UploadFiles, location="files")
    @blp.response(201, AttachmentOut, example=ex.ATTACHMENT)
    def post(self, args: dict[str, Any], files: dict[str, Any], document_id: int) -> Any:
        """Upload a file to an attachment field (multipart/form-data, part ``file``)"""
        principal = auth.api_principal()
        upload: UploadedFile = files["file"]
        made = attachments.add(_store(), storage(), principal, document_id, args["field"],
                               upload.filename or "file",
                               upload.mimetype or "application/octet-stream", _read(upload),
                               ctx=auth.call_context(principal))
        return made, 201, {"Location": f"/api/v1/documents/{document_id}/attachments/"
                                       f"{made.id}"}


@blp.route(f"/documents/<{ID}:document_id>/attachments/<{ID}:attachment_id>")
class AttachmentView(MethodView):
    @operation(blp, "documents.view", errors=(404,))
    @blp.response(200, {"format": "binary", "type": "string"},
                  content_type="application/octet-stream")
    def get(self, document_id: int, attachment_id: int) -> Any:
        """Download one file"""
        meta, data = attachments.read(_store(), storage(), auth.api_principal(), document_id,
                                      attachment_id)
        response = Response(data, mimetype="application/octet-stream")
        response.headers.set("Content-Disposition", "attachment", filename=meta.name)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @operation(blp, "documents.act", errors=(404, 409))
    @blp.response(204)
    def delete(self, document_id: int, attachment_id: int) -> Any:
        """Delete one file (from its field and from storage)"""
        principal = auth.api_principal()
        attachments.delete(_store(), storage(), principal, document_id, attachment_id,
                           ctx=auth.call_context(principal))
        return None
