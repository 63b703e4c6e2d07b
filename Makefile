# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# uv (pinned, installed from PyPI into .tools/) installs the exact set locked in uv.lock.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
RAW_DIR ?= raw
WAREHOUSE ?= warehouse/monitor.duckdb

.PHONY: env run test dagster-dev docs clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: the packages' .pyc are written once here, so no run compiles them again
# (~3.7 s of every `statmon run` where Python may not write them, PYTHONDONTWRITEBYTECODE=1).
$(BIN)/.synced: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	touch $@

env: $(BIN)/.synced

## run: the monthly pipeline for every month in raw/ (demo data is generated when raw/ has no month)
run: env
	@if ! ls -d $(RAW_DIR)/[0-9][0-9][0-9][0-9]-[0-9][0-9] >/dev/null 2>&1; then \
		echo "raw/ holds no delivery month: generating demo data"; \
		$(BIN)/statmon demo-data --out $(RAW_DIR); \
	fi
	$(BIN)/statmon run --raw-dir $(RAW_DIR) --warehouse $(WAREHOUSE)

## test: the full test suite
test: env
	$(BIN)/pytest

## dagster-dev: the Dagster UI on http://127.0.0.1:3000 for this code location (docs/orchestration.md)
# The environment's bin/ on PATH: dagster-dbt finds `dbt` there when it parses the project at load.
dagster-dev: env
	$(BIN)/python -m orchestration.dagster_home $(dir $(WAREHOUSE))dagster_home
	PATH=$(CURDIR)/$(BIN):$$PATH DAGSTER_HOME=$(abspath $(dir $(WAREHOUSE))dagster_home) \
		STATMON_WAREHOUSE=$(abspath $(WAREHOUSE)) STATMON_RAW_DIR=$(abspath $(RAW_DIR)) $(BIN)/dagster dev

## docs: dbt docs (the data dictionary for BI users) into dbt_project/target/static_index.html
docs: env
	cd dbt_project && STATMON_WAREHOUSE=$(abspath $(WAREHOUSE)) ../$(BIN)/dbt docs generate --profiles-dir . --static --quiet
	@echo "open dbt_project/target/static_index.html (one self-contained file), or: cd dbt_project && ../$(BIN)/dbt docs serve --profiles-dir ."

clean:
	rm -rf warehouse/*.duckdb* warehouse/*.dbt_target warehouse/published warehouse/dagster_home dbt_project/target dbt_project/logs

## bench: the benchmark (scale 1 and 100 beside the DuckDB lower bound) into bench/results.md; not part of test
.PHONY: bench
bench: env
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)
