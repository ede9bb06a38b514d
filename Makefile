# The two commands for a fresh machine with Python >= 3.11 and make:
#   make run    the portal on http://127.0.0.1:8000/ (PORT=... to change), with Celery
#   make test   the test suite (ARGS="-k something" passes arguments to pytest)
# Both create .venv and install the project on first use (again only when pyproject.toml
# changes). PostgreSQL and Redis come from DATABASE_URL / REDIS_URL, or are started embedded
# from var/ when those are not set.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: all help venv run test lint format messages bench clean-data

all: help

help:
	@echo "make run          start the portal (PORT=8000), Celery worker and beat; Ctrl-C stops"
	@echo "make test         run the tests (ARGS='...' for pytest)"
	@echo "make lint         ruff check + ruff format --check + import contracts (.importlinter)"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make messages     update and compile the French translations"
	@echo "make bench        run the benchmarks"
	@echo "make clean-data   stop the embedded servers and delete var/ (databases, Redis, static)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
			|| { echo "Python >= 3.11 is needed: make PYTHON=python3.11 ..." >&2; exit 1; }; \
		echo "Creating the virtualenv $(VENV) with $(PYTHON)..."; \
		$(PYTHON) -m venv $(VENV); \
	fi
	@echo "Installing the project and its dependencies into $(VENV) (the first time takes a few minutes)..."
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

run: $(STAMP)
	$(PY) -m config.launch run

test: $(STAMP)
	$(PY) -m config.launch test $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	$(PY) -m config.launch manage makemessages -l fr --no-location --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=test-artifacts
	$(PY) -m config.launch manage compilemessages --ignore=.venv

bench: $(STAMP)
	@if [ -f benchmarks/run_all.py ]; then \
		$(PY) benchmarks/run_all.py; \
	else \
		echo "benchmarks/run_all.py does not exist yet; the start-up benchmark is benchmarks/startup.py"; \
	fi

clean-data:
	@if [ -x $(PY) ]; then $(PY) -m config.embedded stop; fi
	rm -rf var
