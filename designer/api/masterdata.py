"""Master data: items (with units), locations (a tree), batches, BOMs and recipes.

Reading needs ``masterdata.view``, creating ``masterdata.edit``. Writes name other
objects by **code** (an item's BOM components, a location's parent, a batch's
item), as admins and imports write them; responses carry both ids and codes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from designer import auth, runtime
from designer.api.examples import masterdata as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import (
    DecimalOut,
    PageQuery,
    Request,
    ident,
    page_body,
    page_schema,
    quantity,
    text,
)
from engine.ledger.model import BomKind, LocationKind, Tracking, Valuation
from engine.services import queries, stock
from engine.store import Store

blp = blueprint("masterdata", "Items, units, locations, batches, BOMs and recipes")
ID = "int(min=1, max=9223372036854775807)"
KIND = "any(bom, recipe)"
TRACKING = [t.value for t in Tracking]
VALUATION = [v.value for v in Valuation]
LOCATION_KINDS = [k.value for k in LocationKind]


def _store() -> Store:
    return runtime(current_app).store


def _tenant() -> int:
    return auth.api_principal().tenant_id


def _ctx() -> Any:
    return auth.call_context(auth.api_principal())


# items ---------------------------------------------------------------------------------

class ItemOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    base_unit = fields.String(required=True)
    tracking = fields.String(required=True, validate=validate.OneOf(TRACKING))
    valuation = fields.String(required=True, validate=validate.OneOf(VALUATION))
    reorder_point = DecimalOut(required=True)
    safety_stock = DecimalOut(required=True)
    allow_negative = fields.Boolean(required=True)
    attributes = fields.Dict(keys=fields.String(), required=True)
    units = fields.Dict(keys=fields.String(), values=DecimalOut(), required=True, metadata={
        "description": "other units and their size in the base unit"})


class ItemQuery(PageQuery):
    q = text(100, metadata={"description": "part of the code or name"})
    tracking = fields.String(validate=validate.OneOf(TRACKING))


class NewItem(Request):
    code = text(63, required=True, metadata={"example": "COLA-330"})
    name = text(200, required=True, metadata={"example": "可乐 330ml"})
    base_unit = text(20, required=True, metadata={"example": "piece"})
    tracking = fields.String(load_default="none", validate=validate.OneOf(TRACKING))
    valuation = fields.String(load_default="fifo", validate=validate.OneOf(VALUATION))
    reorder_point = quantity(positive=False, load_default=Decimal(0))
    safety_stock = quantity(positive=False, load_default=Decimal(0))
    allow_negative = fields.Boolean(load_default=False)
    attributes = fields.Dict(keys=text(63), values=text(500, min_length=0),
                             validate=validate.Length(max=50), load_default=dict)
    units = fields.Dict(keys=text(20), values=quantity(), validate=validate.Length(max=20),
                        load_default=dict, metadata={"example": {"box": "24"}})


Items = page_schema(ItemOut, "ItemPage")


@blp.route("/items")
class ItemsView(MethodView):
    @operation(blp, "masterdata.view")
    @blp.arguments(ItemQuery, location="query")
    @blp.response(200, Items, example=ex.ITEMS)
    def get(self, args: dict[str, Any]) -> Any:
        """Items (filters: q, tracking)"""
        return page_body(queries.items(_store(), _tenant(), q=args.get("q"),
                                       tracking=args.get("tracking"),
                                       after=args.get("cursor"), limit=args["limit"]))

    @operation(blp, "masterdata.edit", errors=(409,))
    @blp.arguments(NewItem, examples=ex.NEW_ITEM)
    @blp.response(201, ItemOut, example=ex.ITEM)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an item with its units"""
        store, tenant = _store(), _tenant()
        item_id = stock.create_item(
            store, tenant, data["code"], data["name"], data["base_unit"],
            tracking=Tracking(data["tracking"]), valuation=Valuation(data["valuation"]),
            reorder_point=data["reorder_point"], safety_stock=data["safety_stock"],
            allow_negative=data["allow_negative"], attributes=data["attributes"],
            units=data["units"], ctx=_ctx())
        return queries.item(store, tenant, item_id), 201, {"Location": f"/api/v1/items/{item_id}"}


@blp.route(f"/items/<{ID}:item_id>")
class ItemView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.response(200, ItemOut, example=ex.ITEM)
    def get(self, item_id: int) -> Any:
        """One item"""
        return queries.item(_store(), _tenant(), item_id)


# locations -------------------------------------------------------------------------------

class LocationOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    parent_id = fields.Integer(required=True, allow_none=True)
    allow_negative = fields.Boolean(required=True)
    internal = fields.Boolean(required=True, metadata={
        "description": "holds the company's stock (virtual ones are the outside world)"})


class LocationNodeOut(LocationOut):
    children = fields.List(fields.Nested(lambda: LocationNodeOut()), required=True)


class LocationQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))
    parent_id = ident(strict=False)


class TreeQuery(Request):
    root_id = ident(strict=False, metadata={"description": "only this location's subtree"})


class NewLocation(Request):
    code = text(63, required=True, metadata={"example": "WH1"})
    name = text(200, required=True, metadata={"example": "总仓"})
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    parent = text(63, metadata={"description": "parent location code"})
    allow_negative = fields.Boolean(load_default=False)


Locations = page_schema(LocationOut, "LocationPage")


def _node(node: queries.LocationNode) -> dict[str, Any]:
    loc = node.location
    return {"id": loc.id, "code": loc.code, "name": loc.name, "kind": loc.kind,
            "parent_id": loc.parent_id, "allow_negative": loc.allow_negative,
            "internal": loc.internal, "children": [_node(c) for c in node.children]}


@blp.route("/locations")
class LocationsView(MethodView):
    @operation(blp, "masterdata.view")
    @blp.arguments(LocationQuery, location="query")
    @blp.response(200, Locations, example=ex.LOCATIONS)
    def get(self, args: dict[str, Any]) -> Any:
        """Locations (filters: kind, parent_id)"""
        return page_body(queries.locations(_store(), _tenant(), kind=args.get("kind"),
                                           parent_id=args.get("parent_id"),
                                           after=args.get("cursor"), limit=args["limit"]))

    @operation(blp, "masterdata.edit", errors=(404, 409))
    @blp.arguments(NewLocation, examples=ex.NEW_LOCATION)
    @blp.response(201, LocationOut, example=ex.LOCATION)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a location (internal ones may sit under an internal parent)"""
        store, tenant = _store(), _tenant()
        location_id = stock.create_location(
            store, tenant, data["code"], data["name"], LocationKind(data["kind"]),
            parent=data.get("parent"), allow_negative=data["allow_negative"], ctx=_ctx())
        return (queries.location(store, tenant, location_id), 201,
                {"Location": f"/api/v1/locations/{location_id}"})


@blp.route("/locations/tree")
class LocationTreeView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.arguments(TreeQuery, location="query")
    @blp.response(200, LocationNodeOut(many=True), example=ex.TREE)
    def get(self, args: dict[str, Any]) -> Any:
        """Locations as a tree: company › warehouse/store › zone/shelf (virtual ones at root)"""
        tree = queries.location_tree(_store(), _tenant(), args.get("root_id"))
        return [_node(n) for n in tree]


@blp.route(f"/locations/<{ID}:location_id>")
class LocationView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.response(200, LocationOut, example=ex.LOCATION)
    def get(self, location_id: int) -> Any:
        """One location"""
        return queries.location(_store(), _tenant(), location_id)


# batches ---------------------------------------------------------------------------------

class BatchOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    code = fields.String(required=True)
    production_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)


class BatchQuery(PageQuery):
    item_id = ident(strict=False)
    code = text(63)
    expires_before = fields.Date(metadata={"description": "expiry on or before this day"})


class NewBatch(Request):
    item = text(63, required=True, metadata={"description": "item code", "example": "MILK"})
    code = text(63, required=True, metadata={"example": "L240601"})
    expiry = fields.Date()
    produced = fields.Date()


Batches = page_schema(BatchOut, "BatchPage")


@blp.route("/batches")
class BatchesView(MethodView):
    @operation(blp, "masterdata.view")
    @blp.arguments(BatchQuery, location="query")
    @blp.response(200, Batches, example=ex.BATCHES)
    def get(self, args: dict[str, Any]) -> Any:
        """Batches (filters: item_id, code, expires_before)"""
        return page_body(queries.batches(
            _store(), _tenant(), item_id=args.get("item_id"), code=args.get("code"),
            expires_before=args.get("expires_before"), after=args.get("cursor"),
            limit=args["limit"]))

    @operation(blp, "masterdata.edit", errors=(404, 409))
    @blp.arguments(NewBatch, example=ex.NEW_BATCH)
    @blp.response(201, BatchOut, example=ex.BATCH)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a batch, or return the existing one with that code (same expiry)"""
        store, tenant = _store(), _tenant()
        batch_id = stock.ensure_batch(store, tenant, data["item"], data["code"],
                                      expiry=data.get("expiry"), produced=data.get("produced"),
                                      ctx=_ctx())
        return (queries.batch(store, tenant, batch_id), 201,
                {"Location": f"/api/v1/batches/{batch_id}"})


