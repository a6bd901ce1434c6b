# Two commands (README): `make demo` sets up and runs the main job on the built-in synthetic
# county dataset; `make test` sets up and runs the tests. Both need only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo lint test test-slow bench docs dev clean setup-spark test-spark

# Bytecode is compiled at install: the environment sets PYTHONDONTWRITEBYTECODE=1, so without it every
# process (mujun, dbt, the audit's workers) compiles Great Expectations, Dagster and dbt from source.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --compile-bytecode -p $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet -p $(BIN)/python --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium + CJK fonts (apt-get; a no-op when present): the tests render the auditors'
# Data Docs (and later reports) in a real browser.
browser:
	bash scripts/install_browser.sh

demo: setup
	$(BIN)/mujun run

# Python lint (ruff, configured in pyproject.toml); `make test` runs it first.
lint: setup
	$(BIN)/ruff check .

# Two pytest workers (pytest-xdist): run serially the suite keeps ~1.07 of the 2 cores busy, most of
# it waiting on one dbt or Dagster subprocess at a time. --dist loadfile keeps each test file's
# module fixtures in one worker; each worker builds its own session `county_run` (a few tests write
# into its data dir: a shared one would make them order-dependent across workers).
PYTEST_WORKERS ?= 2

test: setup browser lint
	$(BIN)/mujun prepare
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=25

test-slow: setup browser
	$(BIN)/mujun prepare
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python scripts/benchmark.py

# The Spark target (README "Scale-out on Spark"): dbt-spark + a local pyspark in the same venv (no
# pin of requirements.lock changes), and Java 17 from Debian where no `java` is on PATH.
SPARK_STAMP := $(VENV)/.installed-spark

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	command -v java >/dev/null || (sudo -n true 2>/dev/null && SUDO=sudo; \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q openjdk-17-jre-headless)
	$(BIN)/uv pip install --quiet --compile-bytecode -p $(BIN)/python -r requirements-spark.lock
	touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP)

# Builds the county sample on DuckDB and on Spark and compares every mart (several minutes).
test-spark: setup-spark
	$(BIN)/mujun prepare
	$(BIN)/python -m pytest -q -m spark tests/test_spark_parity.py

docs: setup
	$(BIN)/mujun docs

dev: setup
	$(BIN)/mujun dev

clean:
	rm -rf target logs data .dagster_home
