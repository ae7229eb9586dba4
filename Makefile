# paysync — every command installs what it needs into .venv (and .venv-sam for the SAM CLI).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
export AWS_DEFAULT_REGION ?= eu-west-3
# SAM CLI must never phone home from these machines.
export SAM_CLI_TELEMETRY := 0

.PHONY: help install demo test lint typecheck validate build bench replay-dlq serve clean

help:
	@echo "make demo      run the nightly pull end to end on the embedded local stack"
	@echo "make test      run the test suite (unit, integration, e2e)"
	@echo "make serve     the HTTP API on 127.0.0.1:$${PAYSYNC_API_PORT:-3000} over the local stack (demo data, keys printed)"
	@echo "make bench     the night's benchmarks (scale, API calls, cold imports, planning, memory): one table"
	@echo "make replay-dlq  send the sync dead-letter queue back to the queue (STACK=<name>, or SYNC_QUEUE_URL/SYNC_DLQ_URL/RUNS_TABLE)"
	@echo "make lint      ruff + mypy"
	@echo "make validate  sam validate --lint and cfn-lint on template.yaml (offline)"
	@echo "make build     sam build (offline)"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	@touch $@

demo: install
	$(PY) -m local.demo

serve: install
	$(PY) -m local.serve

# Writes benchmarks/results.json; BENCH_ARGS="--only night --scale 10" etc. (python -m benchmarks.run -h)
bench: install
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# An operator command against a deployed stack (AWS credentials from the environment): ARGS="--dry-run"
replay-dlq: install
	$(PY) -m paysync.ops.replay $(if $(STACK),--stack $(STACK)) $(ARGS)

test: install
	$(PY) -m pytest -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: install
	$(VENV)/bin/mypy

validate: install $(SAM_VENV)/.installed
	$(SAM) validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(VENV)/bin/cfn-lint template.yaml

build: $(SAM_VENV)/.installed
	$(SAM) build --template template.yaml

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
