"""Stock reports: balances with totals, movements, batches near expiry, items below
their reorder point, the valuation summary, and the locations open stocktakes lock.
Read-only; ``stock.view`` (the valuation needs ``stock.value``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from designer import auth, runtime
from designer.api.examples import stock as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import (
    Cursor,
    DecimalOut,
    LocationLockPage,
    PageQuery,
    Timestamp,
    encode_cursor,
    ident,
    page_body,
    page_schema,
    text,
)
from engine.services import stock_reports
from engine.store import Store

blp = blueprint("stock", "Balances, movements, expiry, reorder and valuation reports, "
                         "location locks")
IDS = fields.List(ident(strict=False), validate=validate.Length(max=100))


def _store() -> Store:
    return runtime(current_app).store


def _tenant() -> int:
    return auth.api_principal().tenant_id


# balances --------------------------------------------------------------------------------

class BalanceOut(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    location_id = fields.Integer(allow_none=True)
    location_code = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    batch_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    on_hand = DecimalOut(required=True)
    reserved = DecimalOut(required=True)
    available = DecimalOut(required=True, metadata={"description": "on hand − reserved"})


class TotalsOut(Schema):
    on_hand = DecimalOut(required=True)
    reserved = DecimalOut(required=True)
    available = DecimalOut(required=True)
    rows = fields.Integer(required=True, metadata={"description": "balance rows summed"})


class BalanceQuery(PageQuery):
    item_id = IDS
    location_id = IDS
    under = ident(strict=False, metadata={"description": "a location and everything below it"})
    batch_id = ident(strict=False)
    group_by = fields.String(load_default="batch", validate=validate.OneOf(stock_reports.GROUPS),
                             metadata={"description": "item, location (item × location) or "
                                                      "batch (item × location × batch)"})
    include_virtual = fields.Boolean(load_default=False, metadata={
        "description": "also suppliers, customers, transit…"})
    include_zero = fields.Boolean(load_default=False)
    cursor = Cursor(arity=3)


Balances = page_schema(BalanceOut, "BalancePage",
                       totals=fields.Nested(TotalsOut, required=True, metadata={
                           "description": "over every row the filters select, not just "
                                          "this page"}))


@blp.route("/stock/balances")
class BalancesView(MethodView):
    @operation(blp, "stock.view", errors=(404,))
    @blp.arguments(BalanceQuery, location="query")
    @blp.response(200, Balances, example=ex.BALANCES)
    def get(self, args: dict[str, Any]) -> Any:
        """On hand, reserved and available by item / location / batch, with totals"""
        group = args["group_by"]
        after = args.get("cursor")
        if after is not None:
            after = after[:{"item": 1, "location": 2, "batch": 3}[group]]
        report = stock_reports.balances(
            _store(), _tenant(), item_ids=args.get("item_id"),
            location_ids=args.get("location_id"), under=args.get("under"),
            batch_id=args.get("batch_id"), include_virtual=args["include_virtual"],
            include_zero=args["include_zero"], group=group, after=after, limit=args["limit"])
        body = page_body(report.page, totals=report.totals)
        position = report.page.next  # the cursor always carries three numbers
        body["next_cursor"] = encode_cursor(None if position is None else (*position, 0, 0)[:3])
        return body


# movements -------------------------------------------------------------------------------

class MovementOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    batch_id = fields.Integer(allow_none=True)
    from_location_id = fields.Integer(required=True)
    to_location_id = fields.Integer(required=True)
    qty = DecimalOut(required=True)
    unit_cost = DecimalOut(allow_none=True)
    value = DecimalOut(allow_none=True, metadata={
        "description": "money in or out of valued stock (null: a move inside it)"})
    document_id = fields.Integer(required=True)
    document_version = fields.Integer(required=True)
    rule = fields.String(required=True)
    event = fields.String(required=True)
    actor_id = fields.Integer(required=True)
    key = fields.String(required=True)
    posted_at = fields.DateTime(required=True)
    reversal_of = fields.Integer(allow_none=True)


class MovementQuery(PageQuery):
    item_id = ident(strict=False)
    location_id = ident(strict=False, metadata={"description": "from or to this location"})
    batch_id = ident(strict=False)
    document_id = fields.Integer(validate=validate.Range(-(2**63) + 1, 2**63 - 1))
    event = text(63)
    since = Timestamp(metadata={"description": "posted at or after"})
    until = Timestamp(metadata={"description": "posted before"})


Movements = page_schema(MovementOut, "MovementPage")


@blp.route("/stock/movements")
class MovementsView(MethodView):
    @operation(blp, "stock.view")
    @blp.arguments(MovementQuery, location="query")
    @blp.response(200, Movements, example=ex.MOVEMENTS)
    def get(self, args: dict[str, Any]) -> Any:
        """The journal, oldest first (filters: item, location, batch, document, event, time)"""
        return page_body(stock_reports.movements(
            _store(), _tenant(), item_id=args.get("item_id"),
            location_id=args.get("location_id"), batch_id=args.get("batch_id"),
            document_id=args.get("document_id"), event=args.get("event"),
            since=args.get("since"), until=args.get("until"), after=args.get("cursor"),
            limit=args["limit"]))


# expiry, reorder, valuation ---------------------------------------------------------------

class ExpiringOut(Schema):
    batch_id = fields.Integer(required=True)
    batch_code = fields.String(required=True)
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    location_id = fields.Integer(required=True)
    location_code = fields.String(required=True)
    expiry_date = fields.Date(required=True)
    days_left = fields.Integer(required=True, metadata={"description": "negative: expired"})
    expired = fields.Boolean(required=True)
    on_hand = DecimalOut(required=True)
    reserved = DecimalOut(required=True)


class ExpiringQuery(PageQuery):
    within_days = fields.Integer(load_default=30, validate=validate.Range(0, 3650))
    location_id = IDS
    item_id = ident(strict=False)
    cursor = Cursor(arity=2)


class ReorderOut(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    name = fields.String(required=True)
    reorder_point = DecimalOut(required=True)
    safety_stock = DecimalOut(required=True)
    on_hand = DecimalOut(required=True)
    reserved = DecimalOut(required=True)
    available = DecimalOut(required=True)
    shortfall = DecimalOut(required=True, metadata={"description": "reorder point − available"})


class ValuationOut(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    name = fields.String(required=True)
    method = fields.String(required=True)
    qty = DecimalOut(required=True)
    value = DecimalOut(required=True)
    average_cost = DecimalOut(required=True)


class ValuationQuery(PageQuery):
    item_id = IDS


Expiring = page_schema(ExpiringOut, "ExpiringPage")
Reorder = page_schema(ReorderOut, "ReorderPage")
Valuations = page_schema(ValuationOut, "ValuationPage",
                         total_value=DecimalOut(required=True))


@blp.route("/stock/expiring")
class ExpiringView(MethodView):
    @operation(blp, "stock.view")
    @blp.arguments(ExpiringQuery, location="query")
    @blp.response(200, Expiring, example=ex.EXPIRING)
    def get(self, args: dict[str, Any]) -> Any:
        """Batches with stock that expire within N days (expired ones included)"""
        return page_body(stock_reports.expiring(
            _store(), _tenant(), datetime.now(UTC).date(), within_days=args["within_days"],
            location_ids=args.get("location_id"), item_id=args.get("item_id"),
            after=args.get("cursor"), limit=args["limit"]))


@blp.route("/stock/reorder")
class ReorderView(MethodView):
    @operation(blp, "stock.view")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, Reorder, example=ex.REORDER)
    def get(self, args: dict[str, Any]) -> Any:
        """Items whose available stock is below their reorder point"""
        return page_body(stock_reports.below_reorder(_store(), _tenant(), after=args.get("cursor"),
                                               limit=args["limit"]))


@blp.route("/stock/valuation")
class ValuationView(MethodView):
    @operation(blp, "stock.value")
    @blp.arguments(ValuationQuery, location="query")
    @blp.response(200, Valuations, example=ex.VALUATION)
    def get(self, args: dict[str, Any]) -> Any:
        """Quantity, value and average cost per item, with the total value"""
        report = stock_reports.valuation(_store(), _tenant(), item_ids=args.get("item_id"),
                                   after=args.get("cursor"), limit=args["limit"])
        return page_body(report.page, total_value=report.total_value)


# locks -----------------------------------------------------------------------------------

@blp.route("/stock/locks")
class LocksView(MethodView):
    @operation(blp, "stock.view")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, LocationLockPage, example=ex.LOCKS)
    def get(self, args: dict[str, Any]) -> Any:
        """Locations locked by an open stocktake (postings there answer
        ledger.location_locked until it closes), oldest first"""
        return page_body(stock_reports.location_locks(_store(), _tenant(), after=args.get("cursor"),
                                                limit=args["limit"]))
