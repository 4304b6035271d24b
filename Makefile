# isapid: build, run and test on Debian 12 with Swift 6.
#
#   make            build the release binary (same as make build)
#   make run        build, then serve conf/httpd.conf in the foreground
#   make test       run the test suite
#   make configtest check conf/httpd.conf (isapid -t)
#   make fleet      HAProxy in front of two isapid instances under wrk, through a
#                   graceful restart, a child crash and a stop/start (bench/fleet.sh;
#                   minutes; not part of make test), see docs/deployment.md
#   make bench      the benchmarks against Apache, nginx and a bare SwiftNIO server (the
#                   floor, bench-nio-floor) (bench/run.py; QUICK=1 for a short run),
#                   writes bench/RESULTS.md
#   make install    build, then install into $(DESTDIR) with FHS paths (PREFIX=/usr)
#   make deb        dist/isapid_<version>_<arch>.deb (Swift's stdlib linked statically)
#   make deb-test   build the .deb, install it here, serve, purge (dist/test-deb.sh; root)

SWIFT ?= swift

# Debian packages needed to build and run, and the extra ones the tests use.
DEPS      := libpcre2-dev libffi-dev
TEST_DEPS := curl python3 groff-base haproxy prometheus
# What make fleet runs: the balancer, the load, the crash extension's compiler.
FLEET_DEPS := haproxy wrk curl python3 gcc util-linux
# What make bench runs next to isapid, measures with, and draws with.
BENCH_DEPS := apache2 nginx wrk gnuplot-nox curl python3 gcc openssl valgrind strace

# apt-get needs root: use sudo only when not already root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

ISAPID := .build/release/isapid
# Release builds skip Swift's run-time exclusivity checks in every module, SwiftNIO's too:
# each checked access is a call and a thread-local look-up, ~9 % of a request's instructions
# (static file 56.8k -> 51.4k, hello.dll 105.5k -> 96.1k; bench/instructions-per-request.sh).
# The checks find bugs, which the tests' debug builds keep doing; Package.swift turns them
# off for isapid's own request-path modules even without these flags. bench/run.py,
# bench/rewrite-rules.py and bench/fleet.sh build with the same flags.
RELEASE_FLAGS := -Xswiftc -enforce-exclusivity=unchecked

.DEFAULT_GOAL := build
.PHONY: deps test-deps build run test configtest clean bench fleet install install-files install-check man-check deb deb-test

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
	$(SWIFT) build -c release $(RELEASE_FLAGS)
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

# Builds isapid and the floor (bench-nio-floor) in release into their own scratch path
# (.build-bench), starts every server from a
# throw-away configuration, runs the scenarios S1-S8, and writes
# bench/results/<date>-<time>.json, bench/RESULTS.md and the charts. Needs root
# (Apache and nginx drop to www-data). QUICK=1: one short run per case (about 2 minutes
# once isapid is built, on an otherwise idle machine; the release build adds 2 to 3).
bench:
	$(call install-missing,$(DEPS) $(BENCH_DEPS))
	python3 bench/run.py $(if $(QUICK),--quick)

# Release build, two isapid instances behind HAProxy (send-proxy-v2, health checks),
# wrk for 30 s through a graceful restart, a crash and a stop/start; fails on any
# failed request. The figures go into docs/deployment.md by hand.
fleet:
	$(call install-missing,$(DEPS) $(FLEET_DEPS))
	bash bench/fleet.sh

