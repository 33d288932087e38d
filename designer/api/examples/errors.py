"""Problem+json examples per HTTP status, for the shared error responses
(``#/components/responses/NOT_FOUND``…): the problems callers really meet, built by
the same :func:`~designer.api.problems.problem_body` the API answers with."""

from __future__ import annotations

import http
from typing import Any

from designer.api import problems
from designer.api.examples import named


def problem(status: int, code: str, message: str, source: dict[str, Any] | None = None,
            *, more: tuple[dict[str, Any], ...] = (), **extensions: Any) -> dict[str, Any]:
    """A problem body whose first error is ``code``/``message``/``source``."""
    first = {"code": code, "message": message, "source": source or {}}
    return problems.problem_body(status, code, [first, *more], **extensions)


def field(path: str, code: str, message: str, where: str = "body") -> dict[str, Any]:
    return {"code": code, "message": message, "source": {"path": path, "in": where}}


INSUFFICIENT_STOCK = problem(
    409, "ledger.insufficient_stock",
    "Not enough stock available: receive or free up stock first (item=WATER-550, "
    "location=S1, requested=48, missing=12, effect=transfer:1042:approved:0)",
    {"rule": "transfer", "line": 4, "column": 24, "path": "lines[0]"},
    result="insufficient_stock",
    details={"item": "WATER-550", "location": "S1", "requested": "48", "missing": "12",
             "effect": "transfer:1042:approved:0"},
    shortages=[{"item_id": 3, "location_id": 3, "batch_id": None, "requested": "48",
                "available": "36", "missing": "12"}])

_INVALID_FIELDS = [field("effects[0].qty", "number.float_refused",
                         "Send decimals as strings, e.g. \"12.5\""),
                   field("event", "field.required", "This field is required")]
_LEAD = "The request has 2 invalid field(s): see errors"

BY_STATUS: dict[int, dict[str, dict[str, Any]]] = {
    401: named(
        required=("No credential", problem(
            401, "auth.required", "Sign in, or send 'Authorization: Bearer <API token>'")),
        credentials=("Wrong password at sign-in", problem(
            401, "auth.invalid_credentials", "Wrong username or password"))),
    403: named(
        permission=("A permission the caller lacks", problem(
            403, "auth.permission_denied",
            "You need the permission 'stock.value' (see stock valuation): ask a tenant admin",
            permission="stock.value")),
        not_your_task=("Someone else's approval task", problem(
            403, "flows.not_your_task",
            "You have no open task here: only its assignee can act on it")),
        csrf=("A session call without its CSRF token", problem(
            403, "auth.csrf_invalid", "Missing or invalid CSRF token: send the one from GET "
            "/api/v1/session in the X-CSRFToken header"))),
    404: named(
        item=("No such item in your tenant", problem(
            404, "item.not_found", "No item 999", {"path": "item_id"})),
        document=("No such document (or not yours to view)", problem(
            404, "document.not_found", "No document 1042", {"path": "document_id"}))),
    409: named(
        insufficient_stock=("The ledger refused: not enough stock", INSUFFICIENT_STOCK),
        exists=("The code is taken", problem(
            409, "item.exists", "Item 'WATER-550' already exists", {"path": "code"})),
        not_draft=("Only drafts can change", problem(
            409, "document.not_draft", "Document 1042 is in_approval, not a draft",
            {"path": "status"})),
        in_progress=("The same Idempotency-Key is still running", problem(
            409, "idempotency.in_progress",
            "A request with this Idempotency-Key is still running: retry in a moment",
            {"path": "Idempotency-Key"}))),
    422: named(
        fields=("Invalid fields: each one listed", problems.problem_body(
            422, "request.invalid", _INVALID_FIELDS) | {"title": _LEAD, "message": _LEAD}),
        server_owned=("A field only the server writes", problem(
            422, "request.server_owned_field",
            "This field is set by the server and cannot be written",
            {"path": "tenant_id", "in": "body"})),
        rules=("A rule set that does not check", problem(
            422, "rules.unknown_field", "Unknown field or name 'line.itme'.",
            {"rule": "transfer", "form": "transfer", "line": 2, "column": 41}))),
    429: named(
        sign_in=("Too many sign-in attempts", problem(
            429, "auth.too_many_attempts",
            "Too many sign-in attempts (10/minute): wait a minute"))),
}
SERVER_ERROR = problem(500, "server.error", "Internal error: the request was not done")


def examples_for(status: int) -> dict[str, dict[str, Any]]:
    """The examples of an error status; a generic one where none is written above."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    if status >= 500:
        body = problem(status, problems.HTTP_CODES.get(status, f"http.{status}"),
                       "Internal error: the request was not done")
    else:
        body = problem(status, problems.HTTP_CODES.get(status, f"http.{status}"),
                       http.HTTPStatus(status).description or http.HTTPStatus(status).phrase)
    return named(problem=(http.HTTPStatus(status).phrase, body))
