# The two commands of the quick start are `make demo` and `make test`; the rest serve them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := $(CURDIR)/instance/demo.sqlite3
DEMO_ENV := HUB_DATABASE_URL=sqlite:///$(DEMO_DB) HUB_ENV=demo HUB_PUBLIC_STATISTICS=true
# GOV.UK Frontend, installed from npm and built into an ignored folder (docs/web.md).
ASSETS := hub/web/static/govuk

.PHONY: demo test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "make: Python 3.11 or newer is required (found $(PYTHON))" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "make: could not create $(VENV); on Debian run: apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

# npm ci installs exactly the lock file; the stamp rebuilds when it or the Sass source changes.
$(ASSETS)/.built: package.json package-lock.json hub/web/scss/govuk.scss
	@command -v npm >/dev/null || \
		{ echo "make: npm is required to build GOV.UK Frontend; on Debian run: apt-get install npm" >&2; exit 1; }
	npm ci --ignore-scripts --omit=optional --no-audit --no-fund
	npm run --silent build:assets
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

demo: $(VENV)/.installed $(ASSETS)/.built
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(DEMO_ENV) $(BIN)/hub audit keygen --if-missing
	$(DEMO_ENV) $(BIN)/hub db upgrade
	$(DEMO_ENV) $(BIN)/hub keys init --if-missing
	$(DEMO_ENV) $(BIN)/hub demo load --count $${HUB_DEMO_COUNT:-500}
	@echo "MAPPA Hub (synthetic demo data): sign in at http://127.0.0.1:8000/sign-in with an account above - Ctrl-C stops it"
	$(DEMO_ENV) HUB_BIND=127.0.0.1:8000 $(BIN)/hub serve

test: $(VENV)/.installed-dev $(ASSETS)/.built
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict hub connectors
	$(BIN)/hadolint docker/Dockerfile

bench: $(VENV)/.installed-dev
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) instance node_modules $(ASSETS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
