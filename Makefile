# Medlemsröst: everyday commands. `make help` lists them; DEVELOPERS.md explains them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
CHROMIUM_BIN := /usr/bin/chromium
# uv from PATH, else the one `make install` puts in Python's site-packages.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen

.PHONY: help install demo test lint format worker bench migrations-check messages chromium \
	backup restore

help:
	@echo "make install           uv (if missing) and the locked dependencies (.venv)"
	@echo "make demo              migrate, seed the demo, run it on http://$(HOST):$(PORT)/ (HOST, PORT)"
	@echo "make test              pytest on the services that answer (PYTEST_ARGS='-k x', REQUIRE_SERVICES=1, NO_SERVICES=1)"
	@echo "make lint / format     ruff check + ruff format --check + mypy / ruff format + fixes"
	@echo "make worker            a Celery worker (needs REDIS_URL)"
	@echo "make bench             run each bench/*.py"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make messages          makemessages (sv) and compilemessages"
	@echo "make chromium          install Debian's Chromium for browser tests (as root)"
	@echo "make backup            pg_dump -Fc of DATABASE_URL to BACKUP (default backups/medlemsrost-<time>.dump)"
	@echo "make restore           pg_restore --clean of BACKUP (default: the newest in backups/) into DATABASE_URL"

install:
	@if ! $(UV) --version >/dev/null 2>&1; then
	  echo "uv not found: installing it from PyPI"
	  python3 -m pip install --quiet uv \
	    || python3 -m pip install --quiet --user uv \
	    || python3 -m pip install --quiet --user --break-system-packages uv
	fi
	$(UV) sync --frozen

demo: install
	@export SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"  # links printed by seed_demo
	# The printed logins work with the password alone: no role must set up two-factor
	# (STAFF_2FA_REQUIRED_ROLES=Admin make demo to try the requirement; README, "Logins").
	export STAFF_2FA_REQUIRED_ROLES="$${STAFF_2FA_REQUIRED_ROLES-}"
	$(RUN) python scripts/services_env.py --ensure-database
	echo "+ manage.py migrate"
	$(RUN) python manage.py migrate --noinput
	echo "+ manage.py seed_demo"
	$(RUN) python manage.py seed_demo
	worker=""
	stop_worker() {
	  if [ -n "$$worker" ]; then kill -TERM "$$worker" 2>/dev/null || true; wait "$$worker" 2>/dev/null || true; fi
	}
	trap stop_worker EXIT
	trap 'exit 130' INT TERM
	if [ -n "$${REDIS_URL:-}" ]; then
	  $(RUN) celery -A config worker -l warning &
	  worker=$$!
	  echo "Celery worker started (pid $$worker); it stops with the server."
	else
	  echo "REDIS_URL is not set: tasks run in-process, no worker needed."
	fi
	$(RUN) python manage.py runserver $(HOST):$(PORT)

test: install
	@case "$${REQUIRE_SERVICES:-}" in 1|true|yes|on) required=1 ;; *) required= ;; esac
	if [ -n "$$required" ] && [ -z "$${CHROMIUM_PATH+set}" ] && [ ! -x $(CHROMIUM_BIN) ]; then
	  $(MAKE) chromium
	fi
	exports="$$($(RUN) python scripts/services_env.py)"
	eval "$$exports"
	echo "+ pytest $(PYTEST_ARGS)"
	status=0
	$(RUN) pytest $(PYTEST_ARGS) || status=$$?
	if [ -n "$$required" ]; then mode="REQUIRE_SERVICES=1: a missing service fails"
	else mode="tests of missing services skipped (see the 'services' section above)"; fi
	echo "make test: $$MEDLEMSROST_SERVICES; $$mode; pytest exit $$status"
	exit $$status

