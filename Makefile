# Two commands for a fresh clone: `make run` and `make test`. Nothing else to install by hand.

VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate clean chromium pango libmagic libreoffice ldap slapd bench bench-scale

# The virtual environment is rebuilt when a requirements file changes. python-ldap (directory login) is built
# against Debian's OpenLDAP and SASL libraries: `ldap` installs their headers first.
$(VENV)/.runtime: requirements.txt | ldap
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

# System packages come from apt, never from the internet at run time. Each target below checks for what it needs
# and, when it is missing, installs it as root, or says what to install. $(call apt,<packages>,<what they are for>).
define apt
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing $(1) $(2)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(1) >/dev/null; \
	  else \
	    echo "Needed $(2): run 'sudo apt-get install $(1)' and try again."; \
	    exit 1; \
	  fi
endef

# The PDF brief is laid out by WeasyPrint, which needs Pango (Debian's libpango-1.0-0, libpangoft2-1.0-0) and
# fonts: DejaVu for Latin and Cyrillic, Noto for the Indian scripts (Hindi names must print).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core
pango:
	@ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && fc-list :lang=hi | grep -q . || { \
	$(call apt,$(PDF_PACKAGES),for the PDF brief); }

# Attachments are recognised by their content with libmagic (Debian's libmagic1), not by their names.
libmagic:
	@ldconfig -p | grep -q 'libmagic.so.1' || { \
	$(call apt,libmagic1,to recognise attachments); }

# Directory login (django-auth-ldap) uses python-ldap, which PyPI has as source only: it is compiled against
# libldap and libsasl2, whose headers come from apt (with Python's own, for Debian's Python).
LDAP_PACKAGES := libldap2-dev libsasl2-dev gcc python3-dev
PYTHON_HEADER = $(shell $(SYSTEM_PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h
ldap:
	@test -e /usr/include/ldap.h -a -e /usr/include/sasl/sasl.h -a -e $(PYTHON_HEADER) \
	  && command -v gcc >/dev/null 2>&1 || { \
	$(call apt,$(LDAP_PACKAGES),to build python-ldap); }

# The directory-login tests run OpenLDAP's own server (Debian's slapd) on a loopback port, with a throwaway
# configuration of their own; the package's default service is not used.
slapd:
	@test -x /usr/sbin/slapd || { \
	$(call apt,slapd,for the directory-login tests); }

# The tests open the Word and Excel files in LibreOffice, a reader other than the library that writes them.
OFFICE_PROGRAM := /usr/lib/libreoffice/program
libreoffice:
	@test -e $(OFFICE_PROGRAM)/libswdlo.so -a -e $(OFFICE_PROGRAM)/libscdlo.so || { \
	$(call apt,libreoffice-writer-nogui libreoffice-calc-nogui,for the document tests); }

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

# The suite runs in a process per core (pytest-xdist), each with its own test database, attachments folder and
# task queue (the live tests' Celery workers take their own process's tasks only).
TEST_PROCESSES ?= auto
test: $(VENV)/.dev node_modules/.installed chromium pango libmagic libreoffice slapd
	$(VENV)/bin/pytest --numprocesses $(TEST_PROCESSES)

# Speed and memory against the framework's floor (bench/): SQLite, or PostgreSQL with DATABASE_URL.
bench: $(VENV)/.dev node_modules/.installed libmagic slapd
	$(PYTHON) -m bench

# The same pages and the reminder sweep over 1,000,000 commitments of 50,000 owners (minutes; not in CI).
bench-scale: $(VENV)/.dev node_modules/.installed libmagic
	BENCH_SCALE=10 $(PYTHON) -m bench scale

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
