# The two set-up commands of README: `make study` and `make test`. Both create .venv and install first.
PYTHON ?= python3
VENV ?= .venv
CORES ?= all
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: install study report-check test lint dryrun clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[test,slurm]'
	touch $(STAMP)

install: $(STAMP)

study: install
	$(BIN)/snakemake --cores $(CORES)
	@$(MAKE) --no-print-directory report-check

# the report in headless Chromium (bnconvex.browser): console errors, images, links, absolute paths; a full-page
# screenshot of each page into results/report/screenshots/. One line saying it was skipped without chromium
# and chromedriver (Debian: apt-get install chromium chromium-driver).
report-check: install
	$(BIN)/python -m bnconvex.browser results/report/index.html --screenshots results/report/screenshots --every-page \
		--skip-if-missing

test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

dryrun: install
	$(BIN)/snakemake -n --cores $(CORES)

clean:
	rm -rf results logs data/processed .snakemake
