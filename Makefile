# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install Warmline, migrate a SQLite file and serve on 127.0.0.1:8000
#   make test   install what the tests need (Python packages and Debian's chromium) and run them
#   make eval   the quality gate: the evaluations against the floors in eval/floors.json
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test eval install install-test browser lwc lint bench clean

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

# The Salesforce Lightning Web Component is tested with Salesforce's LWC jest tooling from npm
# (jsdom: no browser is downloaded). Installed once per lock file; without npm those tests skip.
LWC := warmline/integrations/salesforce/sfdx
lwc: $(LWC)/node_modules/.installed

$(LWC)/node_modules/.installed: $(LWC)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(LWC) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "!!! npm is not installed: the LWC jest tests will be skipped"; fi

test: install-test browser lwc
	$(BIN)/ruff check warmline tests
	$(BIN)/ruff format --check warmline tests
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

# The quality gate: every evaluation of eval/floors.json on the shared measurement sets; fails when
# a figure drops past its floor, skips (saying so) when ../shared/data is absent.
SHARED ?= ../shared/data
eval: install
	$(BIN)/warmline eval gate --floors eval/floors.json --shared $(SHARED)

lint: install-test
	$(BIN)/ruff check warmline tests
	$(BIN)/ruff format --check warmline tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache warmline.db warmline.db-wal warmline.db-shm $(LWC)/node_modules
