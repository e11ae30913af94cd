# wanzheng — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo
PORT   ?= 8000

.PHONY: demo test lint fmt system-deps bench bench-quick bench-plan-quick bench-forecast clean serve web

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
# The engine's core is C compiled from Cython (setup.py): a C compiler must be present.
$(STAMP): pyproject.toml setup.py src/wanzheng/network/_engine_core.pyx | $(BIN)/python
	bash scripts/ensure-system-deps.sh build $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make demo [PORT=8010]: audit the embedded default area and start the web service on it
## (on PORT, or the next free port when PORT is taken).
demo: $(STAMP)
	$(BIN)/wanzheng demo --out $(OUT) --serve --port $(PORT)

## make test: system packages (Chromium, PostgreSQL), lint, types, every test.
test: $(STAMP) system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

system-deps:
	bash scripts/ensure-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

## make bench-quick: the 1M-node grid against scipy (under 5 minutes).
bench-quick: $(STAMP)
	$(BIN)/python -m bench.quick

## make bench-plan-quick: siting against spopt + PuLP/CBC and HiGHS on spopt's model (under 5 minutes).
bench-plan-quick: $(STAMP)
	bash bench/plan-venv.sh
	bench/.venv/bin/python -m bench.plan_bench --quick

## make bench: every benchmark against its peers; writes docs/benchmarks.md.
bench: $(STAMP)
	bash bench/run-all.sh

## make web: rebuild the front end (frontend/, npm) into src/wanzheng/web/static.
web:
	cd frontend && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

## make bench-cases: case desk intake, submissions/s and p50/p99 (SQLite, PostgreSQL).
bench-cases: $(STAMP)
	$(BIN)/python -m bench.cases_bench

## make bench-text-real: the classifier on real messages (../shared/data) against a tuned
## baseline, grouped nested cross-validation in one run (the baseline's inner tuning dominates: two hours on
## a shared machine, expect well over half an hour on a quiet one).
bench-text-real: $(STAMP)
	$(BIN)/python -m bench.text_real
## make bench-mixed: intake at 1,000/s while 50 clients read (wanzheng serve, SQLite 1-2 processes, PostgreSQL 1-4, and 1 with its server pinned to CPU 1).
bench-mixed: $(STAMP)
	$(BIN)/python -m bench.mixed_bench --processes 1,2 --postgresql-processes 1,2,4 --pin-postgresql 1
## make bench-batch: batch audits serially against a local Dask cluster (docs/benchmarks.md, block batch).
bench-batch: $(STAMP)
	$(BIN)/python -m bench.batch_bench
## make bench-scale: staff lists and measures p50/p99 at 1M generated cases on PostgreSQL (block scale).
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale_bench
## make bench-forecast: the demand outlook on real service requests (../shared) against the best baseline.
bench-forecast: $(STAMP)
	$(BIN)/python -m bench.forecast_bench
