"""Definitions admins author — forms, flows and rule sets: drafts, checks, publishing,
versions, and dry runs of a rule set against a document.

Writing, checking and dry runs need ``design`` — and, for a form whose access setting
(``/forms/{key}/access``) lists ``design`` roles, to be a tenant admin or hold one of
them: else 403 ``definition.design_denied`` (the form, its flow and rules share the
key; a key with no published form yet is open to every designer). Reading published
versions needs ``definitions.view`` (every member: the workspace renders forms from
them); reading a draft needs ``design`` alone. A
form, its flow and its rule set share one key. Problems carry a field path
(``fields[2].min``) or, in rules, the line and column.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from designer import auth, runtime
from designer.api.doc_schemas import DocumentData, PreviewOut, preview_body, problem_dicts
from designer.api.examples import definitions as ex
from designer.api.operation import blueprint, operation
from designer.api.problems import ProblemItem
from designer.api.schemas import Cursor, PageQuery, Request, coded, encode_cursor, ident, text
from engine.errors import EngineError
from engine.errors import ValidationError as EngineValidationError
from engine.services import definitions, doc_queries, preview
from engine.store import Store

blp = blueprint("definitions", "Forms, flows and rule sets: drafts, checks, versions, dry runs")
KIND = "any(form, flow, rules)"
KEY = "key"  # schemas.KeyConverter
VERSION = "int(min=1, max=1000000)"
EVENT = re.compile(r"^[a-z]+(_at:[A-Za-z0-9_-]{1,63})?$")


def _store() -> Store:
    return runtime(current_app).store


def _tenant() -> int:
    return auth.api_principal().tenant_id


def _same_key(kind: str, key: str, body: dict[str, Any]) -> None:
    if kind != "rules" and "key" in body and body["key"] != key:
        raise EngineValidationError.of(
            "definition.key_mismatch", f"The body's key '{body['key']}' is not '{key}'",
            f"内容中的键 '{body['key']}' 与 '{key}' 不一致", path="body.key")


# schemas -------------------------------------------------------------------------------------

BODY = fields.Dict(keys=fields.String(), metadata={
    "description": "a form or flow definition (JSON), or {\"text\": …} for a rule set",
    "example": {"text": "on transfer approved:\n    for line in lines: move line.qty of "
                        "line.item from from_store to to_store\n"}})


class DraftIn(Request):
    body = fields.Dict(keys=fields.String(), required=True,
                       metadata=BODY.metadata)


class CheckIn(Request):
    body = fields.Dict(keys=fields.String(), metadata={
        "description": "check this body instead of the saved draft", **BODY.metadata})


class CheckedOut(Schema):
    kind = fields.String(required=True)
    key = fields.String(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "publishing would succeed"})
    problems = fields.List(fields.Nested(ProblemItem), required=True, metadata={
        "description": "every problem publishing would refuse, with its path or line:column"})


class PublishedOut(Schema):
    kind = fields.String(required=True)
    key = fields.String(required=True)
    version = fields.Integer(required=True)


class DefinitionOut(Schema):
    kind = fields.String(required=True)
    key = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "0 for the draft"})
    state = fields.String(required=True, metadata={"description": "draft or published"})
    body = fields.Dict(required=True)
    source = fields.Dict(required=True, metadata={
        "description": "the template and version it came from, if any"})
    created_at = fields.DateTime(required=True)
    published_at = fields.DateTime(allow_none=True)


class VersionOut(Schema):
    kind = fields.String(required=True)
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    state = fields.String(required=True)


class VersionQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(definitions.KINDS))
    key = text(63)
    cursor = Cursor()


class VersionPage(Schema):
    items = fields.List(fields.Nested(VersionOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class DryRunIn(Request):
    text = fields.String(validate=validate.Length(1, 100_000), metadata={
        "description": "the rule text to try (default: the draft, else the newest version)"})
    document_id = ident(metadata={"description": "a draft or submitted document of this form"})
    data = DocumentData(metadata={"description": "or a document's data, not saved"})
    event = fields.String(load_default="approved", validate=validate.Regexp(EVENT), metadata={
        "description": "submitted, approved, approved_at:<node>, rejected, withdrawn, "
                       "cancelled", "example": "approved"})

    @validates_schema
    def _one_document(self, data: dict[str, Any], **_: Any) -> None:
        if ("document_id" in data) == ("data" in data):
            raise ValidationError(coded("dry_run.one_document",
                                        "Give either document_id or data",
                                        "document_id 与 data 须且只能给一个"), "document_id")


# views ------------------------------------------------------------------------------------------

@blp.route("/definitions")
class DefinitionsView(MethodView):
    @operation(blp, "definitions.view")
    @blp.arguments(VersionQuery, location="query")
    @blp.response(200, VersionPage, example=ex.VERSIONS)
    def get(self, args: dict[str, Any]) -> Any:
        """Every version and draft (filters: kind, key), by kind, key and version"""
        rows = [r for r in definitions.versions(_store(), _tenant(), args.get("kind"))
                if args.get("key") in (None, r[1])]
        start = args.get("cursor") or 0
        page = rows[start:start + args["limit"]]
        more = start + args["limit"] < len(rows)
        return {"items": [dict(zip(("kind", "key", "version", "state"), r, strict=True))
                          for r in page],
                "next_cursor": encode_cursor(start + args["limit"]) if more else None}


@blp.route(f"/definitions/<{KIND}:kind>/<{KEY}:key>")
class LatestView(MethodView):
    @operation(blp, "definitions.view", errors=(404,))
    @blp.response(200, DefinitionOut, example=ex.DEFINITION)
    def get(self, kind: str, key: str) -> Any:
        """The newest published version"""
        return definitions.get(_store(), _tenant(), kind, key)


@blp.route(f"/definitions/<{KIND}:kind>/<{KEY}:key>/versions/<{VERSION}:version>")
class VersionView(MethodView):
    @operation(blp, "definitions.view", errors=(404,))
    @blp.response(200, DefinitionOut, example=ex.DEFINITION)
    def get(self, kind: str, key: str, version: int) -> Any:
        """One published version (they never change)"""
        return definitions.get(_store(), _tenant(), kind, key, version)


@blp.route(f"/definitions/<{KIND}:kind>/<{KEY}:key>/draft")
class DraftView(MethodView):
    @operation(blp, "design", errors=(404,))
    @blp.response(200, DefinitionOut, example=ex.DRAFT_OUT)
    def get(self, kind: str, key: str) -> Any:
        """The draft being edited"""
        return definitions.get(_store(), _tenant(), kind, key, draft=True)

    @operation(blp, "design")
    @blp.arguments(DraftIn, examples=ex.DRAFT)
    @blp.response(200, CheckedOut, example=ex.CHECKED)
    def put(self, data: dict[str, Any], kind: str, key: str) -> Any:
        """Create or replace the draft; answers the problems publishing would refuse"""
        principal = auth.api_principal()
        _same_key(kind, key, data["body"])
        saved = definitions.save_draft(_store(), principal.tenant_id, kind, key, data["body"],
                                       ctx=auth.call_context(principal), by=principal)
        return {"kind": kind, "key": key, "ok": not saved.problems,
                "problems": problem_dicts(saved.problems)}


@blp.route(f"/definitions/<{KIND}:kind>/<{KEY}:key>/validate")
class ValidateView(MethodView):
    @operation(blp, "design", errors=(404,))
    @blp.arguments(CheckIn, examples=ex.CHECK)
    @blp.response(200, CheckedOut, example=ex.PROBLEMS)
    def post(self, data: dict[str, Any], kind: str, key: str) -> Any:
        """Check the draft (or a body) as publishing would; saves nothing"""
        principal = auth.api_principal()
        if "body" in data:
            _same_key(kind, key, data["body"])
        found = definitions.validate(_store(), principal.tenant_id, kind, key, data.get("body"),
                                     by=principal)
        return {"kind": kind, "key": key, "ok": not found, "problems": problem_dicts(found)}


@blp.route(f"/definitions/<{KIND}:kind>/<{KEY}:key>/publish")
class PublishView(MethodView):
    @operation(blp, "design", errors=(404,))
    @blp.arguments(CheckIn, examples=ex.PUBLISH)
    @blp.response(201, PublishedOut, example=ex.PUBLISHED)
    def post(self, data: dict[str, Any], kind: str, key: str) -> Any:
        """Publish the draft (or a body) as the next version; 422 lists every problem"""
        principal = auth.api_principal()
        if "body" in data:
            _same_key(kind, key, data["body"])
        version = definitions.publish(_store(), principal.tenant_id, kind, key,
                                      body=data.get("body"), ctx=auth.call_context(principal),
                                      by=principal)
        where = f"/api/v1/definitions/{kind}/{key}/versions/{version}"
        return {"kind": kind, "key": key, "version": version}, 201, {"Location": where}


@blp.route(f"/definitions/rules/<{KEY}:key>/dry-run")
class DryRunView(MethodView):
    @operation(blp, "design", errors=(404,))
    @blp.arguments(DryRunIn, examples=ex.DRY_RUN)
    @blp.response(200, PreviewOut, example=ex.DRY_RUN_OUT)
    def post(self, data: dict[str, Any], key: str) -> Any:
        """What the rule set would post for a document on an event; nothing is kept"""
        principal, store = auth.api_principal(), _store()
        text_ = data.get("text")
        if text_ is None:
            text_ = _rules_text(store, principal.tenant_id, key)
        document_id, form_version = 0, None
        values = data.get("data")
        if "document_id" in data:
            doc = doc_queries.get(store, principal, data["document_id"])
            if doc.form_key != key:
                raise EngineValidationError.of(
                    "dry_run.other_form", f"Document {doc.id} is a '{doc.form_key}', "
                    f"not a '{key}'", f"单据 {doc.id} 属于 '{doc.form_key}'，不是 '{key}'",
                    path="document_id")
            document_id, form_version, values = doc.id, doc.versions.get("form"), doc.data
        form = definitions.get(store, principal.tenant_id, "form", key, form_version)
        seen = preview.dry_run(store, principal.tenant_id, text_, form.body, values or {},
                               data["event"], document_id=document_id,
                               ctx=auth.call_context(principal), by=principal)
        return preview_body(seen)


def _rules_text(store: Store, tenant_id: int, key: str) -> str:
    try:
        found = definitions.get(store, tenant_id, "rules", key, draft=True)
    except EngineError:
        found = definitions.get(store, tenant_id, "rules", key)
    return str(found.body.get("text", ""))
