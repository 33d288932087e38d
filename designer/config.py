"""Configuration: defaults → instance config file → ``FLOWLEDGER_*`` variables → the
``config`` mapping given to :func:`designer.create_app` (tests use that last one).

The instance config file is ``flowledger.toml`` in the instance folder, with keys
written in lower case (``database_url = "postgresql://…"``). Environment variables
use the same names in upper case behind ``FLOWLEDGER_`` (``FLOWLEDGER_DATABASE_URL``).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "FLOWLEDGER_"
CONFIG_FILE = "flowledger.toml"
SECRET_FILE = "secret_key"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: SQLite file flowledger.db in the instance folder
    "REDIS_URL": None,  # None: jobs run in-process
    "SECRET_KEY": None,  # None: generated once into the instance folder
    "QUEUE_NAME": "flowledger",
    "DEFAULT_LANGUAGE": "zh",
    "LANGUAGES": ["zh", "en"],
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "TRUST_PROXY": False,
}

_BOOLEAN = {"SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SECURE", "TRUST_PROXY", "TESTING"}


def _from_file(instance_path: Path) -> dict[str, Any]:
    path = instance_path / CONFIG_FILE
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {key.upper(): value for key, value in data.items()}


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(PREFIX) or key == PREFIX + "INSTANCE_PATH":
            continue
        name = key[len(PREFIX):]
        if name in _BOOLEAN:
            out[name] = value.strip().lower() in ("1", "true", "yes", "on")
        elif name == "LANGUAGES":
            out[name] = [part.strip() for part in value.split(",") if part.strip()]
        else:
            out[name] = value
    return out


def secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, generating it (mode 0600) the first time."""
    path = instance_path / SECRET_FILE
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def resolve(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The settings in force, with derived defaults filled in."""
    settings = dict(DEFAULTS)
    settings.update(_from_file(instance_path))
    settings.update(_from_env(os.environ if environ is None else environ))
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        instance_path.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'flowledger.db'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = secret_key(instance_path)
    return settings


def instance_path_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(PREFIX + "INSTANCE_PATH")
    return os.path.abspath(value) if value else None
