# The two entry points of the README: `make demo` and `make test`.
# Both create the virtualenv and install requirements.txt when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
USERS ?= 10000

.PHONY: demo test install lint migration-lint deploy-check erd erd-check bench clean-db

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Build a legacy database of $(USERS) users on the embedded PostgreSQL, migrate (rename) it, verify it.
demo: $(STAMP)
	$(BIN)/python manage.py demo --users $(USERS)

## The test suite, on the embedded PostgreSQL 18, or on DATABASE_URL's server when set.
test: $(STAMP)
	$(BIN)/python -m pytest

## Stop using the embedded database and throw its data away.
clean-db:
	rm -rf .pgdata
