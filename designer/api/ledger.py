"""Posting to the ledger from outside: one event's effects for integrators
(``ledger.post``), and many point-of-sale sales at once (``sales.post``).

Both are at most once by construction: every effect has a key, a retry with the
same content answers ``exists`` with the original movements, the same key with
other content ``exists_with_different_payload`` (409).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from designer import auth, runtime
from designer.api import external, problems
from designer.api.examples import ledger as ex
from designer.api.operation import blueprint, operation
from designer.api.problems import PostingFailed
from designer.api.schemas import Request, Timestamp, coded, cost_field, ident, quantity, text
from engine.ledger.results import PostingResult, Result
from engine.services import posting, queries
from engine.store import Store

blp = blueprint("ledger", "Posting ledger effects and point-of-sale batches")
KEY_CHARS = re.compile(r"^[A-Za-z0-9._:/@#=+-]+$")
MAX_LINE_VALUE = Decimal("100000000000")  # qty × unit cost, so sums stay exact in storage
IDS = fields.List(ident(), validate=validate.Length(1, 100))

# operation → (required, optional) fields
OPERATIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "receive": (frozenset({"item_id", "qty", "to_location_id"}),
                frozenset({"batch_id", "unit_cost", "from_location_id"})),
    "issue": (frozenset({"item_id", "qty", "from_location_id"}),
              frozenset({"to_location_id", "batch_id", "allow_expired", "reservation_ids"})),
    "move": (frozenset({"item_id", "qty", "from_location_id", "to_location_id"}),
             frozenset({"batch_id", "allow_expired", "reservation_ids"})),
    "scrap": (frozenset({"item_id", "qty", "from_location_id"}),
              frozenset({"batch_id", "to_location_id", "reservation_ids"})),
    "ship": (frozenset({"item_id", "qty", "from_location_id"}),
             frozenset({"batch_id", "transit_location_id"})),
    "transit_receive": (frozenset({"shipped_ids", "to_location_id"}), frozenset()),
    "count": (frozenset({"lines"}), frozenset({"adjustment_location_id"})),
    "reserve": (frozenset({"item_id", "qty", "location_id"}),
                frozenset({"batch_id", "expires_at"})),
    "release": (frozenset(), frozenset({"reservation_ids"})),
    "reverse": (frozenset(), frozenset({"movement_ids"})),
}


def _key(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, 200), validate.Regexp(KEY_CHARS)],
                         **kwargs)


class CountLineIn(Request):
    item_id = ident(required=True)
    location_id = ident(required=True)
    counted = quantity(positive=False, required=True)
    batch_id = ident()


class EffectIn(Request):
    key = _key(required=True, metadata={
        "description": "unique per effect, e.g. '<document>:<line>'", "example": "PO-77:1"})
    operation = fields.String(required=True, validate=validate.OneOf(sorted(OPERATIONS)))
    item_id = ident()
    qty = quantity()
    from_location_id = ident()
    to_location_id = ident()
    location_id = ident()
    batch_id = ident()
    unit_cost = cost_field()
    allow_expired = fields.Boolean()
    reservation_ids = IDS
    movement_ids = IDS
    shipped_ids = IDS
    transit_location_id = ident()
    adjustment_location_id = ident()
    expires_at = Timestamp()
    lines = fields.List(fields.Nested(CountLineIn), validate=validate.Length(1, 500))

    @validates_schema
    def _fits_operation(self, data: dict[str, Any], **_: Any) -> None:
        operation = data.get("operation")
        if operation not in OPERATIONS:
            return
        required, optional = OPERATIONS[operation]
        errors: dict[str, list[str]] = {}
        for name in sorted(required - data.keys()):
            errors[name] = [coded("field.required", f"'{operation}' needs this field",
                                  f"'{operation}' 需要此字段")]
        for name in sorted(data.keys() - required - optional - {"key", "operation"}):
            errors[name] = [coded("field.not_allowed", f"'{operation}' does not take this field",
                                  f"'{operation}' 不接受此字段")]
        if "qty" in data and "unit_cost" in data and \
                data["qty"] * data["unit_cost"] > MAX_LINE_VALUE:
            errors["unit_cost"] = [coded("number.too_large",
                                         f"qty × unit_cost must be at most {MAX_LINE_VALUE}",
                                         f"数量 × 单价不能超过 {MAX_LINE_VALUE}")]
        if errors:
            raise ValidationError(errors)


class PostingIn(Request):
    document = text(200, required=True, metadata={
        "description": "your document's reference; movements carry a document_id derived "
                       "from it", "example": "ERP-PO-77"})
    version = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 1_000_000))
    rule = text(150, load_default="api", metadata={"example": "erp.sync"})
    event = text(63, required=True, metadata={"example": "approved"})
    effects = fields.List(fields.Nested(EffectIn), required=True,
                          validate=validate.Length(1, 100))
    close_counts = fields.Boolean(load_default=False, metadata={
        "description": "a count closes the stocktakes open at its locations"})

    @validates_schema(skip_on_field_errors=False)
    def _unique_keys(self, data: dict[str, Any], **_: Any) -> None:
        keys = [e.get("key") for e in data.get("effects") or [] if isinstance(e, dict)]
        if len(keys) != len(set(keys)):
            raise ValidationError({"effects": [coded(
                "posting.duplicate_key", "Each effect needs its own key",
                "每个效果需要不同的 key")]})


class PostedMovementOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    batch_id = fields.Integer(allow_none=True)
    from_location_id = fields.Integer(required=True)
    to_location_id = fields.Integer(required=True)
    qty = fields.String(required=True)
    unit_cost = fields.String(allow_none=True)
    key = fields.String(required=True)
    posted_at = fields.DateTime(required=True)
    reversal_of = fields.Integer(allow_none=True)


class ReservationOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    location_id = fields.Integer(required=True)
    batch_id = fields.Integer(allow_none=True)
    qty = fields.String(required=True)
    state = fields.String(required=True)
    expires_at = fields.DateTime(allow_none=True)


class PostingOut(Schema):
    result = fields.String(required=True, metadata={"description": "ok, or exists on a retry"})
    document_id = fields.Integer(required=True)
    movements = fields.List(fields.Nested(PostedMovementOut), required=True)
    reservations = fields.List(fields.Nested(ReservationOut), required=True)


def _store() -> Store:
    return runtime(current_app).store


def _posted(result: PostingResult, document_id: int) -> dict[str, Any]:
    from engine.ledger.numbers import canonical

    return {
        "result": result.code.value, "document_id": document_id,
        "movements": [{"id": m.id, "item_id": m.item_id, "batch_id": m.batch_id,
                       "from_location_id": m.from_location_id,
                       "to_location_id": m.to_location_id, "qty": canonical(m.qty),
                       "unit_cost": None if m.unit_cost is None else canonical(m.unit_cost),
                       "key": m.key, "posted_at": m.posted_at, "reversal_of": m.reversal_of}
                      for m in result.movements],
        "reservations": [{"id": r.id, "item_id": r.key.item_id,
                          "location_id": r.key.location_id, "batch_id": r.key.batch_id,
                          "qty": canonical(r.qty), "state": r.state.value,
                          "expires_at": r.expires_at} for r in result.reservations],
    }


@blp.route("/ledger/postings")
class PostingsView(MethodView):
    @operation(blp, "ledger.post", errors=(404, 409))
    @blp.arguments(PostingIn, examples=ex.POSTING)
    @blp.response(201, PostingOut, description="Posted", example=ex.POSTED)
    @blp.alt_response(200, schema=PostingOut, description="Posted before: the original result",
                      example=ex.POSTED_BEFORE)
    def post(self, data: dict[str, Any]) -> Any:
        """Post one document event's effects together, or none of them"""
        principal = auth.api_principal()
        origin = external.posting_origin(data)
        result = posting.post_event(_store(), principal.tenant_id, origin,
                                    external.posting_effects(data["effects"]),
                                    ctx=auth.call_context(principal),
                                    close_counts=data["close_counts"])
        if result.code not in (Result.OK, Result.EXISTS):
            raise PostingFailed(result)
        return _posted(result, origin.document_id), 201 if result.ok else 200


