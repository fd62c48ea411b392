# The project's commands. `make run` and `make test` work on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-suite bench lint format ci clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q '.[dev]'
	@rm -rf build *.egg-info
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py run_product --host $(HOST) --port $(PORT)

test: install
	./scripts/ensure_chromium.sh
	$(MAKE) test-suite

# The whole suite on whatever DATABASE_URL / REDIS_URL say (nothing set: SQLite and the file broker).
test-suite:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy erp_connectors invoices/extraction invoices/matching/engine.py invoices/coding/suggest.py \
		invoices/coding/learning.py invoices/checks.py invoices/identifiers.py invoices/intake/signatures.py \
		approvals/policy.py

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ci:
	./.ci/run

clean:
	rm -rf $(VENV) var build *.egg-info
