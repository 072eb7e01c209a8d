# Alongside — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000
# Development mode for run/test/demo only: generated keys under var/ (never in production).
DEV_ENV := ALONGSIDE_DEV=true
PG_URL ?= postgres://postgres@127.0.0.1:5432/alongside

.PHONY: run test test-sqlite test-calendar test-postgres lint bench install install-dev demo clean

$(VENV)/.installed: requirements/base.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements/base.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(PIP) install -r requirements/base.txt -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, build the demo program if empty, serve with gunicorn
## and run the background-task worker (django-tasks' database backend) beside it.
run: install
	$(DEV_ENV) $(VENV)/bin/alongside migrate --noinput -v 0
	$(DEV_ENV) $(VENV)/bin/alongside collectstatic --noinput -v 0
	$(DEV_ENV) $(VENV)/bin/alongside demo
	@echo "Alongside is at http://$(HOST):$(PORT)/  (Ctrl-C stops it and its task worker)"
	$(DEV_ENV) bash -c 'trap "kill 0" EXIT; $(VENV)/bin/alongside db_worker --interval 2 -v 0 & $(VENV)/bin/gunicorn -c gunicorn.conf.py alongside.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile - --log-level warning'

## make test: lint, migrations check, the whole suite on SQLite, the date-sensitive
## tests at every calendar-splitting instant under a faked system clock, then PostgreSQL.
test: install-dev lint test-sqlite test-calendar test-postgres

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(DEV_ENV) $(VENV)/bin/mypy alongside bench
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run -v 1

test-sqlite:
	$(VENV)/bin/pytest -n 2 --dist loadgroup

test-calendar:
	bash scripts/test-calendar.sh

test-postgres:
	bash scripts/test-postgres.sh

## make bench: benchmarks at bench scale on PostgreSQL (never part of make test).
bench: install-dev
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
