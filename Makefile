# CareNet: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_LINK_MODE := copy
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := $(UV) run --frozen python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup demo demo-data serve test check test-fast test-sqlite test-postgres test-browser bench clean

help:
	@echo "make demo   - set up, build the demo network and serve it at http://$(HOST):$(PORT) (server + worker + scheduler)"
	@echo "make test   - set up and run every check and test (SQLite, PostgreSQL, browser)"
	@echo "make test-fast - the fast suite on SQLite only"

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen --quiet
	$(PY) manage.py compilemessages --ignore=.venv -v 0

demo-data: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_matrix
	$(PY) manage.py seed_demo --if-empty

demo: demo-data
	@scripts/serve-demo $(HOST) $(PORT)

check: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy .
	$(PY) manage.py makemigrations --check --dry-run -v 1

test-fast: setup
	$(UV) run --frozen pytest -q -m "not browser and not slow" -n 2

test-sqlite: setup
	scripts/ensure-browser
	$(UV) run --frozen pytest -q -n 2 -m "not browser"
	$(UV) run --frozen pytest -q -m browser

test-postgres: setup
	DATABASE_URL=$$(scripts/pg-up) $(UV) run --frozen pytest -q -n 2 -m "not browser"

test: check test-sqlite test-postgres

bench: setup
	$(PY) bench/run.py

clean:
	scripts/pg-down || true
	rm -rf var staticfiles test-artifacts