# point of sale -----------------------------------------------------------------------------

CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]+$")


class SaleLineIn(Request):
    item = text(63, required=True, metadata={"description": "item code", "example": "COLA-330"})
    qty = quantity(required=True, metadata={"example": "2"})
    batch = text(63, metadata={"description": "batch code (default: picked FEFO)"})


class SaleIn(Request):
    client_id = fields.String(required=True, validate=[
        validate.Length(1, 100), validate.Regexp(CLIENT_ID)], metadata={
        "description": "your id for the sale (e.g. a UUID): resending it changes nothing",
        "example": "store12-20240601-0042"})
    location = text(63, required=True, metadata={"description": "the store's location code",
                                                  "example": "S12"})
    lines = fields.List(fields.Nested(SaleLineIn), required=True,
                        validate=validate.Length(1, 200))


class SalesBatchIn(Request):
    sales = fields.List(fields.Nested(SaleIn), required=True, validate=validate.Length(1, 500))

    @validates_schema(skip_on_field_errors=False)
    def _unique_ids(self, data: dict[str, Any], **_: Any) -> None:
        ids = [s.get("client_id") for s in data.get("sales") or [] if isinstance(s, dict)]
        if len(ids) != len(set(ids)):
            raise ValidationError({"sales": [coded(
                "sales.duplicate_client_id", "Each sale needs its own client_id",
                "每笔销售需要不同的 client_id")]})


