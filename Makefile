# Fairfinder: `make run` serves on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
EXT    := extension

.PHONY: runtime-deps run lint test test-fast test-sqlite test-postgresql install install-dev system-deps serve migrate demo bench bench-sqlite bench-postgresql bench-listening clean extension extension-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Installed once per change of the dependency list (pyproject.toml or the lock file).
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(PIP) install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the server needs to run: Pango, HarfBuzz and a font for WeasyPrint, which renders the work
# certificate as a PDF (everything else works without them; the PDF then answers 503 pdf_unavailable).
RUNTIME_DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# Debian packages the tests need as well (curl runs the README tour; chromium and openssl run the extension's
# browser tests; espeak-ng and vorbis-tools the voice suite; postgresql the second test run, on a throwaway
# cluster the tests start themselves: tests/postgres.py; poppler-utils reads the certificate PDF back).
# Installed only when missing.
DEBIAN_PACKAGES := $(RUNTIME_DEBIAN_PACKAGES) curl chromium firefox-esr openssl espeak-ng vorbis-tools postgresql poppler-utils
# Not fatal: without them (say, no root and no sudo) the server runs and only the PDF is unavailable.
runtime-deps:
	-@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="$(RUNTIME_DEBIAN_PACKAGES)"
system-deps:
	@missing=""; for pkg in $(DEBIAN_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

migrate: install runtime-deps
	$(BIN)/fairfinder --create migrate

demo: migrate
	$(BIN)/fairfinder demo --if-empty

run: demo
	$(BIN)/fairfinder serve

# The extension's Node tools (playwright-core, web-ext, axe-core), installed once per change of its lock file.
$(EXT)/node_modules/.installed: $(EXT)/package.json $(EXT)/package-lock.json
	cd $(EXT) && npm ci --no-audit --no-fund
	touch $@

extension-deps: $(EXT)/node_modules/.installed

# The Python suite runs twice: on SQLite (every test), then on PostgreSQL (the tests that touch the database).
# Each run uses every core (pytest-xdist; PYTEST_JOBS=1 for one process); a module's tests stay on one worker
# (--dist loadscope), so a module's shared server starts once. Every run starts on the same clock, a minute
# before a new year (tests/clock.py).
PYTEST_JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadscope
test: install-dev system-deps extension-deps
	$(MAKE) --no-print-directory lint
	$(PYTEST)
	FAIRFINDER_TEST_DATABASE=postgresql $(PYTEST)
	npm --prefix $(EXT) test

# Lint: ruff, the import contracts (pyproject.toml [tool.importlinter]: layers, a pure domain, no feature imports
# another's routes) and the type checker (mypy over server, scrapers, accessibility and bench).
lint: install-dev
	$(BIN)/ruff check server scrapers accessibility tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# The inner loop: lint, then SQLite only, without the real-browser, crash, cluster and fuzzing tests (marked `slow`).
test-fast: install-dev
	$(MAKE) --no-print-directory lint
	$(PYTEST) -m "not slow"

test-sqlite: install-dev
	$(PYTEST)

test-postgresql: install-dev system-deps
	FAIRFINDER_TEST_DATABASE=postgresql $(PYTEST)

# The extension as a zip for the browser stores: build/fairfinder-<version>.zip
extension: extension-deps
	npm --prefix $(EXT) run build

# Benchmarks (docs/benchmarks.md; bench/README.md): each script rewrites its own section of the doc. The
# generated SQLite data are cached in bench/results/ (gitignored) and reused while the generator, the
# migrations and the rows are unchanged; each PostgreSQL run loads a throwaway cluster (tests/postgres.py).
# Exit status 2 (a target missed) is a result and does not stop the others; 1 (a failed check) does.
# BENCH_ARGS applies to every script, e.g. BENCH_ARGS="--requesters 10000 --reviews 200000" for a quick run.
BENCH_ARGS ?=
BENCH_OK := || [ $$? -eq 2 ]
bench: bench-sqlite bench-postgresql

bench-sqlite: install-dev
	$(BIN)/python bench/annotate.py $(BENCH_ARGS) $(BENCH_OK)
	$(BIN)/python bench/rebuild.py $(BENCH_ARGS) $(BENCH_OK)
	$(BIN)/python bench/ingest.py $(BENCH_ARGS) $(BENCH_OK)

bench-postgresql: install-dev system-deps
	$(BIN)/python bench/annotate.py --database postgresql $(BENCH_ARGS) $(BENCH_OK)
	$(BIN)/python bench/rebuild.py --database postgresql $(BENCH_ARGS) $(BENCH_OK)
	$(BIN)/python bench/ingest.py --database postgresql $(BENCH_ARGS) $(BENCH_OK)

bench-listening: install-dev system-deps
	$(BIN)/python bench/listening.py

clean:
	rm -rf $(VENV) build *.egg-info $(EXT)/node_modules