chromium:
	@if [ -x $(CHROMIUM_BIN) ]; then echo "Chromium: $(CHROMIUM_BIN)"; exit 0; fi
	if [ "$$(id -u)" -eq 0 ]; then
	  echo "Chromium missing: installing Debian's chromium"
	  apt-get update -q
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
	else
	  echo "Chromium missing ($(CHROMIUM_BIN)); browser tests will not run." \
	    "Install it as root: apt-get update && apt-get install -y chromium"
	fi

lint: install
	@status=0
	echo "+ ruff check ."
	$(RUN) ruff check . || status=1
	echo "+ ruff format --check ."
	$(RUN) ruff format --check . || status=1
	echo "+ mypy config staff respondents polls results"
	$(RUN) mypy config staff respondents polls results || status=1
	exit $$status

format: install
	$(RUN) ruff check --fix --exit-zero .
	$(RUN) ruff format .

worker: install
	@if [ -z "$${REDIS_URL:-}" ]; then
	  echo "REDIS_URL is not set: tasks run in-process and need no worker." \
	    "For a worker: REDIS_URL=redis://127.0.0.1:6379/0 make worker" >&2
	  exit 1
	fi
	$(RUN) celery -A config worker -l info

bench: install
	@shopt -s nullglob
	files=(bench/[!_]*.py)
	if [ $${#files[@]} -eq 0 ]; then echo "No bench/*.py yet."; exit 0; fi
	for file in "$${files[@]}"; do
	  echo "== $$file"
	  PYTHONPATH=. $(RUN) python "$$file"
	done

migrations-check: install
	$(RUN) python manage.py makemigrations --check --dry-run

# --no-location: file:line references would change in every branch that moves code and make
# the catalogues conflict on each merge; msgids are found with grep. The msgids are English, so
# English needs no catalogue.
messages: install
	@if ! command -v msgfmt >/dev/null; then
	  if [ "$$(id -u)" -eq 0 ]; then
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext
	  else
	    echo "GNU gettext is missing: as root, apt-get install -y gettext" >&2; exit 1
	  fi
	fi
	$(RUN) python manage.py makemessages -l sv --no-location --ignore=.venv --ignore=staticfiles --ignore=node_modules
	$(RUN) python manage.py compilemessages --ignore=.venv

# Backups of the PostgreSQL database named by DATABASE_URL (pg_dump's custom format). The
# demo's SQLite is refused: copy db.sqlite3 with the server stopped instead.
define require_postgres_url
url="$${DATABASE_URL:-}"
case "$$url" in
  postgres://*|postgresql://*|pgsql://*|psql://*) url="postgresql://$${url#*://}" ;;
  *) echo "make $@: DATABASE_URL is not a PostgreSQL URL ($${url:-unset: the demo on SQLite});" \
       "pg_dump/pg_restore work on PostgreSQL only. For SQLite, stop the server and copy db.sqlite3." >&2
     exit 2 ;;
esac
endef

backup:
	@$(require_postgres_url)
	file="$${BACKUP:-backups/medlemsrost-$$(date +%Y%m%d-%H%M%S).dump}"
	mkdir -p "$$(dirname "$$file")"
	# Written beside the target and renamed when complete: a failed dump never looks like a backup.
	trap 'rm -f "$$file.partial"' EXIT
	pg_dump --format=custom --no-owner --file="$$file.partial" --dbname="$$url"
	mv "$$file.partial" "$$file"
	echo "make backup: $$file ($$(du -h "$$file" | cut -f1))"

restore:
	@$(require_postgres_url)
	file="$${BACKUP:-$$(ls -1t backups/medlemsrost-*.dump 2>/dev/null | head -n 1)}"
	if [ -z "$$file" ] || [ ! -f "$$file" ]; then
	  echo "make restore: no backup to restore (BACKUP=$${file:-unset}; none in backups/)." \
	    "Say which: make restore BACKUP=backups/medlemsrost-<time>.dump" >&2
	  exit 2
	fi
	echo "make restore: $$file into $${url%%\?*} (replacing what is there)"
	# One transaction: a restore that fails leaves the database as it was.
	pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
	  --dbname="$$url" "$$file"
	echo "make restore: done"
