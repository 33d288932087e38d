"""CI must not pass when the PostgreSQL or Redis tests were skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = "tests/engine/store/test_migrations.py::test_upgrade_is_idempotent"


def run_pytest(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_missing_postgres_is_a_skip_without_the_requirement() -> None:
    done = run_pytest({"FLOWLEDGER_TEST_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
                       "FLOWLEDGER_REQUIRE_BACKENDS": ""})
    assert done.returncode == 0, done.stdout
    assert "1 passed, 1 skipped" in done.stdout
    assert "postgresql SKIPPED" in done.stdout


def test_missing_postgres_fails_when_ci_requires_it() -> None:
    done = run_pytest({"FLOWLEDGER_TEST_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
                       "FLOWLEDGER_REQUIRE_BACKENDS": "postgresql,redis"})
    assert done.returncode != 0
    assert "required backends are missing" in done.stdout + done.stderr


def test_a_skipped_backend_test_fails_when_required(pytester: pytest.Pytester,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a backend test that skips itself for another reason fails CI."""
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    postgres: pg\n    redis: redis\n")
    pytester.makepyfile(test_probe="""
        import pytest

        @pytest.mark.postgres
        def test_needs_pg():
            pytest.skip("pretend the server vanished")

        def test_plain():
            pass
    """)
    monkeypatch.setenv("FLOWLEDGER_REQUIRE_BACKENDS", "")
    relaxed = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    relaxed.assert_outcomes(passed=1, skipped=1)
    monkeypatch.setenv("FLOWLEDGER_REQUIRE_BACKENDS", "postgresql,redis")
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    strict.assert_outcomes(passed=1, failed=1)
