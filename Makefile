# Alliance Procurement: `make run` serves the app, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

PORT ?= 8000
DEMO_PASSWORD ?= Alliance-demo-2026
# Tests run against the machine's PostgreSQL and Redis; pytest-django creates
# its own database (test_alliance_procurement) and drops it afterwards.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/alliance_procurement
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: help install run serve test lint system-packages services migrate backup restore soak bench bench-smoke

help:
	@echo "make run    install, migrate, load demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install what is needed, start services, run lint and every test"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(shell command -v $(PYTHON))
	touch $@

install: $(VENV)/.synced

migrate: install
	$(PY) manage.py migrate --noinput

# Embedded defaults (SQLite, tasks in process) unless DATABASE_URL and
# CELERY_BROKER_URL are set; then web, worker and beat run together (Procfile).
run: migrate
	$(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$CELERY_BROKER_URL" ]; then \
		$(PY) manage.py collectstatic --noinput -v 0; \
		PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile; \
	else \
		$(PY) manage.py runserver 127.0.0.1:$(PORT); \
	fi

system-packages:
	@bash scripts/ensure-system-packages.sh

services:
	@bash scripts/ensure-services.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	# B608 (SQL built from strings) is ruff's S608 too; each case there carries a
	# reason in its noqa. Bandit cannot read a marker inside a multi-line f-string.
	$(VENV)/bin/bandit --quiet --recursive --severity-level low --skip B608 \
		--exclude ./tests,./.venv,./.tools,./node_modules \
		alliance_procurement trusts catalogue suppliers orders reports
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		DJANGO_ALLOWED_HOSTS=procurement.example.nhs.uk \
		$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

# axe-core, for the browser accessibility tests (pinned in package-lock.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# pytest exits 5 when it collected no test: that is a broken suite, not a pass.
test: install system-packages services node_modules/.installed lint
	@DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		$(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc
	@$(MAKE) --no-print-directory bench-smoke

# Backups of the PostgreSQL database named by DATABASE_URL and of MEDIA_ROOT,
# into backups/<UTC timestamp>/; restore one with BACKUP=backups/<timestamp>
# (add FORCE=1 to replace a database that already holds tables).
backup: install
	@bash scripts/backup.sh

restore: install
	@if [ -z "$(BACKUP)" ]; then echo "usage: make restore BACKUP=backups/<timestamp>"; exit 2; fi
	@bash scripts/restore.sh "$(BACKUP)"

# Run the integration and security suites SOAK_ROUNDS times in a row, stopping
# at the first failure: flushes out races and leaks that show up only sometimes.
# The fault tests provoke each fault FAULT_REPEAT times per round (full count):
# one round takes about half an hour on two cores.
SOAK_ROUNDS ?= 1
FAULT_REPEAT ?= 20
soak: install services
	@for round in $$(seq 1 $(SOAK_ROUNDS)); do \
		echo "soak round $$round of $(SOAK_ROUNDS)"; \
		DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
			FAULT_REPEAT=$(FAULT_REPEAT) $(VENV)/bin/pytest tests/integration tests/security -q -p no:cacheprovider -x \
			|| exit 1; \
	done

# Benchmarks (bench/README.md): ratios against a raw floor on the same data.
# Each run creates and drops its own databases on the PostgreSQL server of
# BENCH_DATABASE_URL. `make bench` is the full size (under 30 minutes on two
# cores); `make bench-smoke` checks in about two minutes that every benchmark
# runs, failing only on figures that do not depend on the machine.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_BROKER_URL ?= $(TEST_BROKER_URL)
bench: install services
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) \
		$(PY) -m bench.run --size default

bench-smoke: install services
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) \
		$(PY) -m bench.run --size smoke
