# CareNet: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_LINK_MODE := copy
UV := $(shell scripts/ensure-uv)
PY := $(UV) run --frozen python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup demo demo-data serve screenshots test check test-fast test-sqlite test-postgres test-browser test-fuzz bench bench-quick clean

help:
	@echo "make demo   - set up, build the demo network and serve it at http://$(HOST):$(PORT) (server + worker + scheduler)"
	@echo "make test   - set up and run every check and test (SQLite, PostgreSQL, browser)"
	@echo "make test-fast - the fast suite on SQLite only"
	@echo "make screenshots - the main pages as PNGs in docs/screenshots/ (desktop and phone), from the demo network"
	@echo "make bench  - benchmarks B1-B6 on a private PostgreSQL (20 million slots; under 20 minutes on 2 cores)"

setup:
	$(UV) sync --frozen --quiet
	@scripts/ensure-assets
	@# The compiled catalogues are committed; recompile when gettext is there (after editing a .po file).
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0; fi

demo-data: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_matrix
	$(PY) manage.py seed_demo --if-empty

demo: demo-data
	@scripts/serve-demo $(HOST) $(PORT)

# The main pages as PNGs in docs/screenshots/ at 1280x800 and 390x844, from the demo network (issue 14).
screenshots: setup
	UV=$(UV) scripts/screenshots

check: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy .
	$(UV) run --frozen lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v 1

test-fast: setup
	$(UV) run --frozen pytest -q -m "not browser and not slow and not live" -n 2

# The online consultations' sockets reach each other across processes through Redis (scripts/redis-up installs and
# starts Debian's redis-server on loopback); the tests that need it fail without it under `make test`.
# The `live` tests start real ASGI servers on the test database: one process, and on SQLite a database file the
# servers open too (the browser tests share that run and file).
test-sqlite: setup
	scripts/ensure-browser
	CARENET_REDIS_URL=$$(scripts/redis-up) $(UV) run --frozen pytest -q -n 2 -m "not browser and not live"
	mkdir -p var && rm -f var/test-live.sqlite3*
	CARENET_REDIS_URL=$$(scripts/redis-up) CARENET_SQLITE_TEST_PATH=var/test-live.sqlite3 \
		$(UV) run --frozen pytest -q -m "browser or live"

test-postgres: setup
	DATABASE_URL=$$(scripts/pg-up) CARENET_REDIS_URL=$$(scripts/redis-up) $(UV) run --frozen pytest -q -n 2 -m "not browser and not live"
	DATABASE_URL=$$(scripts/pg-up) CARENET_REDIS_URL=$$(scripts/redis-up) $(UV) run --frozen pytest -q -m live --create-db --reuse-db
	@# Reads on a real streaming replica of that server (issue 16): searches there, bookings on the primary. The test
	@# database the live tests made just now (and kept) is used again: no second migration of it.
	DATABASE_URL=$$(scripts/pg-up) CARENET_REPLICA_URLS=$$(scripts/pg-replica-up) $(UV) run --frozen pytest -q -m replica --reuse-db

test: check test-sqlite test-postgres

# Schema fuzzing of the API alone (issue 10); `make test` runs it too, with 50 examples per operation and mode.
test-fuzz: setup
	CARENET_FUZZ_EXAMPLES=$${CARENET_FUZZ_EXAMPLES:-200} $(UV) run --frozen pytest -q carenet/api/tests/test_schema_fuzz.py

# Benchmarks (issue 5): their own PostgreSQL on 127.0.0.1:54339, a table and one JSON line at the end.
bench:
	bench/run

bench-quick:
	bench/run --quick

clean:
	scripts/pg-replica-down || true
	scripts/pg-down || true
	scripts/redis-down || true
	rm -rf var staticfiles test-artifacts
