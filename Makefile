# Pioneer Learning — set up, run, test. Every target builds what it needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
PG_PORT ?= 5432
PG_CLUSTER ?= main
REDIS_PORT ?= 6379
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:$(PG_PORT)/test
REDIS ?= redis://127.0.0.1:$(REDIS_PORT)/0
DEMO_PASSWORD ?= demo-pass-2026
# 2 (the default on a machine with two cores or more): run the PostgreSQL pass beside the
# SQLite one, its output following when both are done; 1: one after the other
TEST_JOBS ?= $(shell [ "$$(nproc 2>/dev/null || echo 1)" -ge 2 ] && echo 2 || echo 1)
# pytest-xdist workers per pass (each with its own database, Redis prefix and media root; 1: no xdist).
# Two passes side by side with two workers each keep both cores busy while one side waits on
# PostgreSQL, a Celery worker, ffmpeg or Chromium; files stay whole on one worker (--dist loadfile),
# so a module's fixtures and a session's snapshots are built once per worker, not once per test.
# Files are handed out in collection order, the longest first (tests/conftest.py LONG_FILES), not by
# number of tests (--no-loadscope-reorder), so no long file starts last while the other worker idles.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -ge 2 ] && echo 2 || echo 1)
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)
# every pass lists its 20 slowest tests and its wall time; pytest's exit 5 (no test ran) fails the pass.
# Bytecode is written even where the environment says PYTHONDONTWRITEBYTECODE: every pytest worker and every
# server, Celery worker and pytest a test starts would otherwise compile the project and rewrite the test
# modules' asserts again (about 7 CPU seconds for each pytest process).
PYTEST = env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest $(XDIST) --durations=20
TIMED = started=$$(date +%s); status=0; $(1) || status=$$?; \
	echo "=== $(2) took $$(( $$(date +%s) - started )) s (pytest exit $$status)"; \
	if [ $$status = 5 ]; then echo "=== $(2): pytest ran no test" >&2; fi; exit $$status
PACKAGES := learning media courses quizzes scoring reports arena appraisal
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := ffmpeg chromium fonts-noto-cjk poppler-utils
# both answer on 127.0.0.1 (checked without the virtualenv, so CI can start them first)
SERVICES_UP = pg_isready -q -h 127.0.0.1 -p $(PG_PORT) && redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG

.PHONY: run test test-sqlite test-real bench services sysdeps venv translations clean migration

run: export PIONEER_DEV_SECRETS = 1  # the embedded demo runs without production keys (learning/secrets.py)
run: sysdeps venv translations  ## set up and start the demo on http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	PIONEER_DEMO_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/flask seed-demo
	@echo "Demo accounts: demo-admin / demo-reviewer / demo-organiser / demo-member, password $(DEMO_PASSWORD)"
	@echo "Open http://127.0.0.1:5000 (plain HTTP on this machine only: cookies without the Secure flag)"
	COOKIE_SECURE=0 $(BIN)/flask run --host 127.0.0.1 --port 5000

test: sysdeps venv translations  ## set up and run every test, on SQLite then on PostgreSQL + Redis
	@status=0; \
	if [ "$(TEST_JOBS)" = 2 ]; then \
	  log=$$(mktemp); ( $(MAKE) --no-print-directory test-real >$$log 2>&1; echo $$? >$$log.rc ) & real=$$!; \
	  $(MAKE) --no-print-directory test-sqlite || status=1; \
	  wait $$real; cat $$log; [ "$$(cat $$log.rc)" = 0 ] || status=1; rm -f $$log $$log.rc; \
	else \
	  $(MAKE) --no-print-directory test-sqlite || status=1; \
	  $(MAKE) --no-print-directory test-real || status=1; \
	fi; \
	if [ $$status = 0 ]; then echo "=== make test: both passes succeeded"; \
	else echo "=== make test: FAILED (see the summaries above)" >&2; fi; \
	exit $$status

test-sqlite: venv translations
	@echo "=== pass 1: embedded (SQLite, eager tasks, in-process bus) ==="
	@$(call TIMED,env -u DATABASE_URL -u REDIS_URL $(PYTEST) $(PYTEST_ARGS),pass 1 (SQLite))

test-real: venv translations
	@echo "=== pass 2: PostgreSQL + Redis + Celery worker ==="
	@$(MAKE) --no-print-directory services >/dev/null 2>&1 || true
	@if $(SERVICES_UP); then \
	  $(call TIMED,DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(PYTEST) $(PYTEST_ARGS),pass 2 (PostgreSQL + Redis)); \
	elif [ -n "$$REQUIRE_SERVICES" ]; then echo "PostgreSQL ($(PG_URL)) or Redis ($(REDIS)) is not reachable" >&2; exit 1; \
	else echo "skipped: PostgreSQL ($(PG_URL)) or Redis ($(REDIS)) is not reachable; see README.md"; fi

bench: venv translations services  ## benchmarks (PostgreSQL + Redis), each beside its baseline: make bench BENCH_ARGS=me
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(BIN)/python -m bench $(BENCH_ARGS)

services:  ## start the local PostgreSQL cluster and Redis if they are installed but down
	@if ! pg_isready -q -h 127.0.0.1 -p $(PG_PORT) && [ -d /etc/postgresql ]; then \
	  echo "starting PostgreSQL (cluster $(PG_CLUSTER))"; \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | sort -V | tail -1)" $(PG_CLUSTER) start; fi
	@if ! redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1 && command -v redis-server >/dev/null; then \
	  echo "starting Redis"; \
	  $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 --port $(REDIS_PORT) --save "" --appendonly no; fi
	@for i in $$(seq 1 30); do $(SERVICES_UP) && exit 0; sleep 1; done; \
	echo "PostgreSQL (port $(PG_PORT)) or Redis (port $(REDIS_PORT)) is still not reachable on 127.0.0.1" >&2; exit 1

sysdeps:  ## system packages: ffmpeg, Chromium, CJK fonts, pdftotext (and venv support for $(PY))
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PY) -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

translations: venv  ## compile every package's message catalogues
	@for p in $(PACKAGES); do if [ -d $$p/translations ]; then $(BIN)/pybabel -q compile -f -d $$p/translations || exit 1; fi; done

clean:
	rm -rf $(VENV) instance media-store

migration: export PIONEER_DEV_SECRETS = 1
migration: venv  ## regenerate the single pre-release migration from the models
	rm -f migrations/versions/*.py
	rm -rf /tmp/pioneer-migration && mkdir -p /tmp/pioneer-migration
	env -u DATABASE_URL INSTANCE_DIR=/tmp/pioneer-migration $(BIN)/flask db revision --autogenerate --rev-id 0001 -m "schema" >/dev/null
	@ls migrations/versions/
