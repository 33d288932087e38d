# Flowledger — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck i18n bench-ledger bench-rules bench-flows bench-api clean help

help:
	@echo "make run    - install, migrate, create the first tenant and admin, serve on :5000"
	@echo "make test   - install the dev tools and run the whole test suite"
	@echo "make lint   - ruff and mypy (strict on engine/)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Flowledger needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowledger quickstart

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check engine designer plugins templates_library tests bench
	$(BIN)/mypy

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ --omit-header -o designer/translations/messages.pot .
	$(BIN)/pybabel update -i designer/translations/messages.pot -d designer/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d designer/translations

bench-ledger: $(STAMP)
	$(BIN)/python bench/bench_ledger.py

bench-rules: $(STAMP)
	$(BIN)/python bench/bench_rules.py

bench-api: $(STAMP)
	$(BIN)/python bench/bench_api.py

bench-flows: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_flows.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
