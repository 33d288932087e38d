"""Errors as ``application/problem+json`` (RFC 9457) for the REST API.

Every error body has a stable ``code``, a ``message`` in the caller's language, a
``source`` (where: a field path and whether it is in the body, the query, a header
or the path) and ``errors``: every problem found, so one 422 lists each bad field.
Posting refusals add ``result`` (the ledger's named result), ``details`` and
``shortages``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response, jsonify
from flask_babel import get_locale
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError, Message
from engine.ledger.numbers import canonical
from engine.ledger.results import PostingResult, Result

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://flowledger.dev/problems/"

# Fields a client never writes: the server owns them (mass assignment is refused).
SERVER_OWNED = frozenset({
    "id", "tenant_id", "tenant", "status", "created_by", "created_at", "updated_at",
    "updated_by", "revoked_at", "last_used_at", "last_login_at", "prefix", "secret_hash",
    "password_hash", "membership_id", "user_id_owner", "actor_id", "posted_at", "seq", "hash",
    "version", "revision",
})

_CODED = re.compile(r"^\[([a-z0-9_.]+)\] (.*)$", re.DOTALL)
_KNOWN: Mapping[str, tuple[str, Message]] = {
    "Missing data for required field.": (
        "field.required", Message("This field is required", "必填字段缺失")),
    "Unknown field.": ("field.unknown", Message("Unknown field: remove it", "未知字段：请删除")),
    "Field may not be null.": ("field.null", Message("This field may not be null", "该字段不能为空")),
}
_SERVER_OWNED_MESSAGE = Message("This field is set by the server and cannot be written",
                                "该字段由服务器设置，不能写入")
_IN = {"json": "body", "query": "query", "headers": "header", "view_args": "path",
       "path": "path", "form": "body"}
STATUS_OF_RESULT: Mapping[Result, int] = {
    Result.UNKNOWN_ITEM: 404, Result.UNKNOWN_LOCATION: 404, Result.UNKNOWN_BATCH: 404,
    Result.UNKNOWN_MOVEMENT: 404, Result.UNKNOWN_RESERVATION: 404,
    Result.TENANT_MISMATCH: 404,
    Result.INVALID_QUANTITY: 422, Result.INVALID_COST: 422, Result.SAME_LOCATION: 422,
    Result.BATCH_REQUIRED: 422, Result.BATCH_NOT_TRACKED: 422, Result.UNKNOWN_UNIT: 422,
    Result.PAST_DATED: 422, Result.BOM_CYCLE: 422, Result.BOM_TOO_LARGE: 422,
}


# documentation -------------------------------------------------------------------------

class ProblemSource(Schema):
    class Meta:
        unknown = INCLUDE

    path = fields.String(metadata={"example": "lines[0].qty"})
    in_ = fields.String(data_key="in", metadata={"description": "body, query, header or path"})
    form = fields.String(metadata={"description": "the form the path is in"})
    rule = fields.String(metadata={"description": "the rule set"})
    line = fields.Integer(metadata={"description": "line in the rule text (1-based)"})
    column = fields.Integer(metadata={"description": "column in the rule text (1-based)"})
    node = fields.String(metadata={"description": "the flow node"})
    file = fields.String(metadata={"description": "the template file"})


class ProblemItem(Schema):
    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True, metadata={"example": "field.required"})
    message = fields.String(required=True)
    source = fields.Nested(ProblemSource, required=True)
    hint = fields.String()


class ProblemSchema(Schema):
    """An error: RFC 9457 problem details with Flowledger's code, message and source."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "ledger.insufficient_stock"})
    message = fields.String(required=True)
    source = fields.Nested(ProblemSource, required=True)
    errors = fields.List(fields.Nested(ProblemItem), required=True)
    result = fields.String(metadata={"description": "posting refusals: the named result"})
    details = fields.Dict(keys=fields.String(), values=fields.String())
    shortages = fields.List(fields.Dict())


# rendering -----------------------------------------------------------------------------

def lang() -> str:
    return str(get_locale() or "en")


def problem_body(status: int, code: str, problems: list[dict[str, Any]],
                 **extensions: Any) -> dict[str, Any]:
    first = problems[0]
    return {"type": TYPE_BASE + code, "title": first["message"], "status": status,
            "code": code, "message": first["message"], "source": first["source"],
            "errors": problems, **extensions}


def respond(body: Mapping[str, Any], status: int,
            headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="flowledger"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def engine_error(exc: EngineError) -> Response:
    language = lang()
    problems = [p.as_dict(language) for p in exc.problems]
    extensions = dict(getattr(exc, "extensions", {}))
    return respond(problem_body(exc.status, exc.code, problems, **extensions), exc.status)


def _walk(messages: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                yield from _walk(value, path)
            elif isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                yield from _walk(value, f"{path}[{key}]")
            else:
                yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _walk(value, path)
    else:
        yield path, str(messages)


def field_problem(path: str, text: str, where: str) -> dict[str, Any]:
    language = lang()
    leaf = re.split(r"[.\[]", path)[-1] if path else ""
    coded = _CODED.match(text)
    if coded:
        en, _, zh = coded.group(2).partition("||")
        code, words = coded.group(1), Message(en, zh or en)
    elif text == "Unknown field." and leaf in SERVER_OWNED:
        code, words = "field.server_owned", _SERVER_OWNED_MESSAGE
    elif text in _KNOWN:
        code, words = _KNOWN[text]
    else:
        code, words = "field.invalid", Message(text, f"字段无效：{text}")
    source = {"path": path, "in": where} if path else {"in": where}
    return {"code": code, "message": words.get(language), "source": source}


def validation_problems(messages: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every field error of a webargs/marshmallow validation, with its path."""
    out = []
    for location, errors in messages.items():
        where = _IN.get(location, location)
        out.extend(field_problem(path, text, where) for path, text in _walk(errors, ""))
    return out or [field_problem("", "The request is not valid", "body")]


def validation_response(messages: Mapping[str, Any]) -> Response:
    problems = validation_problems(messages)
    if any(p["code"] == "field.server_owned" for p in problems):
        code = "request.server_owned_field"
    else:
        code = "request.invalid"
    count = len(problems)
    lead = Message(f"The request has {count} invalid field(s): see errors",
                   f"请求中有 {count} 个字段无效：见 errors")
    return respond(problem_body(422, code, problems) | {"title": lead.get(lang()),
                                                        "message": lead.get(lang())}, 422)


HTTP_CODES = {400: "request.bad", 401: "auth.required", 403: "auth.forbidden",
               404: "http.not_found", 405: "http.method_not_allowed",
               406: "http.not_acceptable", 409: "http.conflict", 413: "request.too_large",
               415: "request.unsupported_media_type", 429: "http.too_many_requests",
               500: "server.error", 503: "server.unavailable"}


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return validation_response(data["messages"])
    code = HTTP_CODES.get(status, f"http.{status}")
    text = error.description if status < 500 else "Internal error: the request was not done"
    message = Message(str(text), str(text) if status < 500 else "服务器内部错误：请求未完成")
    problem = {"code": code, "message": message.get(lang()), "source": {}}
    headers = {}
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return respond(problem_body(status, code, [problem]), status, headers)


class PostingFailed(EngineError):
    """The ledger refused a posting: a named result, carried as problem extensions."""

    def __init__(self, result: PostingResult) -> None:
        super().__init__(result.problem())
        self.status = STATUS_OF_RESULT.get(result.code, 409)
        self.extensions = {"result": result.code.value, "details": dict(result.details),
                           "shortages": shortages(result)}


def shortages(result: PostingResult) -> list[dict[str, Any]]:
    return [{"item_id": s.key.item_id, "location_id": s.key.location_id,
             "batch_id": s.key.batch_id, "requested": canonical(s.requested),
             "available": canonical(s.available), "missing": canonical(s.missing)}
            for s in result.shortages]
