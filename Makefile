# Two commands set everything up from a fresh clone with only Python 3.11+:
#   make run    venv, requirements, embedded PostgreSQL, migrations, seed data,
#               editor account (password printed once), site on 127.0.0.1:$(PORT)
#   make test   the same set-up, then ruff, the migrations check and the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test setup lint db-status db-stop bench load datasette-compare api-fuzz

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed

run: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py serve 127.0.0.1:$(PORT)

lint: setup
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Schemathesis against /api/openapi.json with ten times the cases the suite's run makes
api-fuzz: setup
	ST_MAX_EXAMPLES=$${ST_MAX_EXAMPLES:-100} $(PY) -m pytest tests/test_api_fuzz.py -q -s

db-status: setup
	$(PY) -m config.localdb status

db-stop: setup
	$(PY) -m config.localdb stop

# make bench SIZES=1000,10000,100000,1000000 (default: 1000,10000,100000)
bench: setup
	$(PY) bench/run.py $(if $(SIZES),--sizes $(SIZES))

# make load: two instances, shared cache, primary + replica; make load SHAPE=single: one instance and a fault
load: setup
	$(PY) bench/load.py $(if $(SHAPE),--shape $(SHAPE))

# The registry against Datasette on the same data (installs Datasette into bench/.venv-datasette only)
datasette-compare: setup
	$(PY) bench/datasette_compare.py $(if $(SIZE),--size $(SIZE)) $(if $(CACHE),--cache $(CACHE))
