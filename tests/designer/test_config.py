"""Configuration precedence: defaults → instance file → environment → explicit."""

from __future__ import annotations

import stat
from pathlib import Path

from designer.config import resolve


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = resolve(tmp_path, environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'flowledger.db'}"
    assert settings["REDIS_URL"] is None


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "flowledger.toml").write_text(
        'database_url = "postgresql://file/db"\nredis_url = "redis://file:6379/0"\n'
        'queue_name = "from-file"\n')
    env = {"FLOWLEDGER_DATABASE_URL": "postgresql://env/db", "OTHER": "x"}
    settings = resolve(tmp_path, environ=env)
    assert settings["DATABASE_URL"] == "postgresql://env/db"  # env beats file
    assert settings["REDIS_URL"] == "redis://file:6379/0"  # file beats default
    assert settings["QUEUE_NAME"] == "from-file"
    settings = resolve(tmp_path, {"DATABASE_URL": "sqlite://"}, environ=env)
    assert settings["DATABASE_URL"] == "sqlite://"


def test_booleans_and_lists_from_environment(tmp_path: Path) -> None:
    env = {"FLOWLEDGER_SESSION_COOKIE_SECURE": "true", "FLOWLEDGER_LANGUAGES": "en, zh"}
    settings = resolve(tmp_path, environ=env)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["LANGUAGES"] == ["en", "zh"]


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = resolve(tmp_path, environ={})["SECRET_KEY"]
    second = resolve(tmp_path, environ={})["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert resolve(tmp_path, environ={"FLOWLEDGER_SECRET_KEY": "s3"})["SECRET_KEY"] == "s3"
