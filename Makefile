# Makefile - the two commands of the README, and the usual targets.
# The real build is CMake (CMakeLists.txt); this file only drives it.
#   make demo   install missing packages, build, run the demo
#   make check  install missing packages, build, run every test (also
#               under ASan+UBSan) and a short fuzz run
#   make install          build and install (PREFIX, default /usr/local;
#                         DESTDIR for staging)
#   make package          the Debian packages, in $(PKG_BUILD)/debs
#   make package-test     build them, then lintian, install, check, purge
# SPDX-License-Identifier: BSD-2-Clause
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
PREFIX ?= /usr/local
DESTDIR ?=
PKG_BUILD ?= build-pkg

.PHONY: all deps build demo check test check-asan fuzz fuzz-run bench lint clean \
	install package package-test

all: build

deps:
	@sh scripts/deps.sh all

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMXSPF_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMXSPF_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz-run: fuzz
	@sh scripts/fuzz-run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The three stages each fail the target on any failure; the last line is
# the plain "N passed, N failed" summary of the stages (tests, tests under
# ASan+UBSan, fuzz run).
check: test check-asan fuzz-run
	@echo "check: 3 passed, 0 failed"

bench: build
	$(BUILD)/bench/mxspf-bench bench/workload.yml

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# The install paths are fixed when $(BUILD) is configured: mxspf.pc and
# the systemd units name them.
install:
	@sh scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

package:
	@sh scripts/deps.sh pkg
	JOBS=$(JOBS) sh scripts/package.sh $(PKG_BUILD)

package-test: package
	sh scripts/package-test.sh $(PKG_BUILD)
