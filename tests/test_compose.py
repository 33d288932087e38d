"""docker-compose.yml describes the production layout (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_and_their_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "scheduler"}
    migrate = services["migrate"]
    assert migrate["command"][-1] == "flowledger db upgrade && flowledger db grant flowledger_app"
    assert "flowledger:" in migrate["environment"]["FLOWLEDGER_DATABASE_URL"]  # the owner
    assert services["web"]["command"][0] == "gunicorn"
    assert "designer.wsgi:app" in services["web"]["command"]
    assert services["worker"]["command"] == ["flowledger", "worker"]
    assert services["scheduler"]["command"] == ["flowledger", "scheduler"]


def test_app_services_wait_for_healthy_backends_and_the_migration() -> None:
    services = compose()["services"]
    for name in ("web", "worker", "scheduler"):
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        env = services[name]["environment"]
        assert env["FLOWLEDGER_DATABASE_URL"].startswith("postgresql+psycopg://flowledger_app:")
        assert env["FLOWLEDGER_REDIS_URL"].startswith("redis://")


def test_backends_have_volumes_and_health_checks() -> None:
    data = compose()
    for name in ("postgres", "redis"):
        service = data["services"][name]
        assert service["healthcheck"]["test"]
        assert service["volumes"]
    assert set(data["volumes"]) == {"pgdata", "redisdata", "attachments"}
    for name in ("web", "worker"):  # attachments live where every process finds them
        assert "attachments:/var/lib/flowledger/attachments" in data["services"][name]["volumes"]


def test_commands_exist_in_the_cli() -> None:
    from designer.cli import main

    for name in ("db", "worker", "scheduler"):
        assert name in main.commands
    import importlib.util

    assert importlib.util.find_spec("designer.wsgi") is not None  # what gunicorn loads


def test_the_app_role_is_created_with_the_database() -> None:
    init = ROOT / "deploy" / "postgres" / "10-app-role.sh"
    assert "CREATE ROLE flowledger_app" in init.read_text() and "NOBYPASSRLS" in init.read_text()
    volumes = compose()["services"]["postgres"]["volumes"]
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in volumes
