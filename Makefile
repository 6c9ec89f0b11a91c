# Two commands on a fresh machine with Python 3 and make: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP_BASE := $(VENV)/.installed-base
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint typecheck pytest bench fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_BASE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	$(PY) -m fakeflux demo

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP_TEST)
	$(VENV)/bin/mypy

# Two workers (pytest-xdist): the suite is process- and socket-bound, and every test has its own instance.
pytest: $(STAMP_TEST)
	$(VENV)/bin/pytest -q -n 2

test: lint typecheck pytest

bench: $(STAMP_BASE)
	$(PY) -m benchmarks

# A long fuzzing campaign (minutes); make test runs a small deterministic budget.
fuzz: $(STAMP_TEST)
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest -q tests/fuzz tests/wire/test_properties.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache .hypothesis
