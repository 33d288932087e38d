"""schemathesis against the in-process app, for every operation of the OpenAPI document:
no server errors, and every response conforms to the document (status, content type,
headers, body). At least 100 examples per operation when ``CI=true``, fewer locally.

Each operation runs as its own test on each database, as the shop's admin (so the
generated requests reach the views, not only the 401 answer); ``ignored_auth`` also
checks that the operation refuses requests without the credential. Operations on
definitions, documents and tasks get the transfer desk first (published form, flow and
rules, a submitted transfer and a draft), so generated ids and keys meet real objects.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest
import schemathesis
from desk import desk, submitted
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 100 if os.environ.get("CI", "").lower() == "true" else 10
WITH_DESK = ("/api/v1/definitions", "/api/v1/documents", "/api/v1/tasks")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, ignored_auth]


def operations() -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document, read once at collection."""
    from designer import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "INSTANCE_PATH": folder, "SECRET_KEY": "x",
                          "DATABASE_URL": f"sqlite:///{folder}/unused.db"})
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
        app.extensions["flowledger"].store.dispose()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items()
                  for method in ops if method != "parameters")


@pytest.mark.slow
@pytest.mark.parametrize("operation", operations(), ids=lambda o: f"{o[0]} {o[1]}")
def test_every_operation_holds_up(api: Any, operation: tuple[str, str]) -> None:
    method, path = operation
    if path.startswith(WITH_DESK):
        desk(api)
        submitted(api, ("A1", "1", "1"))
        api.post("documents", {"form": "transfer", "data": {}}, as_="admin")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.client.application)
    headers = {"Authorization": f"Bearer {api.shop.tokens['admin']}"}

    @given(case=schema[path][method].as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
