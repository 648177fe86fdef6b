# SPDX-License-Identifier: GPL-2.0-or-later
# UCH — the Universal Conversion Host.  See README.md.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR   ?= $(PREFIX)/share/man
# where bash-completion looks for a command's completion
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR  ?=

CC       ?= cc
VERSION  := $(shell cat VERSION)
PKGS     := libmicrohttpd json-c libsystemd libnbd libcurl gnutls libxml-2.0 inih mount
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libguestfs yaml-0.1 2>/dev/null)
# --as-needed: each program depends only on the libraries it calls.
PKG_LIBS   := -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Only uch-inspect links libguestfs (which pulls in qemu and libvirt),
# and libyaml (netplan's files, convert/nic-pin-netplan.c); unit tests
# link libyaml too, each only if it calls it (--as-needed).
GUESTFS_LIBS := $(shell pkg-config --libs libguestfs 2>/dev/null)
YAML_LIBS := $(shell pkg-config --libs yaml-0.1 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
# CPPFLAGS, CFLAGS and LDFLAGS are the packager's (the RPM's hardening
# flags); ours come first, so theirs win.  Headers are included by their
# room: #include "runner/children.h".
UCH_CPPFLAGS := -D_GNU_SOURCE -DUCH_VERSION='"$(VERSION)"' \
	-DUCH_LIBEXECDIR='"$(LIBEXECDIR)"' -Iservice $(PKG_CFLAGS)
UCH_CFLAGS := -std=gnu11 $(WARN)
COMPILE   = $(CC) $(UCH_CPPFLAGS) $(CPPFLAGS) $(UCH_CFLAGS) $(CFLAGS) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

B        := build
V        ?= 0
ifeq ($(V),0)
Q        := @
say       = @printf '  %-7s %s\n' $(1) $(2);
endif
# The rooms of service/, each a folder; docs/internals.md draws their
# layers and tests/integration/test-service-layers.sh checks them.
CORE_SRC := $(wildcard service/util/*.c service/volumes/*.c service/firewall/*.c \
	service/check/*.c service/jobs/*.c)
UCHD_SRC := $(filter-out %/main.c,$(wildcard service/uchd/*.c service/api/*.c \
	service/server/*.c))
JOB_SRC  := $(filter-out %/main.c,$(wildcard service/runner/*.c \
	service/transfer/*.c service/convert/*.c service/sync/*.c service/worker/*.c))
CTL_SRC  := $(filter-out %/main.c,$(wildcard service/ctl/*.c))
GUESTFS_SRC := $(filter-out %/main.c,$(wildcard service/guestfs/*.c))
LIB_SRC  := $(CORE_SRC) $(UCHD_SRC) $(JOB_SRC) $(CTL_SRC)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
HEADERS  := $(wildcard service/*/*.h)

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

PROGRAMS := $(B)/uchd $(B)/uch-job $(B)/uchctl $(B)/uch-inspect
# nbdkit filters of ours (filters/), loaded by the jobs' nbdkit as
# --filter=PATH from beside uch-job
FILTERS  := $(B)/uch-zeroscan-filter.so $(B)/uch-reconnect-filter.so \
	    $(B)/uch-disksdone-filter.so
UNIT     := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_SAN := $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNIT_SRC))
MANPAGES := $(patsubst docs/man/%.pod,$(B)/man/%,$(wildcard docs/man/*.pod))

.PHONY: all deps deps-cloud check check-fast check-cloud check-vmware check-unit check-san run bench demo \
	install fuzz clean install-appliance image image-centos image-container \
	rpm
all: $(PROGRAMS) $(FILTERS) $(MANPAGES)

$(B)/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(COMPILE) -c -o $@ $<
$(B)/asan/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(COMPILE) $(SAN_FLAGS) -c -o $@ $<
# -MMD -MP: each object and test depends on the headers it includes.
-include $(wildcard $(B)/obj/service/*/*.d $(B)/asan/obj/service/*/*.d \
	$(B)/tests/*.d $(B)/asan/tests/*.d)

# One static library per room, so each program (and each unit test)
# links only what it uses.
define room_lib
$(B)/$(1).a: $$(call obj,$(B),$(2))
	@rm -f $$@
	$$(call say,AR,$$@)ar rcs $$@ $$^
$(B)/asan/$(1).a: $$(call obj,$(B)/asan,$(2))
	@rm -f $$@
	$$(call say,AR,$$@)ar rcs $$@ $$^
endef
$(eval $(call room_lib,libuchcore,$(CORE_SRC)))
$(eval $(call room_lib,libuchd,$(UCHD_SRC)))
$(eval $(call room_lib,libuchjob,$(JOB_SRC)))
$(eval $(call room_lib,libuchctl,$(CTL_SRC)))

$(B)/uchd: $(B)/obj/service/server/main.o $(B)/libuchd.a $(B)/libuchcore.a
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/uch-job: $(B)/obj/service/worker/main.o $(B)/libuchjob.a $(B)/libuchcore.a
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/uchctl: $(B)/obj/service/ctl/main.o $(B)/libuchctl.a $(B)/libuchcore.a
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
# uch-inspect takes from the convert room only what both sides of
# --pin-nics share (the request, the rules' text) and netplan's reader.
$(B)/uch-inspect: $(B)/obj/service/guestfs/main.o $(call obj,$(B),$(GUESTFS_SRC)) \
		$(B)/obj/service/convert/nic-pin.o $(B)/obj/service/convert/nic-pin-netplan.o \
		$(B)/libuchcore.a
	$(call say,LINK,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(GUESTFS_LIBS) \
		$(YAML_LIBS)

# Unit tests are named after the room they test: test-util-*, test-jobs-*
# link the core; test-api-*, test-uchd-*, test-server-* uchd's rooms; test-runner-*,
# test-transfer-*, test-convert-*, test-sync-*, test-worker-* the worker's;
# test-ctl-* uchctl's; any other (test-volumes-*)
# the core only.
room_of = $(if $(filter test-api-% test-uchd-% test-server-%,$(1)),libuchd.a,$(if \
	$(filter test-runner-% test-transfer-% test-convert-% test-sync-% test-worker-%,$(1)),libuchjob.a,$(if \
	$(filter test-ctl-%,$(1)),libuchctl.a)))
test_libs = $(addprefix $(1)/,$(call room_of,$(2)) libuchcore.a)
.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $$(call test_libs,$(B),$$*)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(COMPILE) -Itests/unit $(LDFLAGS) -o $@ $< \
		$(filter %.a,$^) $(PKG_LIBS) $(YAML_LIBS)
$(B)/asan/tests/%: tests/unit/%.c tests/unit/tap.h $$(call test_libs,$(B)/asan,$$*)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(COMPILE) -Itests/unit $(SAN_FLAGS) $(LDFLAGS) -o $@ $< \
		$(filter %.a,$^) $(PKG_LIBS) $(YAML_LIBS)

# A filter is a shared object whose only public symbol is nbdkit's
# filter_init; nbdkit's own symbols are resolved when nbdkit loads it.
NBDKIT_CFLAGS := $(shell pkg-config --cflags nbdkit 2>/dev/null)
$(B)/uch-%-filter.so: filters/%.c VERSION
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -D_GNU_SOURCE $(NBDKIT_CFLAGS) $(CPPFLAGS) $(UCH_CFLAGS) \
		$(CFLAGS) -fPIC -fvisibility=hidden -shared $(LDFLAGS) -o $@ $<

$(B)/man/%: docs/man/%.pod VERSION
	@mkdir -p $(dir $@)
	pod2man --utf8 --center="UCH" --release="uch $(VERSION)" \
		--section=$(subst .,,$(suffix $*)) --name=$(basename $(notdir $*)) $< $@

# Fuzzing needs clang's libFuzzer; `make check` runs it briefly.
FUZZ_CC ?= clang
$(B)/fuzz/fuzz-request: tests/fuzz/fuzz-request.c $(LIB_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(UCH_CPPFLAGS) $(UCH_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(CORE_SRC) $(PKG_LIBS)

deps:
	@./build-aux/install-deps

# make deps installs the test cloud's packages too (make check runs the
# wave on it); deps-cloud is kept for those who learnt it.
deps-cloud: deps

check: deps
	@$(MAKE) --no-print-directory all $(UNIT) $(UNIT_SAN) $(B)/fuzz/fuzz-request
	@tests/run

check-fast: deps
	@$(MAKE) --no-print-directory all $(UNIT) $(UNIT_SAN) $(B)/fuzz/fuzz-request
	@UCH_CHECK_FAST=1 tests/run

# The tests on the test cloud (tests/cloud/README.md): root, the cloud's
# packages; one cloud for them all (tests/cloud/with-cloud: up once,
# down after), the tests one at a time on it.  test-cloud-volume-attach
# (the cloud alone: an appliance booted, a volume attached) is not
# among them: test-cloud-osp-wave does all it does.  make check runs
# test-cloud-osp-wave (on a cloud of its own) among the others.
check-cloud: deps all
	@UCH_TEST_JOBS=1 tests/cloud/with-cloud tests/run \
		tests/cloud/test-cloud-os-modules.sh tests/cloud/test-cloud-os-discovery.sh \
		tests/cloud/test-cloud-osp-wave.sh tests/cloud/test-cloud-os-image-backed.sh \
		tests/cloud/test-cloud-os-ledger.sh tests/cloud/test-cloud-os-uefi.sh

# The Debian guest migrated warm from the tests' vCenter and converted:
# ~15 min on an idle machine (two libguestfs appliances and virt-v2v
# under TCG), too long for make check's budget beside
# test-convert-vcenter-debian; test-ansible-vmware-warm runs the same
# driver in make check on the phony Windows guest, through its in-place
# conversion (virtio-win's viostor.sys in the destination).
# test-vmware-wave-debian: the guest discovered with UCH's inspection
# and converted cold by a wave (~12 min); test-ansible-vmware-wave runs
# the wave's VMware paths in make check on small disks.
check-vmware: deps all
	@UCH_TEST_JOBS=1 tests/run tests/vcenter/test-vmware-warm-debian.sh \
		tests/vcenter/test-vmware-wave-debian.sh

fuzz: $(B)/fuzz/fuzz-request
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz-request -max_total_time=$${FUZZ_SECONDS:-600} \
		-dict=tests/fuzz/request.dict -artifact_prefix=$(B)/fuzz/ \
		$(B)/fuzz/corpus tests/fuzz/seeds

run: all
	@mkdir -p var/run var/images var/secrets
	$(B)/uchd --state-dir $(CURDIR)/var/lib --runtime-dir $(CURDIR)/var/run \
		--listen 127.0.0.1:10808 --unix $(CURDIR)/var/run/uchd.sock \
		--source-root $(CURDIR)/var/images --destination-root $(CURDIR)/var/images \
		--export-root $(CURDIR)/var/images --secret-root $(CURDIR)/var/secrets

bench: deps all
	@bench/run

demo: deps all
	@./demo/run

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(LIBEXECDIR)/uch $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(B)/uchd $(DESTDIR)$(SBINDIR)/uchd
	install -m 0755 $(B)/uch-job $(DESTDIR)$(LIBEXECDIR)/uch/uch-job
	install -m 0755 $(B)/uch-inspect $(DESTDIR)$(LIBEXECDIR)/uch/uch-inspect
	install -m 0755 $(FILTERS) $(DESTDIR)$(LIBEXECDIR)/uch/
	install -m 0755 $(B)/uchctl $(DESTDIR)$(BINDIR)/uchctl
	install -m 0644 service/ctl/uchctl.bash $(DESTDIR)$(BASHCOMPDIR)/uchctl
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

# The appliance's systemd units, config and first-boot pieces (appliance/);
# image-build/ runs this with PREFIX=/usr.
UNITDIR ?= /usr/lib/systemd/system
install-appliance: install
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)/usr/lib/tmpfiles.d \
		$(DESTDIR)/etc/uch $(DESTDIR)/etc/cloud/cloud.cfg.d
	install -m 0644 appliance/uchd.service appliance/uchd.socket \
		appliance/uch-tls.service $(DESTDIR)$(UNITDIR)/
	install -m 0755 appliance/uch-tls-init $(DESTDIR)$(LIBEXECDIR)/uch/
	install -m 0644 appliance/tmpfiles.d/uch.conf $(DESTDIR)/usr/lib/tmpfiles.d/uch.conf
	install -m 0644 appliance/uchd.conf $(DESTDIR)/etc/uch/uchd.conf
	install -m 0644 appliance/motd $(DESTDIR)/etc/motd
	install -m 0644 appliance/cloud-init/99-uch.cfg $(DESTDIR)/etc/cloud/cloud.cfg.d/

# The appliance image (image-build/): Debian 12, cached by recipe hash in
# $${UCH_CACHE:-~/.cache/uch}/images; prints its path and size.
image: deps all
	@image-build/build-debian
# CentOS Stream 10 from kickstart/uch.ks: needs its mirrors and KVM, and
# says which of them is missing.
image-centos:
	@image-build/build-centos
# The Containerfile, built here on the Debian base (podman import of the
# same root file system) with podman build --isolation=chroot.  Not in
# `make check`: it takes several minutes.
# The RPM the CentOS image's kickstart installs (rpm/uch.spec).
rpm:
	@build-aux/make-rpm

image-container: deps
	@image-build/build-container

clean:
	rm -rf $(B)
