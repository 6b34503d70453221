# Everyday commands; each uses the project's virtualenv (make install creates it).
# `make help` lists the targets.

VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: help install hooks test test-fast test-pg lint format types spec spec-check \
	migrations-check check serve-demo

help:
	@echo "install     create $(VENV) and install the project with its test tools"
	@echo "hooks       install the git pre-commit hooks (.pre-commit-config.yaml)"
	@echo "test        the whole suite, in parallel (SQLite, SeaweedFS, faults, fuzz)"
	@echo "test-fast   the inner loop: every test that starts no other process"
	@echo "test-pg     the whole suite on PostgreSQL at PG_URL=$(PG_URL)"
	@echo "lint        ruff check and ruff format --check"
	@echo "format      ruff format, then ruff check --fix"
	@echo "types       mypy (strict: service, tests, bench)"
	@echo "spec        regenerate openapi/openapi.json"
	@echo "spec-check  fail when openapi/openapi.json is out of date"
	@echo "migrations-check  fail when the models need a migration the project lacks"
	@echo "check       everything CI checks, on SQLite"
	@echo "serve-demo  run the API with demo accounts and data on http://127.0.0.1:8000"

install:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'

hooks:
	$(BIN)/pip install -q pre-commit
	$(BIN)/pre-commit install

test:
	$(BIN)/pytest -n auto

test-fast:
	$(BIN)/pytest -m "not slow" -n auto

test-pg:
	MSHOP_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n auto

lint:
	$(BIN)/ruff check service tests migrations bench
	$(BIN)/ruff format --check service tests migrations/env.py bench

format:
	$(BIN)/ruff format service tests migrations/env.py bench
	$(BIN)/ruff check --fix service tests migrations bench

types:
	$(BIN)/mypy

spec:
	$(BIN)/python -m service.openapi

spec-check:
	$(BIN)/python -m service.openapi --check

migrations-check:
	$(BIN)/alembic check

check: lint types spec-check migrations-check test

serve-demo:
	$(BIN)/mshop serve --demo
