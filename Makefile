# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
# No pip download cache: a fresh machine installs once, and the cache would double the disk used.
export PIP_NO_CACHE_DIR := 1
# The installed .venv takes about 2.4 GB with the test extras (torch, gradio, onnxruntime, ...).
NEEDED_GB := 3

.PHONY: run test install index browser emulator bench bench-scale lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: the pinned CPU build; an unpinned torch would pull GBs of CUDA packages.
$(STAMP): $(BIN)/python pyproject.toml
	@free=$$(df -Pk . | awk 'NR == 2 { print int($$4 / 1048576) }'); \
	if [ -n "$$free" ] && [ "$$free" -lt $(NEEDED_GB) ]; then \
		echo "warning: $$free GB free on this disk; the install needs about $(NEEDED_GB) GB"; fi
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,speed]'
	touch $(STAMP)

install: $(STAMP)

# Builds the seed index when missing or stale (re-embeds only changed chunks).
index: install
	$(BIN)/rag index seeds/ --if-stale

run: index
	$(BIN)/python app.py

# Debian's Chromium for the browser test (installed when missing and we are root).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium; the browser test will be skipped"; \
	fi

# QEMU's user-mode CPU emulation, so the tests also check an AVX2-only CPU (test_cpu_emulation.py).
emulator:
	@if ! command -v qemu-x86_64 >/dev/null && [ "$$(uname -m)" = "x86_64" ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null) \
		|| echo "could not install qemu-user; the AVX2 emulation test will be skipped"; \
	fi

# The optional backends the tests cover too: Milvus (Lite and its server) and a Dask cluster.
EXTRAS := $(VENV)/.installed-extras
$(EXTRAS): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,speed,milvus,cluster]'
	touch $(EXTRAS)

test: index browser emulator $(EXTRAS)
	$(BIN)/python -m pytest -q

# The speed benchmarks (under 15 minutes). Not in it, because it takes hours: `make bench-scale`.
bench: index
	$(BIN)/python benchmarks/run_all.py

# Opt-in: 1,000,000 synthetic chunks on Milvus Lite (build, search, ask, RSS, disk) next to the
# local backend at 100k; writes benchmarks/results/bench_milvus_scale.json. About 75 minutes here
# (40 to build, 30 to query); about 9 GB of disk and about 18 GB of memory (it says so and stops
# where that is short; see bench_milvus.py --help).
# Needs the milvus extra, as bench_milvus.py in `make bench` does (`make test` installs it).
bench-scale: index
	$(BIN)/python benchmarks/bench_milvus.py --scale

# Style and types: ruff's checks and formatting over everything, mypy over the package.
lint: install
	$(BIN)/ruff check rag tests app.py benchmarks
	$(BIN)/ruff format --check rag tests app.py benchmarks
	$(BIN)/mypy rag

clean:
	rm -rf $(VENV) indexes/default
