# Fairfinder: `make run` serves on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
EXT    := extension

.PHONY: run test install install-dev system-deps serve migrate demo bench bench-listening clean extension extension-deps

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

# Debian packages the tests need (curl runs the README tour; chromium and openssl run the extension's
# browser tests; the voice and PostgreSQL suites add theirs here). Installed only when missing.
DEBIAN_PACKAGES := curl chromium openssl espeak-ng vorbis-tools
system-deps:
	@missing=""; for pkg in $(DEBIAN_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

migrate: install
	$(BIN)/fairfinder migrate

demo: migrate
	$(BIN)/fairfinder demo --if-empty

run: demo
	$(BIN)/fairfinder serve

# The extension's Node tools (playwright-core, web-ext, axe-core), installed once per change of its lock file.
$(EXT)/node_modules/.installed: $(EXT)/package.json $(EXT)/package-lock.json
	cd $(EXT) && npm ci --no-audit --no-fund
	touch $@

extension-deps: $(EXT)/node_modules/.installed

test: install-dev system-deps extension-deps
	$(BIN)/ruff check server scrapers accessibility tests bench
	$(BIN)/python -m pytest
	npm --prefix $(EXT) test

# The extension as a zip for the browser stores: build/fairfinder-<version>.zip
extension: extension-deps
	npm --prefix $(EXT) run build

bench: install-dev
	$(BIN)/python bench/annotate.py

bench-listening: install-dev system-deps
	$(BIN)/python bench/listening.py

clean:
	rm -rf $(VENV) build *.egg-info $(EXT)/node_modules
