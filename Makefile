# sitroom — two commands on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: install run test lint typecheck imports pytest bench bench-full clean browser-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: render the bundled examples, then serve a run of the allied example and print its links
run: $(STAMP)
	$(VENV)/bin/sitroom examples --out $(OUT)
	$(VENV)/bin/sitroom demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

imports: $(STAMP)
	$(VENV)/bin/lint-imports

## browser-deps: Debian's chromium for the browser tests, poppler-utils (pdftoppm), a Korean
## font and LibreOffice (soffice, to lay out the AAR's .docx) for the report tests, nginx for
## the reverse-proxy test (installed when missing and root)
SYSTEM_DEPS := chromium poppler-utils fonts-nanum libreoffice-writer-nogui nginx-light
browser-deps:
	@{ test -x /usr/bin/chromium && command -v pdftoppm >/dev/null && \
	   test -d /usr/share/fonts/truetype/nanum && command -v soffice >/dev/null && \
	   test -x /usr/sbin/nginx; } || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_DEPS); } || \
	  echo "missing: install $(SYSTEM_DEPS) (apt-get install ...) for the browser and report tests"

pytest: $(STAMP) browser-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

## test: lint, types, dependency directions, then the whole test suite
test: lint typecheck imports pytest

## bench: every benchmark at quick sizes, then one table of figures, baselines and targets
bench: $(STAMP)
	$(PY) benchmarks/run.py

## bench-full: the same at the full sizes (10,000 clients, 1-2-4 workers, a 30-minute soak)
bench-full: $(STAMP)
	$(PY) benchmarks/run.py --full

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache
