"""Examples for the OpenAPI document: one module per API module (``examples.ledger``
holds those of ``designer.api.ledger``…) and ``errors`` for the problem+json answers.

They are what the operations really take and answer, in one retail chain: the
central warehouse ``WH`` (id 2), the stores ``S1``–``S3``, the virtual ``SUP``,
``TRANSIT`` and ``ADJ``; items ``WATER-550`` (id 3), ``COLA-330`` (id 1) and the
batch-tracked ``MILK-1L`` (id 31); documents of the forms ``transfer`` and
``purchase_in``. tests/designer/api/test_api_examples.py loads each request example
through its operation's schema and checks each response example against the
document, so an example cannot drift away from the API. Messages are English, as the
API answers with ``Accept-Language: en``.
"""

from __future__ import annotations

from typing import Any


def named(**cases: tuple[str, Any]) -> dict[str, dict[str, Any]]:
    """OpenAPI ``examples``: ``named(receive=("A purchase received", {...}))``."""
    return {name: {"summary": summary, "value": value} for name, (summary, value) in cases.items()}


def page(*items: Any, next_cursor: str | None = None, **extra: Any) -> dict[str, Any]:
    """A page of a list: ``{"items": [...], "next_cursor": ...}``."""
    return {"items": list(items), "next_cursor": next_cursor, **extra}
