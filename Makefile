# Two commands matter: `make demo` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
HTMX_VERSION := 2.0.11
# The W3C's Nu HTML Checker, from npm's vnu-jar (docs/adr/0137-valid-html-checked-by-vnu-from-npm.md).
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/share/vnu-$(VNU_VERSION)/vnu.jar
export FLASK_APP := wsgi

.PHONY: demo test typecheck install browser system-libs vnu bench htmx clean

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

# tests/html_support.py runs vnu (Java) over every page; npm fetches the jar, checking its
# integrity. Java and npm come from Debian when missing, as Chromium does.
vnu: $(VNU_JAR)
$(VNU_JAR): | $(VENV)/.installed
	@if ! command -v java >/dev/null || ! command -v npm >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    $$(command -v java >/dev/null || echo default-jre-headless) $$(command -v npm >/dev/null || echo npm); \
	fi
	rm -rf $(VENV)/share/vnu-pack && mkdir -p $(VENV)/share/vnu-pack $(dir $@)
	cd $(VENV)/share/vnu-pack && npm pack --silent vnu-jar@$(VNU_VERSION) && tar -xzf vnu-jar-$(VNU_VERSION).tgz
	mv $(VENV)/share/vnu-pack/package/build/dist/vnu.jar $@ && rm -rf $(VENV)/share/vnu-pack
	java -jar $@ --version

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
test: install system-libs browser vnu typecheck
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
