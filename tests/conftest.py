"""Shared fixtures: real backends, fresh databases, a domain-speaking app.

PostgreSQL and Redis are used when reachable (``FLOWLEDGER_TEST_DATABASE_URL``,
``FLOWLEDGER_TEST_REDIS_URL``); tests that need a missing one are skipped with the
reason. With ``FLOWLEDGER_REQUIRE_BACKENDS=postgresql,redis`` (what ``.ci/run`` sets)
a missing backend stops the run and any skipped backend test fails it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.store import Store
from engine.store.migrate import upgrade

pytest_plugins = ["pytester"]

PG_URL = os.environ.get(
    "FLOWLEDGER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FLOWLEDGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRED = {b.strip() for b in os.environ.get("FLOWLEDGER_REQUIRE_BACKENDS", "").split(",")
            if b.strip()}
BACKEND_MARKS = {"postgres": "postgresql", "redis": "redis"}


def _probe_postgres() -> str | None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(drivername="postgresql")
    try:
        psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3).close()
    except Exception as exc:  # any failure means "not reachable"
        return f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {exc}"
    return None


def _probe_redis() -> str | None:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    return None


UNAVAILABLE: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    UNAVAILABLE["postgresql"] = _probe_postgres()
    UNAVAILABLE["redis"] = _probe_redis()
    missing = [f"{name}: {why}" for name, why in UNAVAILABLE.items() if why and name in REQUIRED]
    if missing:
        pytest.exit("required backends are missing\n" + "\n".join(missing), returncode=3)


def backend_line() -> str:
    def state(name: str) -> str:
        return "used" if UNAVAILABLE.get(name) is None else "SKIPPED (not reachable)"

    return (f"flowledger backends: sqlite used; postgresql {state('postgresql')}; "
            f"redis {state('redis')}")


def pytest_report_header(config: pytest.Config) -> str:
    return backend_line()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(backend_line())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for mark, backend in BACKEND_MARKS.items():
            reason = UNAVAILABLE.get(backend)
            if item.get_closest_marker(mark) and reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.skipped and REQUIRED:
        for mark, backend in BACKEND_MARKS.items():
            if backend in REQUIRED and item.get_closest_marker(mark):
                report.outcome = "failed"
                report.longrepr = (f"{item.nodeid} needs {backend}, which CI requires, "
                                   f"but it was skipped: {report.longrepr}")
    return report


# databases -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A private, migrated schema in the test PostgreSQL database for this run."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"flt_{uuid.uuid4().hex[:12]}"
    plain = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    store = Store(rendered)
    upgrade(store)
    store.dispose()
    yield rendered
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "flowledger.db"
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    store.dispose()
    return path


def _truncate_all(store: Store) -> None:
    from engine.store.models import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "flowledger.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_schema_url")
    yield url
    store = Store(url)
    _truncate_all(store)
    store.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    yield s
    s.dispose()


@pytest.fixture
def redis_url() -> str:
    if UNAVAILABLE.get("redis"):
        pytest.skip(UNAVAILABLE["redis"] or "redis missing")
    return REDIS_URL


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Any:
    from designer import create_app

    application = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": "test-secret",
    })
    yield application
    application.extensions["flowledger"].store.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
