"""The OpenAPI document, Swagger UI from vendored files, and the vendored files' manifest."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from designer import auth

VENDOR = Path(__file__).resolve().parents[3] / "designer" / "static" / "vendor"


def test_every_operation_declares_its_permission_and_errors(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["components"]["securitySchemes"]) == {"bearerToken", "sessionCookie"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters" or path == "/api/v1/health":
                continue
            where = f"{method.upper()} {path}"
            assert op["x-permission"] in {*auth.PERMISSIONS, "member", "none"}, where
            responses = op["responses"]
            if op["x-permission"] != "none":
                assert op["security"] and {"401", "403"} <= set(responses), where
            if method == "post" and op["security"]:
                assert any(p["name"] == "Idempotency-Key" for p in op["parameters"]), where
            error = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]
            assert "application/problem+json" in error["content"]


def test_swagger_ui_is_served_from_vendored_files(client: Any) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/vendor/swagger-ui/") for s in sources)
    assert "/api/v1/openapi.json" in html
    for source in sources:
        with client.get(source) as response:  # closes the streamed file
            assert response.status_code == 200, source


def test_vendored_files_match_their_manifest() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    for package in manifest["packages"]:
        folder = VENDOR / package["folder"]
        assert (folder / "LICENSE").exists()
        assert {p.name for p in folder.iterdir()} == set(package["files"])
        for name, digest in package["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_unknown_api_paths_and_methods_are_problems(client: Any) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["code"] == "http.not_found"
    wrong = client.delete("/api/v1/items")
    assert wrong.status_code == 405 and wrong.get_json()["code"] == "http.method_not_allowed"
    assert "GET" in wrong.headers["Allow"]
