# Two commands matter: `make demo` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
HTMX_VERSION := 2.0.11
export FLASK_APP := wsgi

.PHONY: demo test typecheck install browser system-libs bench htmx clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's Chromium (browsers cannot be downloaded here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# WeasyPrint (the e-ticket PDF) needs Pango and HarfBuzz's subsetter from the system (without
# the subsetter it warns, and the tests treat warnings as errors). Either may be there alone.
system-libs:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; \
	fi

demo: install system-libs
	PORT=$(PORT) $(PY) -m demo

# Two pytest-xdist workers (this machine has two cores); tests/conftest.py groups what must
# share a worker. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: install system-libs browser typecheck
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The Stripe gateway against the SDK's typed request parameters (mypy.ini says what and why).
typecheck: install
	$(PY) -m mypy

# Speed, measured (never asserted in tests): prints a table and writes bench/last.json.
# wrk (Debian's package) is the load generator; SCALE=1000000 measures staff search and the
# dashboard over that many bookings instead (bench/scale.py).
SCALE ?=
bench: install
	@if ! command -v wrk >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; \
	fi
	$(PY) bench/run.py $(if $(SCALE),--scale $(SCALE))

# Refresh the vendored htmx from the npm registry (the file is committed under static/).
htmx:
	cd /tmp && npm pack htmx.org@$(HTMX_VERSION) && tar -xzf htmx.org-$(HTMX_VERSION).tgz
	cp /tmp/package/dist/htmx.min.js static/vendor/htmx-$(HTMX_VERSION).min.js

clean:
	rm -rf $(VENV) .pytest_cache
