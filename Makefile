# Two commands on a fresh machine:  `make run`  and  `make test`  (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := app

.PHONY: install run test lint-imports test-sqlite test-postgres screenshots translations extract-messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	touch $@

awards/static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p awards/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js awards/static/vendor/htmx.min.js

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d awards/translations

install: $(VENV)/.installed awards/static/vendor/htmx.min.js translations

# Links in the demo's report and on letters point at the server make run starts.
run: export AWARDS_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask awards demo --host $(HOST) --port $(PORT)
	# The job worker runs beside the web server and stops when it does.
	$(BIN)/flask awards worker & pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT INT TERM; $(BIN)/flask run --host $(HOST) --port $(PORT)

test: install lint-imports test-sqlite test-postgres

lint-imports:
	$(BIN)/lint-imports --no-cache

# Two workers: this is a 2-core machine. Each PostgreSQL worker gets its own database.
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n 2

test-sqlite:
	$(PYTEST)

test-postgres:
	DATABASE_URL=$(TEST_DATABASE_URL) $(PYTEST)

# The browser tests, saving each page they check (phone, tablet, desktop; English and 中文)
# under screenshots/ for people to look at.
screenshots: install
	rm -rf screenshots
	AWARDS_SHOTS=$(CURDIR)/screenshots $(PYTEST) tests/browser

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o awards/translations/messages.pot .
	$(BIN)/pybabel -q update -N -i awards/translations/messages.pot -d awards/translations

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules awards/static/vendor instance/awards.db instance/job-queue.db*
