"""Documents: drafts, submitting, actions on them, effect previews, timelines, and the
task boxes people work from.

Every member holds ``documents.create``, ``documents.view`` and ``documents.act``;
each form's access setting (``/forms/{key}/access``) narrows them: which roles may
create its documents (others: 403 ``document.create_denied``) and what each role may
view — own, department or all (a document one may not view answers 404, like another
tenant's). Fields hidden at the reader's flow node are left out of what they read.
Whose turn an action is, the document's flow decides (someone else's task answers
403); cancelling, and reminding or commenting on a document one is neither the
submitter of nor involved in, are for tenant admins and the form's ``act`` roles
(others: 403 ``document.act_denied``). A refusal by the ledger answers 409 with its code and the rule line and
document line behind it (``source``: ``line``, ``column``, ``path: lines[1]``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from designer import auth, runtime
from designer.api.doc_schemas import (
    DocumentData,
    DocumentOut,
    DocumentTasksOut,
    OutcomeOut,
    PreviewOut,
    preview_body,
)
from designer.api.examples import documents as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import Cursor, PageQuery, Request, encode_cursor, text
from engine.services import access_rules, doc_access, doc_queries, documents, preview
from engine.services.documents import ActionRequest, Outcome
from engine.store import Store

blp = blueprint("documents", "Documents: drafts, submit, approve and other actions, "
                             "effect previews, timelines, task boxes")
ID = "int(min=1, max=9223372036854775807)"
BOX = "any(todo, processed, cc, initiated)"
KEY = "key"  # schemas.KeyConverter
ACTIONS = sorted(documents.USER_ACTIONS)
STATUSES = ["draft", "in_approval", "approved", "rejected", "withdrawn", "cancelled"]
MAX_BOX = 200


def _store() -> Store:
    return runtime(current_app).store


CHOSEN = fields.Dict(keys=text(63), values=fields.List(text(150), validate=validate.Length(
    1, 20)), validate=validate.Length(max=20), metadata={
    "description": "approvers the submitter chooses, per node (nodes whose approvers are "
                   "'chosen by the submitter')", "example": {"finance": ["fin1"]}})


class NewDocument(Request):
    form = text(63, required=True, metadata={"example": "transfer"})
    data = DocumentData(load_default=dict)


class SubmitNew(NewDocument):
    chosen = CHOSEN


class DraftData(Request):
    data = DocumentData(required=True, metadata={"description": "the draft's new data "
                                                                "(replaces the old)"})


class SubmitIn(Request):
    chosen = CHOSEN


class ActionIn(Request):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS), metadata={
        "description": "reject with return_to sends it back to that earlier node"})
    task = text(100, metadata={"description": "which of your open tasks (default: the one)"})
    comment = fields.String(validate=validate.Length(max=2000))
    target = text(150, metadata={"description": "transfer / add_before / add_after: who"})
    return_to = text(100, metadata={"description": "reject: the earlier node to return to"})
    edits = DocumentData(data_key="fields", load_default=dict, metadata={
        "description": "field values this node may edit (handler nodes)"})


class DocumentQuery(PageQuery):
    form = text(63)
    status = fields.String(validate=validate.OneOf(STATUSES))
    submitter = text(150, metadata={"description": "username"})
    cursor = Cursor()


class DocumentPage(Schema):
    items = fields.List(fields.Nested(DocumentOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class TimelineOut(Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    comment = fields.String(allow_none=True)
    detail = fields.Dict(required=True)


class TaskLineOut(Schema):
    document_id = fields.Integer(required=True)
    form_key = fields.String(required=True)
    serial = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"description": "the document's status"})
    task = fields.String(required=True, metadata={"description": "empty in 'initiated'"})
    node = fields.String(required=True)
    state = fields.String(required=True, metadata={
        "description": "the task's state: pending, approved, rejected, transferred, cc…"})
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    took_seconds = fields.Float(allow_none=True)


class BoxQuery(Request):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, MAX_BOX))


class BoxOut(Schema):
    items = fields.List(fields.Nested(TaskLineOut), required=True)


class CountsOut(Schema):
    todo = fields.Integer(required=True)
    processed = fields.Integer(required=True)
    cc = fields.Integer(required=True)


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {"document": outcome.document, "events": list(outcome.events),
            "movements": outcome.movements, "repeated": outcome.repeated}


def _request(data: dict[str, Any]) -> ActionRequest:
    return ActionRequest(data["action"], data.get("task"), data.get("comment"),
                         data.get("target"), data.get("return_to"), data["edits"])


def _located(document_id: int) -> dict[str, str]:
    return {"Location": f"/api/v1/documents/{document_id}"}


# documents ----------------------------------------------------------------------------------

@blp.route("/documents")
class DocumentsView(MethodView):
    @operation(blp, "documents.view")
    @blp.arguments(DocumentQuery, location="query")
    @blp.response(200, DocumentPage, example=ex.DOCUMENTS)
    def get(self, args: dict[str, Any]) -> Any:
        """Documents, newest first (filters: form, status, submitter)"""
        limit = args["limit"]
        found = doc_queries.documents(_store(), auth.api_principal(), form_key=args.get("form"),
                                status=args.get("status"), submitter=args.get("submitter"),
                                before_id=args.get("cursor"), limit=limit + 1)
        more = len(found) > limit
        return {"items": found[:limit],
                "next_cursor": encode_cursor(found[limit - 1].id) if more else None}

    @operation(blp, "documents.create", errors=(404,))
    @blp.arguments(NewDocument, examples=ex.NEW_DOCUMENT)
    @blp.response(201, DocumentOut, example=ex.DRAFT)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a draft (checked as far as it goes: types, not required fields)"""
        principal = auth.api_principal()
        made = documents.create_draft(_store(), principal, data["form"], data["data"],
                                      ctx=auth.call_context(principal))
        return made, 201, _located(made.id)


