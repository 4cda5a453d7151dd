# The two entry points of the README: `make demo` and `make test`.
# Both create the virtualenv and install requirements.txt when needed.
# `make quality` runs the quality gates of CI (docs/quality.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
USERS ?= 10000

# Coverage of the project's apps, manage.py subprocesses included ([tool.coverage] in pyproject.toml).
COVERAGE := --cov=accounts --cov=energy --cov-report=term-missing:skip-covered
# The ER diagram: the models of both apps, grouped by app, foreign keys coloured by their ON DELETE rule.
# graph_models writes the date of the run into the file; dropping that line keeps the file deterministic.
ERD_MODELS := $(BIN)/python manage.py graph_models accounts energy --dot --group-models --color-code-deletions
ERD_STRIP := sed -e '/^  \/\/ Created: /d'

.PHONY: demo test install browser old-backend quality lint migration-lint makemigrations-check deploy-check erd erd-check bench screenshots clean-db

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Debian's chromium and chromium-driver, which the browser test drives; installed when missing.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
		echo "== installing Debian's chromium and chromium-driver for the browser test"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "make test needs Debian's chromium and chromium-driver for its browser test, and cannot install them" \
			"without root: run 'sudo apt-get install chromium chromium-driver', then make test again."; \
		exit 1; \
	fi

## The old backend's TypeORM client (tests/old_backend): npm ci when node_modules is missing or the lock changed.
OLD_BACKEND := tests/old_backend
$(OLD_BACKEND)/node_modules/.npm-ci: $(OLD_BACKEND)/package-lock.json $(OLD_BACKEND)/package.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20 and npm for tests/old_backend:" \
		"install them (Debian: apt-get install nodejs npm; or https://nodejs.org/en/download), then make test again."; \
		exit 1; }
	cd $(OLD_BACKEND) && npm ci --no-audit --no-fund
	touch $@

old-backend: $(OLD_BACKEND)/node_modules/.npm-ci

## Build a legacy database of $(USERS) users on the embedded PostgreSQL, migrate (rename) it, verify it.
demo: $(STAMP)
	$(BIN)/python manage.py demo --users $(USERS)

## The test suite, on the embedded PostgreSQL 18, or on DATABASE_URL's server when set, in two
## worker processes (pytest-xdist; each builds its own template databases). TEST_WORKERS=0 runs it
## in one process.
TEST_WORKERS ?= 2
test: $(STAMP) browser old-backend
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(COVERAGE)

## Every quality gate of CI; each one is also a target of its own.
quality: lint migration-lint makemigrations-check deploy-check erd-check

## ruff: lint rules and formatting (pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## squawk on the SQL (manage.py sqlmigrate) of every migration of accounts and energy.
migration-lint: $(STAMP)
	$(BIN)/python manage.py lint_migrations

## The models and the migrations agree: no migration is missing.
makemigrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

## Django's deployment checks, with production settings; warnings fail too. (No connection is made:
## the URL only satisfies the production rule that DATABASE_URL must be set.)
deploy-check: $(STAMP)
	DEBUG=0 ALLOWED_HOSTS=enerlink.example.com DATABASE_URL=postgresql://enerlink@db.invalid/enerlink \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## docs/erd.dot and docs/erd.png, the ER diagram of accounts and energy.
erd: $(STAMP)
	$(ERD_MODELS) > docs/erd.dot.tmp
	$(ERD_STRIP) docs/erd.dot.tmp > docs/erd.dot
	rm docs/erd.dot.tmp
	dot -Tpng docs/erd.dot -o docs/erd.png

## Fail when docs/erd.dot no longer matches the models.
erd-check: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(ERD_MODELS) > "$$tmp/raw.dot" && $(ERD_STRIP) "$$tmp/raw.dot" > "$$tmp/erd.dot" && \
	if diff -u docs/erd.dot "$$tmp/erd.dot" > "$$tmp/diff"; then echo "docs/erd.dot is up to date"; \
	else head -n 40 "$$tmp/diff"; echo "docs/erd.dot is stale: run make erd"; exit 1; fi

## docs/screenshots/: the admin pages the README shows, taken by the browser test in headless Chromium.
screenshots: $(STAMP)
	ENERLINK_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py -q

## The rename and the report against the guide's method, 10^4 to 10^6 users (docs/benchmarks.md; ~30 min).
## BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--sizes 10000 --repeat 1".
bench: $(STAMP)
	$(BIN)/python -m benchmarks.rename $(BENCH_ARGS)

## Stop using the embedded database and throw its data away.
clean-db:
	rm -rf .pgdata
