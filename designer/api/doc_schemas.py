"""Schemas shared by documents, tasks and definitions: a document's data (decimals as
strings, never floats), the document, an action's outcome, and the effect preview."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, ValidationError, fields

from designer.api import problems
from designer.api.problems import ProblemItem
from designer.api.schemas import DecimalOut, coded
from engine.errors import Problem
from engine.services.preview import Preview

MAX_DATA_NODES = 20_000
MAX_DATA_DEPTH = 8
_FLOAT = coded("number.float_refused", "Send decimals as strings, e.g. \"12.5\"",
               "小数请以字符串发送，例如 \"12.5\"")


def _floats(value: Any) -> dict[Any, Any]:
    """Where ``value`` holds floats, as marshmallow's nested messages
    (``{"lines": {3: {"qty": [...]}}}`` reads ``lines[3].qty``)."""
    errors: dict[Any, Any] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    nodes = 0
    while stack:
        node, path = stack.pop()
        nodes += 1
        if nodes > MAX_DATA_NODES or len(path) > MAX_DATA_DEPTH:
            raise ValidationError(coded(
                "document.too_large", f"At most {MAX_DATA_NODES} values, nested at most "
                f"{MAX_DATA_DEPTH} deep", f"最多 {MAX_DATA_NODES} 个值，嵌套不超过 "
                f"{MAX_DATA_DEPTH} 层"))
        if isinstance(node, float) and path:
            into = errors
            for part in path[:-1]:
                into = into.setdefault(part, {})
            into[path[-1]] = [_FLOAT]
        elif isinstance(node, dict):
            stack.extend((child, (*path, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, (*path, n)) for n, child in enumerate(node))
    return errors


class DocumentData(fields.Dict):
    """A document's field values as the form defines them. Quantities and money are
    decimal strings (``"12.5"``); JSON numbers with a fraction are refused."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": {"from_store": "S1", "to_store": "S2", "lines": [
            {"item": "A1", "qty": "5", "price": "10"}]}, **kwargs.pop("metadata", {})}
        super().__init__(keys=fields.String(), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        found = _floats(loaded)
        if found:
            raise ValidationError(found)
        return loaded


# documents ---------------------------------------------------------------------------------

class OpenTaskOut(Schema):
    task = fields.String(required=True)
    node = fields.String(required=True)
    assignee = fields.String(required=True)


class DocumentOut(Schema):
    id = fields.Integer(required=True)
    form_key = fields.String(required=True)
    serial = fields.String(allow_none=True, metadata={"example": "DB-20240601-0001"})
    status = fields.String(required=True, metadata={
        "description": "draft, in_approval, approved, rejected, withdrawn or cancelled"})
    data = fields.Dict(required=True, metadata={"description": "field values, decimals as "
                                                               "strings, formulas computed"})
    submitter = fields.String(required=True)
    revision = fields.Integer(required=True)
    versions = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                           required=True, metadata={
                               "description": "the form, flow and rules versions it runs on",
                               "example": {"form": 1, "flow": 1, "rules": 1}})
    open_tasks = fields.List(fields.Nested(OpenTaskOut), required=True)
    links = fields.Dict(keys=fields.String(), values=fields.Dict(allow_none=True),
                        required=True, metadata={
                            "description": "per linked field: the record it names (id, form, "
                                           "serial, status) and its display fields; null "
                                           "when it names no record",
                            "example": {"customer": {"id": 7, "form": "customer",
                                                     "serial": None, "status": "approved",
                                                     "display": {"name": "Acme"}}}})


class OutcomeOut(Schema):
    document = fields.Nested(DocumentOut, required=True)
    events = fields.List(fields.String(), required=True, metadata={
        "description": "the events that fired, e.g. submitted, approved_at:finance, approved"})
    movements = fields.Integer(required=True, metadata={"description": "ledger movements "
                                                                      "posted"})
    repeated = fields.Boolean(required=True, metadata={
        "description": "true: the same action had already taken effect; nothing changed"})


class DocumentTaskOut(Schema):
    task = fields.String(required=True, metadata={"example": "finance.1.2"})
    node = fields.String(required=True, metadata={"example": "finance"})
    assignee = fields.String(required=True, metadata={"description": "username"})
    state = fields.String(required=True, metadata={
        "description": "pending, waiting, approved, rejected, transferred, cancelled or cc"})
    origin = fields.String(allow_none=True, metadata={
        "description": "why it exists: resolved, admin, added_before, added_after, transfer, "
                       "escalated (null for a cc)"})
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True, metadata={"description": "given with the "
                                                                      "decision"})


class DocumentTasksOut(Schema):
    items = fields.List(fields.Nested(DocumentTaskOut), required=True)


# previews ------------------------------------------------------------------------------------

class MovementLineOut(Schema):
    item = fields.String(required=True)
    qty = DecimalOut(required=True)
    from_location = fields.String(required=True)
    to_location = fields.String(required=True)
    batch = fields.String(allow_none=True)
    expiry = fields.Date(allow_none=True)
    value = DecimalOut(allow_none=True)
    reverses = fields.Integer(allow_none=True, metadata={"description": "the movement it "
                                                                        "reverses"})


class BalanceLineOut(Schema):
    item = fields.String(required=True)
    location = fields.String(required=True)
    batch = fields.String(allow_none=True)
    on_hand_before = DecimalOut(required=True)
    on_hand_after = DecimalOut(required=True)
    reserved_before = DecimalOut(required=True)
    reserved_after = DecimalOut(required=True)
    available_after = DecimalOut(required=True)


class PreviewOut(Schema):
    ok = fields.Boolean(required=True, metadata={"description": "false: it would be refused "
                                                                "(see problems)"})
    status_after = fields.String(allow_none=True)
    events = fields.List(fields.String(), required=True)
    effects = fields.List(fields.Dict(), required=True, metadata={
        "description": "dry runs: the rules' effects as written (verb, qty, item, origin…)"})
    movements = fields.List(fields.Nested(MovementLineOut), required=True)
    balances = fields.List(fields.Nested(BalanceLineOut), required=True, metadata={
        "description": "the balances that would change, before and after"})
    problems = fields.List(fields.Nested(ProblemItem), required=True)


def problem_dicts(found: Iterable[Problem]) -> list[dict[str, Any]]:
    language = problems.lang()
    return [p.as_dict(language) for p in found]


def preview_body(seen: Preview) -> dict[str, Any]:
    return {"ok": seen.ok, "status_after": seen.status_after, "events": list(seen.events),
            "effects": [dict(e) for e in seen.effects], "movements": list(seen.movements),
            "balances": list(seen.balances), "problems": problem_dicts(seen.problems)}
