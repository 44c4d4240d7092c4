# Pioneer Learning — set up, run, test. Every target builds what it needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
REDIS ?= redis://127.0.0.1:6379/0
DEMO_PASSWORD ?= demo-pass-2026
PACKAGES := learning media courses quizzes scoring reports arena appraisal
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := ffmpeg chromium fonts-noto-cjk poppler-utils

.PHONY: run test test-sqlite test-real bench sysdeps venv translations clean

run: sysdeps venv translations  ## set up and start the demo on http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --password $(DEMO_PASSWORD)
	@echo "Demo accounts: demo-admin / demo-reviewer / demo-organiser / demo-member, password $(DEMO_PASSWORD)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: sysdeps venv translations  ## set up and run every test, on SQLite then on PostgreSQL + Redis
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-real

test-sqlite:
	@echo "=== pass 1: embedded (SQLite, eager tasks, in-process bus) ==="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest $(PYTEST_ARGS)

test-real:
	@echo "=== pass 2: PostgreSQL + Redis + Celery worker ==="
	@if pg_isready -q -h 127.0.0.1 -p 5432 && [ "$$($(BIN)/python -c 'import redis;print(redis.Redis.from_url("$(REDIS)").ping())' 2>/dev/null)" = True ]; then \
	  DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ -n "$$REQUIRE_SERVICES" ]; then echo "PostgreSQL or Redis is not reachable" >&2; exit 1; \
	else echo "skipped: PostgreSQL on 127.0.0.1:5432 or Redis on 127.0.0.1:6379 is not reachable"; fi

bench: sysdeps venv translations  ## benchmarks (PostgreSQL + Redis), each beside its baseline
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(BIN)/python -m bench $(BENCH_ARGS)

sysdeps:  ## system packages: ffmpeg, Chromium, CJK fonts, pdftotext
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

translations: venv  ## compile every package's message catalogues
	@for p in $(PACKAGES); do [ -d $$p/translations ] && $(BIN)/pybabel compile -q -f -d $$p/translations || true; done

clean:
	rm -rf $(VENV) instance media-store

migration: venv  ## regenerate the single pre-release migration from the models
	rm -f migrations/versions/*.py
	rm -rf /tmp/pioneer-migration && mkdir -p /tmp/pioneer-migration
	env -u DATABASE_URL INSTANCE_DIR=/tmp/pioneer-migration $(BIN)/flask db revision --autogenerate --rev-id 0001 -m "schema" >/dev/null
	@ls migrations/versions/
