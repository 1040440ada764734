# Two set-up commands for a fresh clone: `make run` (pipeline, then servers) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
DASHBOARD_PORT ?= 8501
DAGSTER_PORT ?= 3000
HOST ?= 127.0.0.1

.PHONY: run refresh test test-fast lint train eval bench browser clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: imports read .pyc files even under PYTHONDONTWRITEBYTECODE (Dagster imports in 1 s, not 3 s).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra dev --quiet --compile-bytecode
	touch $@

# Debian's chromium and chromedriver, for the end-to-end browser tests (never `playwright install`).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# REFRESH_ARGS: --verbose (Dagster's DEBUG events), --wait-seconds N (0: exit at once while another refresh runs).
refresh: $(VENV)/.synced
	$(BIN)/python -m pipelines.refresh $(REFRESH_ARGS)

run: refresh
	@echo "Dashboard:  http://$(HOST):$(DASHBOARD_PORT)"
	@echo "Dagster UI: http://$(HOST):$(DAGSTER_PORT)  (daemon on: schedules run)"
	$(BIN)/python -m pipelines.serve --host $(HOST) --dashboard-port $(DASHBOARD_PORT) --dagster-port $(DAGSTER_PORT)

# One process: beside a second worker, pipelines.serve's webserver and daemon once raced to create DAGSTER_HOME's
# run storage (alembic: "more than one head"), failing the e2e Dagster tests.
test: $(VENV)/.synced browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The inner loop: everything but the browser, Dagster's own servers, subprocess refreshes and whole-corpus reads,
# on TEST_WORKERS processes (pytest-xdist; 0: one process). The tests of one xdist_group run on one worker.
TEST_WORKERS ?= 2
test-fast: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not e2e and not slow" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.synced
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

train: $(VENV)/.synced
	$(BIN)/python -m pipelines.train_relevance $(TRAIN_ARGS)

eval: $(VENV)/.synced
	$(BIN)/python -m pipelines.evaluate

bench: $(VENV)/.synced
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) data/work data/*.duckdb data/dagster_home
