"""Reading an industry template package and checking it before anything is installed.

A package is a folder (see docs/templates.md)::

    manifest.json            key, version, labels, industry, requires
    forms/<key>.json         form definitions            flows/<key>.json   flows
    rules/<key>.rules        rule sets (text)
    seed/roles.json  departments.json  users.json  locations.json  items.json  boms.json
    demo/documents.json      demo documents, submitted and acted on after install
    scenarios/               the template's own tests

Every problem is collected with the file and the line, field or rule position it is
at; a package with any problem installs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import engine
from engine.errors import Problem, Source, problem

SEED_FILES = ("roles", "departments", "users", "locations", "items", "boms")


@dataclass
class Package:
    key: str
    version: str
    manifest: dict[str, Any]
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    seed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    demo: list[dict[str, Any]] = field(default_factory=list)

    def definitions(self) -> Iterable[tuple[str, str, dict[str, Any]]]:
        """(kind, key, body) in publishing order: forms, then flows, then rules."""
        for key, body in sorted(self.forms.items()):
            yield "form", key, body
        for key, body in sorted(self.flows.items()):
            yield "flow", key, body
        for key, text in sorted(self.rules.items()):
            yield "rules", key, {"text": text}


def _schema(name: str) -> Draft202012Validator:
    raw = (files("templates_library") / name).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(raw))


def _read_json(entry: Traversable, name: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        problems.append(problem(
            "template.bad_json", f"{name} is not valid JSON: {error.msg}",
            f"{name} 不是有效的 JSON：{error.msg}",
            Source(file=name, line=error.lineno, column=error.colno)))
    return None


def _schema_problems(validator: Draft202012Validator, data: Any, name: str
                     ) -> list[Problem]:
    out = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append(problem("template.schema", f"{name}{path or ''}: {error.message}",
                           f"{name}{path or ''}：{error.message}",
                           Source(file=name, path=path.lstrip(".") or "$")))
    return out


def locate(key_or_path: str) -> Traversable:
    """A shipped template by key, or a package folder on disk."""
    shipped = files("templates_library") / key_or_path
    if shipped.is_dir():
        return shipped
    path = Path(key_or_path)
    if path.is_dir():
        return path
    raise FileNotFoundError(key_or_path)


def load(root: Traversable) -> tuple[Package | None, list[Problem]]:
    problems: list[Problem] = []
    manifest = _read_json(root / "manifest.json", "manifest.json", problems)
    if manifest is None:
        return None, problems
    problems += _schema_problems(_schema("manifest.schema.json"), manifest, "manifest.json")
    if problems:
        return None, problems
    problems += _requirements(manifest)
    pkg = Package(manifest["key"], manifest["version"], manifest)
    _load_definitions(root, pkg, problems)
    _load_seed(root, pkg, problems)
    return pkg, problems


def _requirements(manifest: Mapping[str, Any]) -> list[Problem]:
    out = []
    wanted = manifest["requires"]["engine"]
    try:
        fits = Version(engine.__version__) in SpecifierSet(wanted)
    except InvalidSpecifier:
        fits = False
    if not fits:
        out.append(problem("template.engine_version",
                           f"The template needs engine {wanted}; this is {engine.__version__}",
                           f"模板需要引擎版本 {wanted}，当前为 {engine.__version__}",
                           Source(file="manifest.json", path="requires.engine")))
    for name in manifest["requires"].get("plugins", []):
        out.append(problem("template.plugin_missing", f"The template needs plugin '{name}', "
                           "which is not installed", f"模板需要插件 '{name}'，但尚未安装",
                           Source(file="manifest.json", path="requires.plugins")))
    return out


def _load_definitions(root: Traversable, pkg: Package, problems: list[Problem]) -> None:
    for folder, target, suffix in (("forms", pkg.forms, ".json"), ("flows", pkg.flows, ".json"),
                                   ("rules", pkg.rules, ".rules")):
        where = root / folder
        if not where.is_dir():
            continue
        for entry in sorted(where.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(suffix):
                continue
            key, name = entry.name[: -len(suffix)], f"{folder}/{entry.name}"
            if suffix == ".rules":
                target[key] = entry.read_text(encoding="utf-8")  # type: ignore[assignment]
            elif (body := _read_json(entry, name, problems)) is not None:
                target[key] = body


def _load_seed(root: Traversable, pkg: Package, problems: list[Problem]) -> None:
    validator = _schema("seed.schema.json")
    for name in SEED_FILES:
        entry = root / "seed" / f"{name}.json"
        if not entry.is_file():
            pkg.seed[name] = []
            continue
        data = _read_json(entry, f"seed/{name}.json", problems)
        sub = Draft202012Validator({**validator.schema, "$ref": f"#/$defs/{name}"})
        found = _schema_problems(sub, data, f"seed/{name}.json") if data is not None else []
        problems += found
        pkg.seed[name] = data if data is not None and not found else []
    demo = root / "demo" / "documents.json"
    if demo.is_file():
        data = _read_json(demo, "demo/documents.json", problems)
        sub = Draft202012Validator({**validator.schema, "$ref": "#/$defs/demo"})
        found = _schema_problems(sub, data, "demo/documents.json") if data is not None else []
        problems += found
        pkg.demo = data if data is not None and not found else []
