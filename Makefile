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

.PHONY: help install demo test lint typecheck validate build bench serve clean

help:
	@echo "make demo      run the nightly pull end to end on the embedded local stack"
	@echo "make test      run the test suite (unit, integration, e2e)"
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
