# Certdesk. `make run` serves the app with demo data; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The services suite: PostgreSQL and a Redis broker on loopback (override to point elsewhere).
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/certdesk
SERVICES_BROKER_URL ?= redis://127.0.0.1:6379/0
# The port `make run` serves on.
PORT ?= 8000

.PHONY: install run test lint test-services test-e2e fuzz bench worker beat messages clean

install: $(VENV)/.installed

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

messages: install
	$(MANAGE) compilemessages --ignore=.venv -v 0

# `make run PORT=8101` serves on another port; the links in e-mails and QR codes follow it (settings
# read PORT) unless SITE_URL is set.
run: export PORT := $(PORT)
run: install messages
	$(MANAGE) migrate --noinput
	# The embedded cache's table (in var/cache.sqlite3); a Redis cache (CACHE_URL) needs none.
	case "$$CACHE_URL" in redis*|unix*) ;; *) mkdir -p var && $(MANAGE) createcachetable --database cache ;; esac
	$(MANAGE) load_standards
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(MANAGE) makemigrations --check --dry-run

# Includes the browser suite when Chromium is installed (skipped with the reason otherwise).
test: lint messages
	$(PY) -m pytest

# The journeys in the system's Chromium against a live server on 127.0.0.1, with screenshots in
# build/screenshots/ and axe-core (from npm, into build/e2e) on every key page. Fails without Chromium.
test-e2e: install messages
	CERTDESK_E2E=required $(PY) -m pytest tests/e2e -p no:randomly

# The same suite on PostgreSQL with a Redis broker, plus the tests that need a real Celery worker.
test-services: install messages
	DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_BROKER_URL) $(PY) -m pytest -m "not e2e and not fuzz"

# Every API operation fuzzed from the OpenAPI schema, every page through its query string and its
# forms, as each kind of user, and the uploads with random files (tests/fuzz). SQLite, a few
# minutes; FUZZ_EXAMPLES=100 for a longer hunt.
fuzz: install
	$(PY) -m pytest -m fuzz tests/fuzz -p no:randomly

# Speed beside the framework's floor (bench/run.py): the full dataset, gunicorn, the table, and the run
# written to bench/RESULTS.md. QUICK=1: a small dataset and short runs that prove the harness (CI).
bench: install messages
	$(PY) -m bench.run $(if $(QUICK),--quick,--write)

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) var certdesk.sqlite3 .pytest_cache .ruff_cache .mypy_cache