@blp.route("/documents/submit")
class SubmitNewView(MethodView):
    @operation(blp, "documents.create", errors=(404, 409))
    @blp.arguments(SubmitNew, examples=ex.SUBMIT_NEW)
    @blp.response(201, OutcomeOut, example=ex.SUBMITTED)
    def post(self, data: dict[str, Any]) -> Any:
        """Create and submit at once (nothing is kept if it is refused)"""
        principal = auth.api_principal()
        outcome = documents.submit_new(_store(), principal, data["form"], data["data"],
                                       chosen=data.get("chosen"),
                                       ctx=auth.call_context(principal))
        return _outcome(outcome), 201, _located(outcome.document.id)


@blp.route(f"/documents/<{ID}:document_id>")
class OneDocumentView(MethodView):
    @operation(blp, "documents.view", errors=(404,))
    @blp.response(200, DocumentOut, example=ex.DOCUMENT)
    def get(self, document_id: int) -> Any:
        """One document with its open tasks"""
        return doc_queries.get(_store(), auth.api_principal(), document_id)

    @operation(blp, "documents.create", errors=(404, 409))
    @blp.arguments(DraftData, example=ex.DRAFT_DATA)
    @blp.response(200, DocumentOut, example=ex.DRAFT)
    def put(self, data: dict[str, Any], document_id: int) -> Any:
        """Replace a draft's data (only its creator, only while it is a draft)"""
        principal = auth.api_principal()
        return documents.update_draft(_store(), principal, document_id, data["data"],
                                      ctx=auth.call_context(principal))


@blp.route(f"/documents/<{ID}:document_id>/submit")
class SubmitView(MethodView):
    @operation(blp, "documents.create", errors=(404, 409))
    @blp.arguments(SubmitIn, examples=ex.SUBMIT)
    @blp.response(200, OutcomeOut, example=ex.SUBMITTED)
    def post(self, data: dict[str, Any], document_id: int) -> Any:
        """Submit a draft: validate, number it, start its flow, post the rules' effects"""
        principal = auth.api_principal()
        return _outcome(documents.submit(_store(), principal, document_id,
                                         chosen=data.get("chosen"),
                                         ctx=auth.call_context(principal)))


@blp.route(f"/documents/<{ID}:document_id>/actions")
class ActionView(MethodView):
    @operation(blp, "documents.act", errors=(404, 409))
    @blp.arguments(ActionIn, examples=ex.ACTION)
    @blp.response(200, OutcomeOut, example=ex.ACTED)
    def post(self, data: dict[str, Any], document_id: int) -> Any:
        """Approve, reject (or return), transfer, add an approver, withdraw, remind,
        comment or cancel; repeating a decision changes nothing (repeated: true)"""
        principal = auth.api_principal()
        return _outcome(documents.act(_store(), principal, document_id, _request(data),
                                      ctx=auth.call_context(principal)))


@blp.route(f"/documents/<{ID}:document_id>/preview")
class PreviewView(MethodView):
    @operation(blp, "documents.act", errors=(404, 409))
    @blp.arguments(ActionIn, examples=ex.ACTION)
    @blp.response(200, PreviewOut, example=ex.PREVIEW)
    def post(self, data: dict[str, Any], document_id: int) -> Any:
        """What an action would do — movements, batches picked, balances after, or the
        refusal — without doing it"""
        principal = auth.api_principal()
        return preview_body(preview.preview_action(_store(), principal, document_id,
                                                   _request(data),
                                                   ctx=auth.call_context(principal)))


@blp.route(f"/documents/<{ID}:document_id>/timeline")
class TimelineView(MethodView):
    @operation(blp, "documents.view", errors=(404,))
    @blp.response(200, TimelineOut(many=True), example=ex.TIMELINE)
    def get(self, document_id: int) -> Any:
        """What happened to the document, oldest first"""
        return doc_queries.timeline(_store(), auth.api_principal(), document_id)


