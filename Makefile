# Two commands do all the set-up: `make run` and `make test`. Both are idempotent:
# the venv and each requirements file are installed once and again only when they change.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run test bench browser lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

## Start the app on http://localhost:8501 (bound to 127.0.0.1; see .streamlit/config.toml).
run: $(RUNTIME_STAMP)
	$(PY) -m streamlit run app.py $(STREAMLIT_ARGS)

## Playwright drives a system Chromium when there is one, else its own download.
browser: $(DEV_STAMP)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	   || command -v google-chrome >/dev/null 2>&1 || [ -n "$$CNNVIZ_CHROMIUM" ]; then \
	    echo "browser: using system Chromium"; \
	else \
	    $(PY) -m playwright install chromium || { \
	        echo "browser: no Chromium on PATH, and Playwright could not download its own (offline?)." >&2; \
	        echo "browser: install one (Debian: apt-get install chromium) or point CNNVIZ_CHROMIUM at a" \
	             "Chromium binary, then run make test again." >&2; \
	        exit 1; }; \
	fi

## The whole suite: unit, AppTest and real-browser tests. Exit code 5 (no test ran) is a failure.
test: $(DEV_STAMP) browser
	$(PY) -m pytest

## Every benchmark in bench/, JSON results in bench/results/ (BENCH=name runs one).
bench: $(DEV_STAMP)
	$(PY) -m bench $(BENCH)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
