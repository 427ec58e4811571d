# pws: build, run and test with two commands on a fresh Debian 12 machine.
#
#   make serve      install missing build dependencies, build, run `pws serve`
#   make test       same, plus Node.js, Chromium and clang; then every test:
#                   `check`, `check-sanitize` and `fuzz` below, in that order
#
# Other targets:
#
#   make check          unit, end-to-end and docs tests of $(BUILD_DIR)
#   make check-sanitize the same suite built with ASan + UBSan ($(SANITIZE_DIR))
#   make fuzz           build the libFuzzer targets with clang and run each
#                       for FUZZ_SECONDS ($(FUZZ_DIR))
#   make deps       only install the missing Debian build dependencies
#   make build      configure (once) and build into $(BUILD_DIR)
#   make install    cmake --install into $(DESTDIR)$(PREFIX) (build first)
#   make clean      remove the build directories
#
# Variables (override on the command line, e.g. `make serve ARGS="--port 6002 --debug"`):
#
#   ARGS            extra arguments for `pws serve` (make serve)
#   BUILD_DIR       build directory                  (default: build)
#   BUILD_TYPE      CMake build type of a new build  (default: RelWithDebInfo)
#   PREFIX          installation prefix              (default: /usr/local)
#   DESTDIR         staging root for packagers       (default: empty)
#   FUZZ_SECONDS    run time of each fuzz target     (default: 60)
#
# The dependency steps use apt-get (with sudo when not root) and only run it
# when something is missing, so on a prepared machine they do nothing.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
DESTDIR    ?=
ARGS       ?=
E2E_DIR    := tests/e2e
SANITIZE_DIR ?= build-sanitize
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := client_message http_api config cluster_message

# Debian 12 packages needed to build and test pws. Never add libboost-dev or
# libboost-all-dev: they pull in Boost 1.74 headers, which conflict with
# libboost-json1.81-dev.
DEB_PACKAGES := build-essential cmake ninja-build pkg-config libcli11-dev \
                libwebsockets-dev libboost-json1.81-dev libssl-dev \
                libsqlitecpp-dev libsqlite3-dev libtomlplusplus-dev catch2 \
                libhiredis-dev libuv1-dev libwebsockets-evlib-uv openssl man-db groff-base

# Debian 12 packages the end-to-end tests need besides Node.js: the dashboard
# suite drives Debian's headless Chromium (/usr/bin/chromium) with
# playwright-core, which never downloads a browser of its own; the cluster
# suites start their own redis-server on loopback ports (and restart it).
E2E_DEB_PACKAGES := chromium redis-server

# Debian 12 packages of the fuzz targets: clang with its libFuzzer runtime.
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev

# apt-get needs root: prefix it with sudo unless we already are root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y

.DEFAULT_GOAL := build
# The steps depend on each other's side effects (node before configure), so
# never run them in parallel, even under make -j.
.NOTPARALLEL:
.PHONY: all build configure deps node-deps e2e-deps fuzz-deps serve test check check-sanitize fuzz \
        install clean help

all: build

help:
	@sed -n '1,29p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

# ---- Dependencies -----------------------------------------------------------

# $(call apt_missing,TARGET,PACKAGES): a shell command installing whichever of
# PACKAGES is not installed yet (checked with dpkg -s); it does nothing when
# all are present, and only names them where there is no dpkg.
apt_missing = \
	if ! command -v dpkg >/dev/null 2>&1; then \
	  echo "make $(1): dpkg not found; install these (or equivalents) yourself: $(2)"; \
	else \
	  missing=""; \
	  for p in $(2); do \
	    dpkg -s "$$p" 2>/dev/null | grep -x 'Status: install ok installed' >/dev/null || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    echo "make $(1): installing$$missing"; \
	    $(SUDO) apt-get update; \
	    $(APT_INSTALL) $$missing; \
	  fi; \
	fi

deps:
	@$(call apt_missing,deps,$(DEB_PACKAGES))

# Node.js >= 18 with npm, for the end-to-end tests. Debian's nodejs and npm
# are installed only when there is no node at all: a node from elsewhere
# (NodeSource, nvm) brings its own npm, and Debian's npm must not be put on
# top of NodeSource's node.
node-deps:
	@if ! command -v node >/dev/null 2>&1; then \
	  echo "make node-deps: installing nodejs npm"; \
	  $(SUDO) apt-get update; \
	  $(APT_INSTALL) nodejs npm; \
	fi; \
	if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then \
	  echo "make node-deps: node $$(node --version) is too old; the tests need node >= 18" >&2; \
	  exit 1; \
	fi; \
	if ! command -v npm >/dev/null 2>&1; then \
	  echo "make node-deps: node is installed but npm is not; install the npm that goes with your node" >&2; \
	  exit 1; \
	fi

# The test suites' npm packages (pusher-js, pusher, laravel-echo, ws,
# playwright-core), only when node_modules is missing or older than
# package-lock.json; and whichever of E2E_DEB_PACKAGES is not installed yet.
e2e-deps: node-deps
	@$(call apt_missing,e2e-deps,$(E2E_DEB_PACKAGES))
	@if [ ! -d $(E2E_DIR)/node_modules ] || [ $(E2E_DIR)/package-lock.json -nt $(E2E_DIR)/node_modules ]; then \
	  echo "make e2e-deps: npm ci in $(E2E_DIR)"; \
	  (cd $(E2E_DIR) && npm ci --no-audit --no-fund); \
	  touch $(E2E_DIR)/node_modules; \
	fi

# ---- Build ------------------------------------------------------------------

# A new build directory is configured with Ninja and BUILD_TYPE. An existing
# one is left to `cmake --build`, which re-configures by itself when a
# CMakeLists.txt changes; the one exception is a build configured before
# node was installed, re-configured so that the e2e tests get registered.
configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	elif command -v node >/dev/null 2>&1 && \
	     grep -q '^NODE_EXECUTABLE:FILEPATH=.*NOTFOUND' $(BUILD_DIR)/CMakeCache.txt; then \
	  cmake -S . -B $(BUILD_DIR); \
	fi

build: configure
	cmake --build $(BUILD_DIR)

# ---- Run and test -----------------------------------------------------------

# On first start pws creates ~/.config/pws/pws.toml with fresh credentials
# and prints them together with client and Laravel snippets.
serve: build
	./$(BUILD_DIR)/pws serve $(ARGS)

# Everything: the suite, the same suite under the sanitizers, the fuzzers.
test: check check-sanitize fuzz

# Node first, so that configuring registers the e2e tests. The e2e suites
# take about a minute each; two at a time is safe.
check: node-deps build e2e-deps
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

# The whole suite again, every binary built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-O1 to keep it quick); a report fails the
# test that caused it (tests/CMakeLists.txt sets the options). The docs
# test is left out: it checks files, not memory.
check-sanitize: node-deps deps e2e-deps
	@if [ ! -f $(SANITIZE_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
	        -DPWS_SANITIZE=ON; \
	fi
	cmake --build $(SANITIZE_DIR)
	ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j2 -E '^docs:'

fuzz-deps:
	@$(call apt_missing,fuzz-deps,$(FUZZ_DEB_PACKAGES))

# Builds tests/fuzz with clang (every module instrumented, ASan + UBSan) and
# runs each target for FUZZ_SECONDS from its seed corpus in
# tests/fuzz/corpus/<name>. New inputs go to $(FUZZ_DIR)/corpus (the seeds in
# the repository are only read); a crash, leak or sanitizer report stops the
# run and leaves the input in $(FUZZ_DIR)/artifacts.
fuzz: deps fuzz-deps
	@if [ ! -f $(FUZZ_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPWS_FUZZ=ON -DPWS_BUILD_TESTS=OFF; \
	fi
	cmake --build $(FUZZ_DIR) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
	  log=$(FUZZ_DIR)/fuzz_$$t.log; \
	  echo "make fuzz: fuzz_$$t for $(FUZZ_SECONDS) s (log: $$log)"; \
	  if ! LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	       ./$(FUZZ_DIR)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	         -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
	         $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	    tail -n 60 $$log >&2; \
	    echo "make fuzz: fuzz_$$t found a problem; the input is in $(FUZZ_DIR)/artifacts" >&2; \
	    exit 1; \
	  fi; \
	  grep -E '^(INFO: seed corpus|#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $$log || true; \
	done

# ---- Install and clean ------------------------------------------------------

# Installs the binary, man pages and shell completions. Does not build, so
# that `sudo make install` after `make build` leaves no root-owned files in
# the build directory.
install:
	@if [ ! -x $(BUILD_DIR)/pws ]; then \
	  echo "make install: $(BUILD_DIR)/pws not built yet; run \`make build\` first" >&2; \
	  exit 1; \
	fi
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
