# make test: set up (venv, install), lint, type-check, run every test (real Kafka and
# PostgreSQL included).
# make demo: set up and run the main job on an embedded local broker.
# The newest Python >= 3.11 on the PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: screenshots install lint typecheck unit test demo faults schemas catalog bench-engine bench-e2e bench-e2e-memory bench-x12 bench-api browser clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.11 found (python3.13, python3.12, python3.11, python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@echo "make: installing into $(VENV) (the first time takes a minute or two) ..."
	@$(BIN)/pip install -q --upgrade pip > $(VENV)/install.log 2>&1 \
	  && $(BIN)/pip install -q -e '.[dev]' >> $(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/python scripts/check_self_contained.py
	$(BIN)/ruff check service contracts tests benchmarks scripts reference samples
	$(BIN)/ruff format --check service contracts tests benchmarks scripts reference samples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# The browser tests (tests/browser, marker `browser`) drive Debian's Chromium: installed here
# when missing (apt-get, as root); Playwright's own browser download is not used.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian's chromium for the browser tests ..."; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: no chromium; as root: apt-get install -y chromium"; exit 1; fi; }

# The pages' screenshots the README shows, taken by the browser tests.
screenshots: $(STAMP) browser
	CLAIM_EDIT_SCREENSHOTS_DIR=docs/images CLAIM_EDIT_REQUIRE_BROWSER=1 $(BIN)/pytest -q tests/browser

test: lint typecheck browser
	CLAIM_EDIT_REQUIRE_BROWSER=1 scripts/with-kafka scripts/with-postgres $(BIN)/pytest -q

demo:
	@$(PYTHON) scripts/check_prerequisites.py
	@$(MAKE) -s $(STAMP)
	$(BIN)/claim-edit demo

faults: $(STAMP)
	scripts/with-kafka scripts/with-postgres $(BIN)/python -m tests.faults.report

schemas: $(STAMP)
	$(BIN)/python -m contracts.schema_export
	$(BIN)/python -m service.entrypoints.asyncapi_doc

catalog: $(STAMP)
	$(BIN)/claim-edit rules --format markdown > docs/edit-catalog.md

bench-engine: $(STAMP)
ifdef BASELINE
	$(BIN)/python -m benchmarks.against $(BASELINE)
else
	$(BIN)/python -m benchmarks.engine
endif

bench-e2e: $(STAMP)
	scripts/with-kafka $(BIN)/python -m benchmarks.e2e

bench-e2e-memory: $(STAMP)
	scripts/with-kafka scripts/with-postgres $(BIN)/python -m benchmarks.e2e --memory

bench-x12: $(STAMP)
	$(BIN)/python -m benchmarks.x12_path

bench-api: $(STAMP)
	$(BIN)/python -m benchmarks.api_bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