class SaleProblem(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    source = fields.Dict(required=True)


class SaleResultOut(Schema):
    client_id = fields.String(required=True)
    result = fields.String(required=True, metadata={
        "description": "ok (posted now), exists (posted before) or why it was refused"})
    status = fields.Integer(required=True, metadata={
        "description": "the HTTP status this sale alone would have had"})
    document_id = fields.Integer(required=True)
    movement_ids = fields.List(fields.Integer(), required=True)
    problem = fields.Nested(SaleProblem, allow_none=True)
    shortages = fields.List(fields.Dict(), required=True)


class SalesSummary(Schema):
    posted = fields.Integer(required=True)
    existing = fields.Integer(required=True)
    refused = fields.Integer(required=True)


class SalesBatchOut(Schema):
    results = fields.List(fields.Nested(SaleResultOut), required=True)
    summary = fields.Nested(SalesSummary, required=True)


def _sale_result(planned: external.PlannedSale, result: PostingResult | None) -> dict[str, Any]:
    lang = problems.lang()
    body: dict[str, Any] = {"client_id": planned.client_id,
                            "document_id": planned.origin.document_id,
                            "movement_ids": [], "problem": None, "shortages": []}
    if result is None:  # a code the tenant does not know: nothing was posted
        assert planned.problem is not None
        return body | {"result": planned.problem.code.removeprefix("ledger."), "status": 404,
                       "problem": planned.problem.as_dict(lang)}
    body |= {"result": result.code.value, "movement_ids": [m.id for m in result.movements],
             "shortages": problems.shortages(result)}
    if result.code in (Result.OK, Result.EXISTS):
        return body | {"status": 201 if result.ok else 200}
    return body | {"status": problems.STATUS_OF_RESULT.get(result.code, 409),
                   "problem": result.problem().as_dict(lang)}


@blp.route("/sales/batch")
class SalesBatchView(MethodView):
    @operation(blp, "sales.post")
    @blp.arguments(SalesBatchIn, example=ex.SALES)
    @blp.response(200, SalesBatchOut, example=ex.SALES_RESULTS)
    def post(self, data: dict[str, Any]) -> Any:
        """Post many POS sales (an offline till syncing its day); each gets its own result"""
        principal, store = auth.api_principal(), _store()
        items, locations, batches = external.codes_of(data["sales"])
        refs = queries.resolve_codes(store, principal.tenant_id, items, locations, batches)
        ctx = auth.call_context(principal)
        results = []
        for sale in data["sales"]:
            planned = external.plan_sale(sale, refs)
            result = None if planned.problem else posting.post_event(
                store, principal.tenant_id, planned.origin, planned.effects, ctx=ctx)
            results.append(_sale_result(planned, result))
        summary = {"posted": sum(r["result"] == "ok" for r in results),
                   "existing": sum(r["result"] == "exists" for r in results)}
        summary["refused"] = len(results) - summary["posted"] - summary["existing"]
        return {"results": results, "summary": summary}
