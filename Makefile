# Two commands for a fresh clone: `make run` and `make test`. Nothing else to install by hand.

VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate clean chromium pango libmagic libreoffice ldap slapd bench

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

# Directory login (django-auth-ldap) uses python-ldap, which PyPI has as source only: it is compiled against
# libldap and libsasl2, whose headers come from apt (with Python's own, for Debian's Python).
LDAP_PACKAGES := libldap2-dev libsasl2-dev gcc python3-dev
PYTHON_HEADER = $(shell $(SYSTEM_PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h
ldap:
	@test -e /usr/include/ldap.h -a -e /usr/include/sasl/sasl.h -a -e $(PYTHON_HEADER) \
	  && command -v gcc >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing the OpenLDAP and SASL headers to build python-ldap"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(LDAP_PACKAGES) >/dev/null; \
	  else \
	    echo "python-ldap is built against OpenLDAP: run 'sudo apt-get install $(LDAP_PACKAGES)'."; \
	    exit 1; \
	  fi; }

# The directory-login tests run OpenLDAP's own server (Debian's slapd) on a loopback port, with a throwaway
# configuration of their own; the package's default service is not used.
slapd:
	@test -x /usr/sbin/slapd || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing OpenLDAP's slapd for the directory-login tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      slapd >/dev/null; \
	  else \
	    echo "The directory-login tests need OpenLDAP's server: run 'sudo apt-get install slapd'."; \
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

test: $(VENV)/.dev node_modules/.installed chromium pango libmagic libreoffice slapd
	$(VENV)/bin/pytest

# Speed and memory against the framework's floor (bench/): SQLite, or PostgreSQL with DATABASE_URL.
bench: $(VENV)/.dev node_modules/.installed libmagic slapd
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