clean:
	rm -rf .build logs/*
	rm -rf .build-deb dist/staging dist/*.deb


# ---------------------------------------------------------------------------
# Installation (FHS paths) and the Debian package.
#
# make install [DESTDIR=/some/staging] [PREFIX=/usr]
#   $(PREFIX)/sbin/isapid                 the daemon
#   $(PREFIX)/lib/isapid/extensions/      the sample extensions, <name>.dll
#   $(PREFIX)/include/isapid/             the extension SDK headers
#   $(PREFIX)/share/doc/isapid/           README, extensions/README.md, docs/*.md
#   $(PREFIX)/share/man/man8/isapid.8.gz  the manual page (man/isapid.8)
#   /etc/isapid/                          httpd.conf, ports.conf, mime.types, httpd.ini, conf.d/
#   /var/www/isapid/                      the welcome page, templates/hello.tpl
#   /var/log/isapid/                      the logs
#   /lib/systemd/system/isapid.service, /etc/logrotate.d/isapid
# The files come from $(BUILDDIR) (the binary, lib<name>.so) and dist/conf (the
# production configuration). install-files installs without building (make deb uses it
# with its own static build); install-check runs isapid -t on what was installed and
# checks the manual page (man-check: groff -ww, any warning fails).

PREFIX   ?= /usr
DESTDIR  ?=
BUILDDIR ?= .build/release
# Where install-files takes the extensions' lib<name>.so from (make deb: its own cc build).
EXT_BUILDDIR ?= $(BUILDDIR)
INSTALL  ?= install

# The SDK headers extensions include: all of Sources/CISAPI/include except the host's own.
SDK_HEADERS := $(filter-out %/isapi_host_support.h,$(wildcard Sources/CISAPI/include/*.h))

# The version is defined once, in ServerSoftware (what isapid -v prints).
VERSION := $(shell awk '/static let (major|minor|patch) =/ { v = v sep $$NF; sep = "." } END { print v }' \
             Sources/RequestPipeline/ServerSoftware.swift)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := dist/isapid_$(VERSION)_$(DEB_ARCH).deb
DEB_ROOT := dist/staging/isapid

install: build
	$(MAKE) install-files install-check

install-files:
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/isapid/extensions \
	  $(DESTDIR)$(PREFIX)/include/isapid $(DESTDIR)$(PREFIX)/share/doc/isapid/extensions \
	  $(DESTDIR)/etc/isapid/conf.d $(DESTDIR)/etc/logrotate.d $(DESTDIR)/lib/systemd/system \
	  $(DESTDIR)/var/www/isapid/templates $(DESTDIR)/var/log/isapid $(DESTDIR)$(PREFIX)/share/man/man8
	$(INSTALL) -m 755 $(BUILDDIR)/isapid $(DESTDIR)$(PREFIX)/sbin/isapid
	@for dir in extensions/*/; do \
	  name=$$(basename "$$dir"); \
	  echo "$(INSTALL) -m 644 $(EXT_BUILDDIR)/lib$$name.so $(DESTDIR)$(PREFIX)/lib/isapid/extensions/$$name.dll"; \
	  $(INSTALL) -m 644 $(EXT_BUILDDIR)/lib$$name.so $(DESTDIR)$(PREFIX)/lib/isapid/extensions/$$name.dll || exit 1; \
	done
	$(INSTALL) -m 644 $(SDK_HEADERS) $(DESTDIR)$(PREFIX)/include/isapid/
	sed 's#/usr/lib/isapid/#$(PREFIX)/lib/isapid/#g' dist/conf/httpd.conf > $(DESTDIR)/etc/isapid/httpd.conf
	chmod 644 $(DESTDIR)/etc/isapid/httpd.conf
	$(INSTALL) -m 644 dist/conf/ports.conf conf/mime.types conf/httpd.ini $(DESTDIR)/etc/isapid/
	$(INSTALL) -m 644 htdocs/index.html $(DESTDIR)/var/www/isapid/
	$(INSTALL) -m 644 htdocs/templates/hello.tpl $(DESTDIR)/var/www/isapid/templates/
	$(INSTALL) -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/isapid/
	$(INSTALL) -m 644 extensions/README.md $(DESTDIR)$(PREFIX)/share/doc/isapid/extensions/
	$(INSTALL) -m 644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/isapid/
	sed 's#/usr/sbin/isapid#$(PREFIX)/sbin/isapid#; s#/usr/share/doc/isapid#$(PREFIX)/share/doc/isapid#' \
	  dist/systemd/isapid.service > $(DESTDIR)/lib/systemd/system/isapid.service
	chmod 644 $(DESTDIR)/lib/systemd/system/isapid.service
	$(INSTALL) -m 644 dist/logrotate/isapid $(DESTDIR)/etc/logrotate.d/isapid
	gzip -9n < man/isapid.8 > $(DESTDIR)$(PREFIX)/share/man/man8/isapid.8.gz
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man8/isapid.8.gz

