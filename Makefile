# Two commands for a fresh clone: `make run` and `make test`. Nothing else to install by hand.

VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate clean chromium pango libmagic libreoffice bench

# The virtual environment is rebuilt when a requirements file changes.
$(VENV)/.runtime: requirements.txt
	test -x $(PYTHON) || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Bootstrap, from npm, served by the app itself (STATICFILES_DIRS): nothing comes from a CDN. The test tools
# axe-core and vnu-jar come with it (devDependencies). No install scripts: vnu-jar's would fetch a Java runtime
# from outside the registry when none is installed; the HTML check uses the system's Java.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	touch $@

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium' and try again."; \
	    exit 1; \
	  fi; }

# The PDF brief is laid out by WeasyPrint, which needs Pango (Debian's libpango-1.0-0, libpangoft2-1.0-0) and
# fonts: DejaVu for Latin and Cyrillic, Noto for the Indian scripts (Hindi names must print). They come from apt,
# never from the internet at run time.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core
pango:
	@ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && fc-list :lang=hi | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Pango and fonts for the PDF brief"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(PDF_PACKAGES) >/dev/null; \
	  else \
	    echo "The PDF brief needs Pango and fonts: run 'sudo apt-get install $(PDF_PACKAGES)'."; \
	    exit 1; \
	  fi; }

# Attachments are recognised by their content with libmagic (Debian's libmagic1), not by their names.
libmagic:
	@ldconfig -p | grep -q 'libmagic.so.1' || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing libmagic to recognise attachments"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      libmagic1 >/dev/null; \
	  else \
	    echo "Attachments are recognised with libmagic: run 'sudo apt-get install libmagic1'."; \
	    exit 1; \
	  fi; }

# The tests open the Word and Excel files in LibreOffice, a reader other than the library that writes them.
OFFICE_PROGRAM := /usr/lib/libreoffice/program
libreoffice:
	@test -e $(OFFICE_PROGRAM)/libswdlo.so -a -e $(OFFICE_PROGRAM)/libscdlo.so || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing LibreOffice (writer, calc) for the document tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null; \
	  else \
	    echo "The document tests need LibreOffice: run 'sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui'."; \
	    exit 1; \
	  fi; }

# A local development configuration, written once; edit it or replace it with real environment variables.
.env:
	@echo "Writing .env for local development (DEBUG on, a random SECRET_KEY)."
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(SYSTEM_PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@

migrate: $(VENV)/.runtime node_modules/.installed .env pango libmagic
	$(PYTHON) manage.py migrate --noinput

# Links in e-mails, calendars and exports point at the address served, unless SITE_URL is set in the environment.
SITE_URL ?= http://$(HOST):$(PORT)

# The web server, a Celery worker and beat (Procfile), with the demo data; reminders print on the console.
run: migrate
	$(PYTHON) manage.py seed_demo
	SITE_URL=$(SITE_URL) $(PYTHON) manage.py send_reminders
	@echo "Serving on http://$(HOST):$(PORT)/ — the admin panel is at http://$(HOST):$(PORT)/admin/"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" HOST=$(HOST) PORT=$(PORT) SITE_URL=$(SITE_URL) $(VENV)/bin/honcho start

test: $(VENV)/.dev node_modules/.installed chromium pango libmagic libreoffice
	$(VENV)/bin/pytest

# Speed and memory against the framework's floor (bench/): SQLite, or PostgreSQL with DATABASE_URL.
bench: $(VENV)/.dev node_modules/.installed libmagic
	$(PYTHON) -m bench

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --recursive config meetings commitments --severity-level medium
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles node_modules test-artifacts
