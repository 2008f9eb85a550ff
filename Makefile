# Two commands on a fresh machine with Python 3.10+: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: serve test lint format openapi clean bench bench-scale soak interop mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# serve needs the runtime only; test adds the test and dev tools
$(VENV)/.serve: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@ $(VENV)/.serve

serve: $(VENV)/.serve
	$(BIN)/smspartner-mock serve --host $(HOST) --port $(PORT)

test: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m coverage erase
	$(BIN)/python -m coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m coverage report

# Not part of the tests: wrk against the mock and a bare aiohttp handler; about 3 minutes.
# BENCH_ARGS="--duration 30" for longer runs; results in bench/results/latest.{md,png}.
$(VENV)/.bench: pyproject.toml $(VENV)/.serve
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# 100,000 sandbox sends with wrk, then message-status while the admin API lists (bench/scale.py).
bench-scale: $(VENV)/.bench
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# The robustness soak for 60 s instead of the CI's short one.
soak: $(VENV)/.test
	SOAK_SECONDS=$${SOAK_SECONDS:-60} $(BIN)/python -m pytest tests/test_robustness.py -m soak -v

# Outside tools against openapi.json: Prism as a validating proxy in front of the mock, and
# Redocly lint (tests/test_interop.py; plain `make test` skips them until they are installed).
# Needs node 20.19+ and npm; versions pinned in .interop/package-lock.json; about a minute
# the first time (the npm install), 20 s after.
.interop/node_modules/.installed: .interop/package.json .interop/package-lock.json
	npm ci --prefix .interop --no-audit --no-fund
	touch $@

interop: $(VENV)/.test .interop/node_modules/.installed
	$(BIN)/python -m pytest tests/test_interop.py -v $(PYTEST_ARGS)

# Mutation testing (mutmut, [tool.mutmut] in pyproject.toml) of the domain, the wire form,
# query parsing, the decision engine and the contract checks; not part of `make test`. Prints
# the score per module and each survivor not in tests/mutation/equivalents.md; fails under
# 98% or on such a survivor. Incremental: mutants/ keeps the verdicts of unchanged
# functions (`rm -rf mutants` for a fresh run). One module, re-run even if unchanged:
# MUTANTS='mock_server._domain.phones.*'; more workers: MUTMUT_ARGS="--max-children 4".
$(VENV)/.mutation: pyproject.toml $(VENV)/.test
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	touch $@

mutation: $(VENV)/.mutation
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mutmut run $(MUTMUT_ARGS) $(MUTANTS)
	$(BIN)/python -m tests.mutation.report $(MUTANTS)

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(VENV)/.serve
	$(BIN)/smspartner-mock openapi -o openapi.json

clean:
	rm -rf $(VENV) mutants bench/.prism .interop/node_modules .pytest_cache .hypothesis .mypy_cache .ruff_cache .coverage
