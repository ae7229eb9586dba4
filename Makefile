# paysync — every command installs what it needs into .venv (and .venv-sam for the SAM CLI).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
UV := $(VENV)/bin/uv
# The console (console/): no build; TypeScript (its one devDependency, locked) only checks its types.
CONSOLE_TSC := console/node_modules/.bin/tsc
export AWS_DEFAULT_REGION ?= eu-west-3
# SAM CLI must never phone home from these machines.
export SAM_CLI_TELEMETRY := 0

.PHONY: help install lock openapi demo test lint typecheck validate build bench replay-dlq serve clean \
	screenshots deploy-console chromium

help:
	@echo "make demo      run the nightly pull end to end on the embedded local stack"
	@echo "make test      run the test suite (unit, integration, e2e)"
	@echo "make serve     the console and the HTTP API on 127.0.0.1:$${PAYSYNC_API_PORT:-3000} over the local stack (demo data, keys printed)"
	@echo "make screenshots  a PNG of each page of the console into docs/screenshots/ (headless Chromium)"
	@echo "make deploy-console STACK=<name>  upload the console to the stack's bucket and write its config.json"
	@echo "make bench     the night's benchmarks (floor, API calls, cold starts, planning, memory): one table"
	@echo "make replay-dlq  send the sync dead-letter queue back to the queue (STACK=<name>, or SYNC_QUEUE_URL/SYNC_DLQ_URL/RUNS_TABLE)"
	@echo "make lint      ruff + mypy + the layer check (import-linter) + the console's types (tsc)"
	@echo "make validate  sam validate --lint, cfn-lint and checkov on template.yaml (offline)"
	@echo "make openapi   rewrite openapi.json from the routes (a test fails when it drifts)"
	@echo "make lock      re-resolve requirements/*.lock and the layer's requirements.txt (pinned, hashed)"
	@echo "make build     sam build (offline)"

# Exactly the locked, hashed versions; the project itself is installed editable without resolving again.
$(VENV)/.installed: requirements/dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

$(SAM_VENV)/.installed: requirements/sam.lock
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements/sam.lock
	@touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.lock
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --require-hashes -r requirements/checkov.lock
	@touch $@

# Re-resolve every lock from its source (pyproject.toml, requirements/*.in). The layer is resolved for
# Lambda's platform (Linux arm64) and constrained by the dev lock: sam build installs what the tests ran.
LOCK_FLAGS := --python-version 3.11 --generate-hashes --quiet
lock: install
	$(UV) pip compile pyproject.toml --extra dev --universal $(LOCK_FLAGS) -o requirements/dev.lock
	$(UV) pip compile pyproject.toml -c requirements/dev.lock --python-platform aarch64-unknown-linux-gnu \
		$(LOCK_FLAGS) -o layers/paysync/requirements.txt
	# The SAM CLI's lock is pinned but not hashed: pip's hash mode rejects its extras-of-pinned
	# dependencies (boto3-stubs[...], boto3[crt]) whichever way uv writes them.
	$(UV) pip compile requirements/sam.in --universal --python-version 3.11 --quiet -o requirements/sam.lock
	$(UV) pip compile requirements/checkov.in --universal $(LOCK_FLAGS) -o requirements/checkov.lock

openapi: install
	$(PY) -m paysync.api.openapi openapi.json

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

# The browser tests drive Debian's chromium (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: install chromium
	$(PY) -m pytest -n 2 --dist loadfile

# npm ci: exactly console/package-lock.json (integrity-checked), from the registry or npm's cache.
console/node_modules/.installed: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

lint: install console/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(CONSOLE_TSC) --noEmit -p console

screenshots: install chromium
	$(PY) -m tests.e2e.console.screenshots

# Operator AWS credentials from the environment; no rebuild: the files as they are, config.json from ApiUrl.
deploy-console: install
	@test -n "$(STACK)" || (echo "usage: make deploy-console STACK=<stack name>" >&2; exit 2)
	$(PY) -m local.console_deploy --stack $(STACK)

typecheck: install
	$(VENV)/bin/mypy

validate: install $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(SAM) validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(VENV)/bin/cfn-lint template.yaml
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download

# sam build, then what makes cold starts cheaper (README "Cold starts"; a plain `sam build` works too,
# slower to start): the layer's certificate authorities as a hashed directory beside certifi, read
# lazily (paysync/tls.py), and the bytecode of every module, which sam build leaves out and Lambda's
# read-only /opt cannot cache, so each cold start compiled every module it imports. Unchecked hashes:
# a zip's timestamps cannot invalidate them; the compiler must be the runtime's Python (3.11).
build: install $(SAM_VENV)/.installed
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make build needs Python 3.11, the runtime of template.yaml")'
	$(SAM) build --template template.yaml
	$(PY) -m paysync.ca_directory .aws-sam/build/PaysyncLayer/python
	$(PY) -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache console/node_modules
