# isapid: build, run and test on Debian 12 with Swift 6.
#
#   make            build the release binary (same as make build)
#   make run        build, then serve conf/httpd.conf in the foreground
#   make test       run the test suite
#   make configtest check conf/httpd.conf (isapid -t)
#   make bench      the benchmarks against Apache and nginx (bench/run.py; QUICK=1 for
#                   a short run), writes bench/RESULTS.md

SWIFT ?= swift

# Debian packages needed to build and run, and the extra ones the tests use.
DEPS      := libpcre2-dev libffi-dev
TEST_DEPS := curl python3
# What make bench runs next to isapid, measures with, and draws with.
BENCH_DEPS := apache2 nginx wrk gnuplot-nox curl python3 gcc

# apt-get needs root: use sudo only when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

ISAPID := .build/release/isapid

.DEFAULT_GOAL := build
.PHONY: deps test-deps build run test configtest clean bench

# Installs the packages of $(1) that are not installed yet; apt-get update runs
# once, and only when something is missing.
define install-missing
	@missing=""; \
	for pkg in $(1); do \
	  dpkg -s "$$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:$$missing"; \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install-missing,$(DEPS))

test-deps:
	$(call install-missing,$(DEPS) $(TEST_DEPS))

# The sample ISAPI extensions (extensions/<name>/) are built as
# .build/release/lib<name>.so and installed as htdocs/scripts/<name>.dll,
# where conf/httpd.conf runs them.
build: deps
	$(SWIFT) build -c release
	mkdir -p htdocs/scripts
	@for dir in extensions/*/; do \
	  name=$$(basename "$$dir"); \
	  echo "install .build/release/lib$$name.so -> htdocs/scripts/$$name.dll"; \
	  cp .build/release/lib$$name.so htdocs/scripts/$$name.dll || exit 1; \
	done

run: build
	mkdir -p logs
	exec $(ISAPID) -f conf/httpd.conf -d "$(CURDIR)"

# One command, so its output ends with the test runner's own summary line.
test: test-deps
	$(SWIFT) test
	@# The rewrite engine against a live Apache httpd 2.4 (swift test compared it with
	@# Apache's recorded answers; this asks Apache again). Skipped only when Debian's
	@# apache2 cannot be installed here.
	@dpkg -s apache2 2>/dev/null | grep -q '^Status: install ok installed' || \
	  ($(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apache2 || \
	   ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apache2)) || \
	  echo "apache2 could not be installed: the live comparison is skipped (swift test compared the recorded answers)"
	@if [ -x /usr/sbin/apache2 ]; then python3 Tests/RewriteDifferential/run.py live --isapid .build/debug/isapid; fi

configtest: build
	$(ISAPID) -t -f conf/httpd.conf -d "$(CURDIR)"

# Builds isapid into its own scratch path (.build-bench), starts every server from a
# throw-away configuration, runs the scenarios S1-S7, and writes
# bench/results/<date>-<time>.json, bench/RESULTS.md and the charts. Needs root
# (Apache and nginx drop to www-data). QUICK=1: one short run per case (about 2 minutes
# once isapid is built, on an otherwise idle machine; the release build adds 2 to 3).
bench:
	$(call install-missing,$(DEPS) $(BENCH_DEPS))
	python3 bench/run.py $(if $(QUICK),--quick)

clean:
	rm -rf .build logs/*
