# pws: build, run and test with two commands on a fresh Debian 12 machine.
#
#   make serve      install missing build dependencies, build, run `pws serve`
#   make test       same, plus Node.js and Chromium; then the unit and end-to-end tests
#
# Other targets:
#
#   make deps       only install the missing Debian build dependencies
#   make build      configure (once) and build into $(BUILD_DIR)
#   make install    cmake --install into $(DESTDIR)$(PREFIX) (build first)
#   make clean      remove $(BUILD_DIR)
#
# Variables (override on the command line, e.g. `make serve ARGS="--port 6002 --debug"`):
#
#   ARGS            extra arguments for `pws serve` (make serve)
#   BUILD_DIR       build directory                  (default: build)
#   BUILD_TYPE      CMake build type of a new build  (default: RelWithDebInfo)
#   PREFIX          installation prefix              (default: /usr/local)
#   DESTDIR         staging root for packagers       (default: empty)
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

# Debian 12 packages needed to build and test pws. Never add libboost-dev or
# libboost-all-dev: they pull in Boost 1.74 headers, which conflict with
# libboost-json1.81-dev.
DEB_PACKAGES := build-essential cmake ninja-build pkg-config libcli11-dev \
                libwebsockets-dev libboost-json1.81-dev libssl-dev \
                libsqlitecpp-dev libsqlite3-dev libtomlplusplus-dev catch2 \
                openssl man-db groff-base

# Debian 12 packages the end-to-end tests need besides Node.js: the dashboard
# suite drives Debian's headless Chromium (/usr/bin/chromium) with
# playwright-core, which never downloads a browser of its own.
E2E_DEB_PACKAGES := chromium

# apt-get needs root: prefix it with sudo unless we already are root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y

.DEFAULT_GOAL := build
# The steps depend on each other's side effects (node before configure), so
# never run them in parallel, even under make -j.
.NOTPARALLEL:
.PHONY: all build configure deps node-deps e2e-deps serve test install clean help

all: build

help:
	@sed -n '1,22p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

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

# Node first, so that configuring registers the e2e tests. The e2e suites
# take about a minute each; two at a time is safe.
test: node-deps build e2e-deps
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

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
	rm -rf $(BUILD_DIR)
