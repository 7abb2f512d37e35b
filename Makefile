# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install Warmline, migrate a SQLite file and serve on 127.0.0.1:8000
#   make test   install what the tests need (Python packages and Debian's chromium) and run them
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test install install-test browser lint bench clean

run: install
	$(BIN)/warmline serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Warmline needs Python 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

# Browser tests drive Debian's Chromium through Playwright; no browser is ever downloaded.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "!!! could not install chromium: browser tests will be skipped"; }

test: install-test browser
	$(BIN)/ruff check warmline tests
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check warmline tests
	$(BIN)/ruff format --check warmline tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache warmline.db warmline.db-wal warmline.db-shm