@blp.route(f"/batches/<{ID}:batch_id>")
class BatchView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.response(200, BatchOut, example=ex.BATCH)
    def get(self, batch_id: int) -> Any:
        """One batch"""
        return queries.batch(_store(), _tenant(), batch_id)


# BOMs and recipes ------------------------------------------------------------------------

class BomLineOut(Schema):
    component_id = fields.Integer(required=True)
    component_code = fields.String(required=True)
    qty = DecimalOut(required=True)
    unit = fields.String(allow_none=True)
    loss_pct = DecimalOut(required=True)
    yield_pct = DecimalOut(required=True)
    phantom = fields.Boolean(required=True)
    max_depth = fields.Integer(allow_none=True)


class BomOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["bom", "recipe"]))
    output_qty = DecimalOut(required=True)
    lines = fields.List(fields.Nested(BomLineOut), required=True)


class BomQuery(PageQuery):
    item_id = ident(strict=False)
    kind = fields.String(validate=validate.OneOf(["bom", "recipe"]))


class BomLineIn(Request):
    component = text(63, required=True, metadata={"description": "component item code"})
    qty = quantity(required=True)
    unit = text(20, metadata={"description": "default: the component's base unit"})
    loss_pct = quantity(positive=False, maximum=Decimal(1000), load_default=Decimal(0))
    yield_pct = quantity(maximum=Decimal(100), load_default=Decimal(100))
    phantom = fields.Boolean(load_default=False)
    max_depth = fields.Integer(validate=validate.Range(0, 50), strict=True)


class BomIn(Request):
    output_qty = quantity(load_default=Decimal(1))
    lines = fields.List(fields.Nested(BomLineIn), required=True,
                        validate=validate.Length(1, 200))


class ExplodeQuery(Request):
    qty = quantity(required=True, metadata={"example": "10"})
    depth = fields.Integer(validate=validate.Range(1, 50),
                           metadata={"description": "levels to explode (default: all)"})


class ExplodedOut(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    qty = DecimalOut(required=True, metadata={"description": "in the item's base unit"})


Boms = page_schema(BomOut, "BomPage")


@blp.route("/boms")
class BomsView(MethodView):
    @operation(blp, "masterdata.view")
    @blp.arguments(BomQuery, location="query")
    @blp.response(200, Boms, example=ex.BOMS)
    def get(self, args: dict[str, Any]) -> Any:
        """BOMs and recipes (filters: item_id, kind)"""
        return page_body(queries.boms(_store(), _tenant(), item_id=args.get("item_id"),
                                      kind=args.get("kind"), after=args.get("cursor"),
                                      limit=args["limit"]))


@blp.route(f"/items/<{ID}:item_id>/boms/<{KIND}:kind>")
class ItemBomView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.response(200, BomOut, example=ex.BOM)
    def get(self, item_id: int, kind: str) -> Any:
        """An item's BOM or recipe"""
        return queries.bom(_store(), _tenant(), item_id, BomKind(kind))

    @operation(blp, "masterdata.edit", errors=(404,))
    @blp.arguments(BomIn, example=ex.BOM_IN)
    @blp.response(200, BomOut, example=ex.BOM)
    def put(self, data: dict[str, Any], item_id: int, kind: str) -> Any:
        """Set (create or replace) an item's BOM or recipe; a cycle is refused with its path"""
        store, tenant = _store(), _tenant()
        code = queries.item(store, tenant, item_id).code
        lines = [stock.LineSpec(ln["component"], ln["qty"], ln.get("unit"), ln["loss_pct"],
                                ln["yield_pct"], ln["phantom"], ln.get("max_depth"))
                 for ln in data["lines"]]
        stock.set_bom(store, tenant, code, lines, kind=BomKind(kind),
                      output_qty=data["output_qty"], ctx=_ctx())
        return queries.bom(store, tenant, item_id, BomKind(kind))


@blp.route(f"/items/<{ID}:item_id>/boms/<{KIND}:kind>/explosion")
class ExplosionView(MethodView):
    @operation(blp, "masterdata.view", errors=(404,))
    @blp.arguments(ExplodeQuery, location="query")
    @blp.response(200, ExplodedOut(many=True), example=ex.EXPLODED)
    def get(self, args: dict[str, Any], item_id: int, kind: str) -> Any:
        """Preview what a quantity of the item needs (components in base units; posts nothing)"""
        return list(queries.explode(_store(), _tenant(), item_id, args["qty"],
                                    kind=BomKind(kind), depth=args.get("depth")))
