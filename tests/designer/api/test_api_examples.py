"""Every operation of the OpenAPI document carries examples, and they are right.

Each JSON request body and JSON response has an ``example`` or ``examples``; each
error response problem+json examples with a code, a title, a message and a source.
Request examples load through the operation's own marshmallow schema (what the API
runs) and validate against its schema in the document (what Swagger UI shows);
response examples validate against their response schema. Sent to the app, no
request example is refused as malformed, and none answers 5xx.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft4Validator
from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowError
from openapi_world import BACKENDS, World, operations, shared_world

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
MALFORMED = {"request.invalid", "request.server_owned_field"}  # refused by the schema

Operation = tuple[str, str]  # (method, path) as in the document


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from shared_world(request, tmp_path_factory)


# reading the document ------------------------------------------------------------------------

def examples_of(media: dict[str, Any]) -> dict[str, Any]:
    """A media type's examples by name (``example`` alone is named "example")."""
    if "example" in media:
        return {"example": media["example"]}
    return {name: example["value"] for name, example in media.get("examples", {}).items()}


def responses(spec: dict[str, Any], op: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(status, response) of an operation, shared response components resolved."""
    for status, response in op["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        yield status, response


def _draft4(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: the value may also be null."""
    if isinstance(node, list):
        return [_draft4(value) for value in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _draft4(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [{"type": "null"}, converted]} if node.get("nullable") is True else converted


def schema_errors(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    """Where ``value`` breaks ``schema`` (``$ref``s resolved in the document)."""
    root = _draft4({"components": spec["components"], "allOf": [schema]})
    validator = Draft4Validator(root, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(value)]


def body_schemas(app: Any) -> dict[Operation, Schema]:
    """The marshmallow schema each operation loads its JSON body with."""
    found: dict[Operation, Schema] = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule)
        for method in view_class.methods or ():
            doc = getattr(getattr(view_class, method.lower()), "_apidoc", {})
            for parameter in doc.get("arguments", {}).get("parameters", []):
                if parameter["in"] == "json":
                    schema = parameter["schema"]
                    found[(method.lower(), path)] = schema() if isinstance(schema, type) \
                        else schema
    return found


def request_examples(spec: dict[str, Any]) -> Iterator[tuple[Operation, str, Any]]:
    for key, op in operations(spec).items():
        media = op.get("requestBody", {}).get("content", {}).get(JSON)
        for name, example in examples_of(media or {}).items():
            yield key, name, example


def where(key: Operation, name: str = "") -> str:
    return f"{key[0].upper()} {key[1]}" + (f" [{name}]" if name else "")


# the checks, as functions of the document (so a test can feed them a wrong one) ----------

def without_examples(spec: dict[str, Any]) -> list[str]:
    missing = []
    for key, op in operations(spec).items():
        media = op.get("requestBody", {}).get("content", {}).get(JSON)
        if media is not None and not examples_of(media):
            missing.append(f"{where(key)}: the request body")
        for status, response in responses(spec, op):
            content = response.get("content", {})
            for kind in (JSON, PROBLEM_JSON):
                if kind in content and not examples_of(content[kind]):
                    missing.append(f"{where(key)}: the {status} response ({kind})")
    return missing


def wrong_requests(spec: dict[str, Any], schemas: dict[Operation, Schema]) -> list[str]:
    wrong = []
    for key, name, example in request_examples(spec):
        try:
            schemas[key].load(example)
        except MarshmallowError as exc:
            wrong.append(f"{where(key, name)}: the schema refuses it: {exc.messages}")
        schema = spec["paths"][key[1]][key[0]]["requestBody"]["content"][JSON]["schema"]
        wrong.extend(f"{where(key, name)}: {error}"
                     for error in schema_errors(spec, schema, example))
    return wrong


def wrong_responses(spec: dict[str, Any]) -> list[str]:
    wrong = []
    for key, op in operations(spec).items():
        for status, response in responses(spec, op):
            for kind, media in response.get("content", {}).items():
                if kind not in (JSON, PROBLEM_JSON):
                    continue
                for name, example in examples_of(media).items():
                    wrong.extend(f"{where(key, name)} {status}: {error}"
                                 for error in schema_errors(spec, media["schema"], example))
    return wrong


# the tests ---------------------------------------------------------------------------------

def test_every_json_body_and_response_has_an_example(world: World) -> None:
    missing = without_examples(world.spec)
    assert not missing, "operations without examples:\n" + "\n".join(missing)


def test_every_error_response_shows_a_problem_with_code_title_and_source(world: World) -> None:
    seen = 0
    for key, op in operations(world.spec).items():
        for status, response in responses(world.spec, op):
            media = response.get("content", {}).get(PROBLEM_JSON)
            if media is None:
                continue
            for name, problem in examples_of(media).items():
                seen += 1
                assert {"code", "title", "message", "source", "errors"} <= problem.keys(), \
                    where(key, name)
                assert problem["type"].endswith("/" + problem["code"]), where(key, name)
                assert problem["errors"] and all(
                    {"code", "message", "source"} <= error.keys() for error in problem["errors"]
                ), where(key, name)
                assert status == "default" or problem["status"] == int(status), \
                    (where(key, name), status)
    assert seen > 100


def test_request_examples_load_through_their_schemas(world: World) -> None:
    wrong = wrong_requests(world.spec, body_schemas(world.app))
    assert not wrong, "request examples that are not valid:\n" + "\n".join(wrong)


def test_response_examples_match_their_schemas(world: World) -> None:
    wrong = wrong_responses(world.spec)
    assert not wrong, "response examples that break their schema:\n" + "\n".join(wrong)


def test_a_missing_or_wrong_example_is_named(world: World) -> None:
    spec = copy.deepcopy(world.spec)
    new_item = spec["paths"]["/api/v1/items"]["post"]
    new_item["requestBody"]["content"][JSON]["examples"]["plain"]["value"] |= {
        "reorder_point": 72.5, "tenant_id": 1}
    del new_item["responses"]["201"]["content"][JSON]["example"]
    item = spec["paths"]["/api/v1/items/{item_id}"]["get"]["responses"]["200"]
    del item["content"][JSON]["example"]["code"]
    not_found = spec["components"]["responses"]["NOT_FOUND"]["content"][PROBLEM_JSON]
    not_found["examples"]["item"]["value"]["status"] = "404"

    assert without_examples(spec) == ["POST /api/v1/items: the 201 response (application/json)"]
    refused = wrong_requests(spec, body_schemas(world.app))
    assert refused and all(line.startswith("POST /api/v1/items [plain]") for line in refused)
    assert any("refuses" in line and "reorder_point" in line for line in refused)
    assert any("tenant_id" in line for line in refused if "refuses" not in line)
    broken = wrong_responses(spec)
    assert "GET /api/v1/items/{item_id} [example] 200: (root): 'code' is a required property" \
        in broken
    assert any(line.startswith("GET /api/v1/items/{item_id} [item] 404: status:")
               for line in broken)


def _path(spec: dict[str, Any], key: Operation) -> str:
    """The operation's URL, each path parameter at its example, first value or 1."""
    url, item = key[1], spec["paths"][key[1]]
    for parameter in [*item.get("parameters", []), *item[key[0]].get("parameters", [])]:
        if parameter["in"] == "path":
            schema = parameter["schema"]
            value = schema.get("example", (schema.get("enum") or [1])[0])
            url = url.replace("{" + parameter["name"] + "}", str(value))
    return url


def test_the_app_takes_every_request_example(world: World) -> None:
    """Last in the module: the examples change the shop (drafts, postings…)."""
    world.draft("admin")  # document 1 at least exists
    refused = []
    for key, name, example in request_examples(world.spec):
        answer = world.call(key[0].upper(), _path(world.spec, key), json=example)
        body = answer.get_json(silent=True) or {}
        if answer.status_code >= 500 or body.get("code") in MALFORMED:
            refused.append(f"{where(key, name)}: {answer.status_code} {body}")
    assert not refused, "\n".join(refused)