@blp.route(f"/documents/<{ID}:document_id>/tasks")
class DocumentTasksView(MethodView):
    @operation(blp, "documents.view", errors=(404,))
    @blp.response(200, DocumentTasksOut, example=ex.TASKS)
    def get(self, document_id: int) -> Any:
        """Every task of the document, whoever holds it — open, decided, cancelled, cc —
        oldest first"""
        return {"items": doc_queries.tasks(_store(), auth.api_principal(), document_id)}


# tasks ----------------------------------------------------------------------------------------

@blp.route("/tasks/counts")
class CountsView(MethodView):
    @operation(blp, "documents.view")
    @blp.response(200, CountsOut, example=ex.COUNTS)
    def get(self) -> Any:
        """How many tasks are in each of my boxes (the badge numbers)"""
        return doc_queries.counts(_store(), auth.api_principal())


@blp.route(f"/tasks/<{BOX}:box>")
class BoxView(MethodView):
    @operation(blp, "documents.view")
    @blp.arguments(BoxQuery, location="query")
    @blp.response(200, BoxOut, example=ex.BOX)
    def get(self, args: dict[str, Any], box: str) -> Any:
        """My to-do, processed, cc or initiated box, newest first"""
        return {"items": doc_queries.box(_store(), auth.api_principal(), box, args["limit"])}


# per-form access --------------------------------------------------------------------------------

ROLE = text(63)


ACCESS_DOC = {
    "create": "roles that may create documents of the form; null: every member",
    "view": "per role (\"*\": every member): own, department or all",
    "submitter_fields": "the submitter's field permissions (hidden / read / edit; "
                        "default edit)",
    "act": "roles whose members act for the form on the documents they may view: cancel "
           "approved ones (postings reversed), remind and comment on any; tenant admins "
           "always may. Others get 403 document.act_denied. null: tenant admins only. "
           "Task actions stay with the task's holder, withdraw with the submitter",
    "design": "roles that may change the form, its flow and rules (drafts, checks, "
              "publishing, dry runs) and this setting — besides tenant admins, and on top "
              "of the design permission. Others get 403 definition.design_denied. null: "
              "whoever holds design",
}


def _roles(name: str, example: list[str]) -> fields.List:
    return fields.List(ROLE, allow_none=True, load_default=None, validate=validate.Length(
        max=access_rules.MAX_ROLES), metadata={"description": ACCESS_DOC[name],
                                               "example": example})


class AccessIn(Request):
    create = _roles("create", ["clerk"])
    view = fields.Dict(keys=ROLE, values=fields.String(validate=validate.OneOf(
        access_rules.SCOPES)), load_default=dict, validate=validate.Length(
        max=access_rules.MAX_ROLES), metadata={
        "description": ACCESS_DOC["view"],
        "example": {"store_manager": "department", "finance": "all", "*": "own"}})
    submitter_fields = fields.Dict(keys=text(127), values=fields.String(
        validate=validate.OneOf(access_rules.LEVELS)), load_default=dict,
        validate=validate.Length(max=access_rules.MAX_ROLES), metadata={
            "description": ACCESS_DOC["submitter_fields"], "example": {"cost": "hidden"}})
    act = _roles("act", ["store_manager"])
    design = _roles("design", ["purchasing_lead"])


class AccessOut(Schema):
    form = fields.String(required=True)
    create = fields.List(fields.String(), required=True, allow_none=True,
                         metadata={"description": ACCESS_DOC["create"]})
    view = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                       metadata={"description": ACCESS_DOC["view"]})
    submitter_fields = fields.Dict(keys=fields.String(), values=fields.String(),
                                   required=True,
                                   metadata={"description": ACCESS_DOC["submitter_fields"]})
    act = fields.List(fields.String(), required=True, allow_none=True,
                      metadata={"description": ACCESS_DOC["act"]})
    design = fields.List(fields.String(), required=True, allow_none=True,
                         metadata={"description": ACCESS_DOC["design"]})


def _access(key: str, rules: access_rules.AccessRules) -> dict[str, Any]:
    return {"form": key, **rules.as_json()}


@blp.route(f"/forms/<{KEY}:key>/access")
class FormAccessView(MethodView):
    @operation(blp, "definitions.view", errors=(404,))
    @blp.response(200, AccessOut, example=ex.ACCESS)
    def get(self, key: str) -> Any:
        """Who may create, view and act on the form's documents, and who may design it"""
        return _access(key, doc_access.get_rules(_store(), auth.api_principal(), key))

    @operation(blp, "design", errors=(404,))
    @blp.arguments(AccessIn, example=ex.ACCESS_IN)
    @blp.response(200, AccessOut, example=ex.ACCESS)
    def put(self, data: dict[str, Any], key: str) -> Any:
        """Set who may create, view and act on the form's documents, and who may design
        it (only those who may design the form: else 403 definition.design_denied)"""
        principal = auth.api_principal()
        return _access(key, doc_access.set_rules(_store(), principal, key, data,
                                                 ctx=auth.call_context(principal)))
