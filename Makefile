# Two commands for a fresh clone: `make run` and `make test`. Nothing else to install by hand.

VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrate clean

# The virtual environment is rebuilt when a requirements file changes.
$(VENV)/.runtime: requirements.txt
	test -x $(PYTHON) || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# A local development configuration, written once; edit it or replace it with real environment variables.
.env:
	@echo "Writing .env for local development (DEBUG on, a random SECRET_KEY)."
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(SYSTEM_PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@

migrate: $(VENV)/.runtime .env
	$(PYTHON) manage.py migrate --noinput

run: migrate
	$(PYTHON) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ — the admin panel is at http://$(HOST):$(PORT)/admin/"
	$(PYTHON) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev
	$(VENV)/bin/pytest

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles
