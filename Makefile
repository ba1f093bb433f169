# Two commands for a fresh machine: `make run` and `make test`. Everything else is what they call.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev assets browser wrk lint check migrate demo serve worker bench lock clean

run: install assets migrate demo ## install, migrate, create the demo schools, print logins, serve
	@echo; echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops)"; echo
	@if [ -n "$$REDIS_URL" ]; then \
		$(VENV)/bin/celery -A attendance_project worker -B -Q celery,retrain -c 1 --loglevel=INFO & \
		trap "kill $$! 2>/dev/null" EXIT; \
	fi; \
	$(PY) -m attendance_project.serve --host $(HOST) --port $(PORT)

test: install-dev assets browser ## install everything and run every check and test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per lock file: reinstall only when the lock changes.
$(VENV)/.base-installed: requirements/base.txt | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

# Front-end packages come from the npm registry at install time and are served as static files.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/pico
	cp node_modules/@picocss/pico/css/pico.min.css node_modules/@picocss/pico/LICENSE.md static/vendor/pico/
	mkdir -p static/vendor/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
		node_modules/chart.js/LICENSE.md static/vendor/chartjs/
	touch $@

assets: static/vendor/.installed

# The HTTP benchmark's load generator (tests/benchmarks/bench_api.py): Debian's wrk, written in C,
# so the client takes next to no CPU from the server it measures on the same machine.
wrk:
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: sudo apt-get install wrk"; fi; \
	fi

# Browser tests drive Debian's Chromium; never a browser downloaded by a test tool.
browser:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "Chromium is missing: sudo apt-get install chromium chromium-driver"; fi; \
	fi

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_setup

# Speed and accuracy figures: each script prints a table (the first ones also write JSON to
# bench-results/).
# Uses DATABASE_URL/REDIS_URL when set (PostgreSQL, a real worker), a temporary SQLite otherwise.
FACES ?= ../shared/faces
bench: install-dev assets wrk ## speed and accuracy figures (needs ../shared/faces)
	@mkdir -p bench-results
	@for dataset in celeb10 yale orl; do for engine in default baseline; do \
		$(PY) manage.py evaluate_recognition --dataset $(FACES)/$$dataset --engine $$engine \
			--json bench-results/evaluate-$$engine-$$dataset.json || exit 1; \
	done; done
	RECOGNITION_THREADS=2 $(PY) tests/benchmarks/bench_engine.py --json bench-results/engine.json
	$(PY) tests/benchmarks/bench_enrolment.py --json bench-results/enrolment.json
	@for script in bench_live bench_records bench_api; do \
		if [ -f tests/benchmarks/$$script.py ]; then \
			$(PY) tests/benchmarks/$$script.py || exit 1; \
		fi; \
	done

lock: ## regenerate the pinned requirements after editing requirements/*.in
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu requirements/base.in -o requirements/base.txt
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu requirements/dev.in -o requirements/dev.txt

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles .pytest_cache .ruff_cache
