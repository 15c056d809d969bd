# Two commands do everything on a fresh machine: `make run` and `make test`.
# Needs Python 3.12+ (Django 6.1); .python-version makes pyenv pick 3.12.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test check lint typecheck format check-python demo messages messages-compile bench-import bench-lookup bench-deletion bench-removals bench-pictures bench-scale clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "optout needs Python 3.12 or newer (Django 6.1); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install Python 3.12+, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; \
	  exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the pinned requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# Local run: DEBUG on, SQLite and the folder broker under var/, email to the console,
# and the local Flickr simulator (Procfile.dev = Procfile + the simulator).
run: export DEBUG ?= true
run: export PORT := $(PORT)
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: export PATH := $(abspath $(BIN)):$(PATH)
run: $(VENV)/.runtime messages-compile
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  optout is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	$(BIN)/honcho start -f Procfile.dev

# The whole suite, browser and real-worker tests included: what CI runs.
test: lint browser messages-compile
	$(BIN)/python -m pytest

# The quick loop: lint, imports, types, and every test that is neither e2e nor slow,
# in two processes. On SQLite and the folder broker, which each process keeps to
# itself under its own VAR_DIR (on one Redis, two processes would take each other's
# task messages); `make test` runs everything on the configured services.
check: lint messages-compile
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -m "not e2e and not slow" -n 2

# The translations (docs/i18n.md). The compiled catalogues (.mo) are built here, never
# committed; tests/test_i18n.py fails on any untranslated or fuzzy entry.
messages-compile:
	@bash .ci/gettext
	@for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

# Extract every string (Python, the emails' and admin's Django templates, the Jinja2
# pages) and merge it into locale/<lang>/LC_MESSAGES/django.po; then translate the new ones.
messages: $(VENV)/.dev
	@bash .ci/gettext
	bash devtools/messages.sh

# A Chromium for the browser tests (tests/e2e), found or installed: see .ci/chromium.
browser: tests/e2e/node_modules/axe-core/axe.min.js
	@bash .ci/chromium

# axe-core for the browser tests' accessibility checks, pinned by tests/e2e/package-lock.json.
tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --silent --no-audit --no-fund

# ruff (PLC0415: no imports inside functions), import-linter (the layers, no cycles), mypy.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-import: $(VENV)/.dev
	$(BIN)/python bench/import_bench.py

# Redis for the rate-limit counters, as in production (without it, the local file
# cache's own cost hides the look-up's; docs/performance.md).
bench-lookup: export REDIS_URL ?= redis://127.0.0.1:6379/3
bench-lookup: $(VENV)/.dev
	$(BIN)/python bench/lookup_bench.py

# One 10,000-photo request against os.remove + one UPDATE; 1,000 small requests on
# two workers. Uses Redis at REDIS_URL when set, else the folder broker.
bench-deletion: $(VENV)/.dev
	$(BIN)/python bench/deletion_bench.py

bench-removals: $(VENV)/.dev
	$(BIN)/python bench/removals_bench.py

# 0.1M, 1M and 10M photos side by side: import, look-up, a 10,000-link check, a removal
# list. About 25 GB of disk and half an hour at 10M; Redis as for bench-lookup.
bench-scale: export REDIS_URL ?= redis://127.0.0.1:6379/3
bench-scale: $(VENV)/.dev
	$(BIN)/python bench/scale_bench.py

# The look-up by picture: recall of six edits among 5,000 unrelated pictures, then
# decode + hash + match over 1,000,000 hashes on PostgreSQL (docs/pictures.md).
# Redis for the report form's references, as in production.
bench-pictures: export REDIS_URL ?= redis://127.0.0.1:6379/3
bench-pictures: $(VENV)/.dev
	$(BIN)/python bench/picture_bench.py

# The Procfile's processes on PostgreSQL and a private Redis, with workers, Redis,
# the email provider and gunicorn failing on the way: every email exactly once.
soak: $(VENV)/.dev
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) var