# isapid -t on the installed configuration. Under a DESTDIR the absolute paths in
# httpd.conf are rewritten into the staging (in a copy, beside it), and User/Group
# become numeric ids while the www-isapid account does not exist yet (the package's
# postinst creates it; an unknown name is a configuration error, as in Apache).
install-check: man-check
	@conf=$(DESTDIR)/etc/isapid/.install-check.conf; \
	sed -E 's#(^|[ "])(/etc/isapid|/var/www/isapid|$(PREFIX)/lib/isapid|/var/log/isapid|/run/isapid)#\1$(DESTDIR)\2#g' \
	  $(DESTDIR)/etc/isapid/httpd.conf > "$$conf"; \
	id -u www-isapid >/dev/null 2>&1 || sed -i -E 's/^User www-isapid$$/User #65534/; s/^Group www-isapid$$/Group #65534/' "$$conf"; \
	echo "$(DESTDIR)$(PREFIX)/sbin/isapid -t -f $(DESTDIR)/etc/isapid/httpd.conf (paths under DESTDIR)"; \
	$(DESTDIR)$(PREFIX)/sbin/isapid -t -f "$$conf"; status=$$?; rm -f "$$conf"; exit $$status

# The manual page renders without a single groff warning (groff exits 0 on warnings:
# its stderr must stay empty). make install and make deb run it through install-check.
man-check:
	$(call install-missing,groff-base)
	@out=$$(groff -man -Tutf8 -ww -z man/isapid.8 2>&1); \
	if [ -n "$$out" ]; then echo "man/isapid.8: groff warnings:"; echo "$$out"; exit 1; fi; \
	echo "man/isapid.8: groff -man -ww: no warnings"

# The package: a release build with Swift's standard library and Foundation linked
# statically (the Swift runtime is not in Debian), in its own scratch path so that it
# does not disturb make build's dynamic one; staged with install-files, then DEBIAN/.
# The sample extensions are compiled with cc as extensions/README.md says to: SwiftPM
# links its C library products against libswiftCore.so (which the package lacks).
deb:
	$(call install-missing,$(DEPS))
	$(SWIFT) build -c release $(RELEASE_FLAGS) --static-swift-stdlib --scratch-path .build-deb --product isapid
	mkdir -p .build-deb/extensions
	@for dir in extensions/*/; do \
	  name=$$(basename "$$dir"); \
	  echo "cc -O2 -shared -fPIC -I Sources/CISAPI/include $$dir$$name.c -o .build-deb/extensions/lib$$name.so"; \
	  cc -O2 -shared -fPIC -Wl,-z,relro,-z,now -I Sources/CISAPI/include $$dir$$name.c -o .build-deb/extensions/lib$$name.so || exit 1; \
	done
	rm -rf $(DEB_ROOT)
	$(MAKE) install-files install-check DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr \
	  BUILDDIR=.build-deb/release EXT_BUILDDIR=.build-deb/extensions
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	  $(DEB_ROOT)/usr/sbin/isapid $(DEB_ROOT)/usr/lib/isapid/extensions/*.dll
	dist/debian/make-control $(DEB_ROOT) $(VERSION) $(DEB_ARCH)
	dpkg-deb --build --root-owner-group $(DEB_ROOT) $(DEB)
	dpkg-deb --info $(DEB)

deb-test: deb
	dist/test-deb.sh $(DEB)
