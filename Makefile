# The two commands a person needs: `make demo` and `make test`. `make bench` runs the benchmarks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/cobro_test
QUICK ?=

.PHONY: demo test bench install lock lint typecheck db-services browser wrk unit clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate the embedded SQLite database, load demo data, then start the WhatsApp
## sandbox and the server side by side (Ctrl-C stops both); it prints the console and phone page addresses.
demo: install
	$(BIN)/cobro db upgrade
	$(BIN)/cobro demo seed
	$(BIN)/cobro demo start

## make test: lint, type-check, layering contracts, then every test on SQLite and PostgreSQL.
test: install db-services browser
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	@echo "--- the intent classifier on its held-out set and on a set written apart from the training data ---"
	$(BIN)/cobro nlu eval src/cobro/adapters/nlu/data/eval.tsv --min-f1 0.95
	$(BIN)/cobro nlu eval tests/data/nlu_external_eval.tsv --min-f1 0.95
	COBRO_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/pytest -q

## make bench [QUICK=1]: every benchmark, one `name: value unit` line per figure.
bench: install db-services wrk
	COBRO_TEST_POSTGRES_URL=$(PG_TEST_URL) QUICK=$(QUICK) $(BIN)/python bench/run.py

## PostgreSQL must be up for the tests: start it when it is down, create the test database.
db-services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='cobro_test'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE cobro_test"

## Browser tests drive Debian's Chromium (never a downloaded browser); install it when it is missing.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## The sandbox benchmark drives the server with wrk.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

lock:
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
