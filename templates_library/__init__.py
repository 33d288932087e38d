"""Industry templates shipped with Flowledger: one folder each, data only.

A template folder holds ``manifest.json`` plus its forms, flows, rules and seed data
(DESIGN.md §3). This module only finds them; installing is ``engine.services``' job.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any


def root() -> Traversable:
    return files(__name__)


def available() -> dict[str, dict[str, Any]]:
    """Manifests of the shipped templates, by key."""
    found: dict[str, dict[str, Any]] = {}
    for entry in root().iterdir():
        manifest = entry / "manifest.json"
        if entry.is_dir() and manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found[str(data.get("key", entry.name))] = data
    return dict(sorted(found.items()))
