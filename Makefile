# pamjwt: token login for Linux.  See README.md.
#
#   make                 build libpjwt, pam_jwt.so, jwt-issuerd, jwtctl
#   make check           build and run every test (installs test deps as root)
#   make bench           benchmarks, printed beside baselines measured in the same run
#   make run             the demo issuer on 127.0.0.1:8080 (installs only the demo's deps)
#   make deps-run / deps  install the build+demo packages / those and the test set
#   make install / uninstall   honour PREFIX, DESTDIR, PAMDIR, sysconfdir
#   make asan / ubsan    make check again, built with ASan+UBSan / UBSan
#   make asan-check      the unit tests only, built with ASan+UBSan
#
# Objects go to $(B)/ (default build/); a sanitizer build uses another B so
# the two never mix:  make B=build-asan SAN=address,undefined check

PREFIX     ?= /usr/local
exec_prefix ?= $(PREFIX)
bindir     ?= $(exec_prefix)/bin
sbindir    ?= $(exec_prefix)/sbin
libdir     ?= $(exec_prefix)/lib
datarootdir ?= $(PREFIX)/share
mandir     ?= $(datarootdir)/man
docdir     ?= $(datarootdir)/doc/pamjwt
sysconfdir ?= /etc
# libpam loads bare module names only from its own directory, on Debian
# /lib/<triplet>/security (pam.pc has no securedir): install there when it
# exists, so the recipes' "pam_jwt.so" is found; elsewhere $(libdir)/security.
MULTIARCH  ?= $(shell $(CC) -print-multiarch 2>/dev/null)
PAMDIR     ?= $(if $(and $(MULTIARCH),$(wildcard /lib/$(MULTIARCH)/security/.)),/lib/$(MULTIARCH)/security,$(libdir)/security)

CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
B          ?= build
SAN        ?=

WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wcast-qual
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

PKGS_CORE = openssl jansson
CORE_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS_CORE) 2>/dev/null)
CORE_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS_CORE) 2>/dev/null)
PAM_LIBS    := $(shell $(PKG_CONFIG) --libs pam 2>/dev/null || echo -lpam)
MHD_CFLAGS  := $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS    := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)
# The daemon sets libmicrohttpd's TLS policy and certificate through GnuTLS.
GNUTLS_CFLAGS := $(shell $(PKG_CONFIG) --cflags gnutls 2>/dev/null)
GNUTLS_LIBS := $(shell $(PKG_CONFIG) --libs gnutls 2>/dev/null || echo -lgnutls)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# The session store (issuer/sessions: SQLite) and jwtctl's HTTP client (libcurl).
SQLITE_LIBS := $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null || echo -lsqlite3)
# The store replicas share (issuer/sessions/store_redis*.c): hiredis.
HIREDIS_CFLAGS := $(shell $(PKG_CONFIG) --cflags hiredis 2>/dev/null)
HIREDIS_LIBS := $(shell $(PKG_CONFIG) --libs hiredis 2>/dev/null || echo -lhiredis)
CURL_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)

# Sanitizer builds (SAN=address,undefined or SAN=undefined): halt on the
# first error.  ASan's crypt() interceptor looks up the real crypt() once,
# at startup; when libcrypt only arrives later (pam_unix dlopened by libpam)
# it stays NULL and pam_unix jumps to address 0, so every sanitized binary
# links libcrypt from the start.  pam_wrapper/nss_wrapper dlopen with
# RTLD_DEEPBIND, which ASan refuses: the tests run with it off.
SANFLAGS =
SAN_LIBS =
SAN_ENV  =
ifneq ($(SAN),)
SANFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all
SAN_LIBS = -Wl,--push-state,--no-as-needed -lcrypt -Wl,--pop-state
SAN_ENV  = PAM_WRAPPER_DISABLE_DEEPBIND=1 NSS_WRAPPER_DISABLE_DEEPBIND=1
endif

# PIC and DAEMON_CFLAGS are set per object below: -fPIC only where the code
# ends up in pam_jwt.so (the module's objects and libpjwt, which it links),
# libmicrohttpd's and GnuTLS's flags only where their headers are read.
PIC =
DAEMON_CFLAGS =
SESSIONS_INC =
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(PIC) -fvisibility=hidden -Icommon $(SESSIONS_INC) \
             $(WARNINGS) $(CORE_CFLAGS) $(DAEMON_CFLAGS) $(CFLAGS) $(SANFLAGS) \
             -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) $(SAN_LIBS)

# Products: in-tree for the default build, inside $(B) for any other.
ifeq ($(B),build)
PAM_SO   = pam_module/pam_jwt.so
ISSUERD  = issuer/jwt-issuerd/jwt-issuerd
JWTCTL   = issuer/jwtctl/jwtctl
else
PAM_SO   = $(B)/pam_jwt.so
ISSUERD  = $(B)/jwt-issuerd
JWTCTL   = $(B)/jwtctl
endif
# ssh and sudo run their askpass program with only the prompt: this name
# (a symlink to jwtctl) selects `jwtctl askpass`.
JWTCTL_ASKPASS = $(dir $(JWTCTL))jwtctl-askpass
LIBPJWT = $(B)/libpjwt.a
# The refresh-session store, shared by jwt-issuerd and jwtctl (and tests).
LIBSTORE = $(B)/libstore.a

COMMON_SRC  = $(wildcard common/*.c)
MODULE_SRC  = $(wildcard pam_module/*.c)
# Two programs, one folder each.
ISSUERD_SRC = $(wildcard issuer/jwt-issuerd/*.c)
CTL_SRC     = $(wildcard issuer/jwtctl/*.c)
# The session store both programs read (store.h): one folder of its own.
SESSIONS_SRC = $(wildcard issuer/sessions/*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))

$(call obj,$(COMMON_SRC) $(MODULE_SRC)): PIC = -fPIC
$(call obj,$(ISSUERD_SRC)): DAEMON_CFLAGS = $(MHD_CFLAGS) $(GNUTLS_CFLAGS)
$(call obj,$(ISSUERD_SRC) $(CTL_SRC) $(SESSIONS_SRC)): SESSIONS_INC = -Iissuer/sessions
$(call obj,$(SESSIONS_SRC)): DAEMON_CFLAGS = $(HIREDIS_CFLAGS)

# Test and bench programs: every tests/<group>/*.c and bench/*.c is one
# program linked against libpjwt and the libraries it may need.
TEST_C      = $(wildcard tests/unit/*.c tests/interop/*.c tests/pam/*.c tests/issuer/*.c tests/e2e/*.c)
TEST_BINS   = $(patsubst %.c,$(B)/%,$(TEST_C))
BENCH_C     = $(wildcard bench/*.c)
BENCH_BINS  = $(patsubst %.c,$(B)/%,$(BENCH_C))
PROG_LIBS   = $(LIBSTORE) $(LIBPJWT) $(CMOCKA_LIBS) $(MHD_LIBS) $(PAM_LIBS) -lpam_misc \
              $(SQLITE_LIBS) $(HIREDIS_LIBS) $(CURL_LIBS) $(CORE_LIBS) -lpthread -ldl
# Programs that read the daemon's (or libmicrohttpd's) headers.
$(B)/tests/issuer/ratelimit_full $(B)/tests/issuer/ratelimit_shared \
$(B)/bench/bench_issue_baseline: private DAEMON_CFLAGS = $(MHD_CFLAGS) $(GNUTLS_CFLAGS)
# ratelimit.c reads the store's header (shared rate limits).
$(B)/tests/issuer/ratelimit_full $(B)/tests/issuer/ratelimit_shared: \
	private SESSIONS_INC = -Iissuer/sessions

# The fuzz targets (tests/fuzz/fuzz_*.c); make tests builds their replays,
# $(B)/tests/fuzz/replay_<target>, but for replay_fuzz_issuer, which reaches
# into the daemon's internals: make fuzz-replay and make fuzz build it, so a
# change there never breaks make tests.
FUZZ_TARGETS    = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAYS    = $(patsubst %,$(B)/tests/fuzz/replay_%,$(FUZZ_TARGETS))

.PHONY: all lib module issuer tests check check-unit check-pam check-issuer \
        check-e2e check-interop check-dist check-fuzz asan ubsan asan-check bench run \
        deps deps-run install uninstall clean fuzz
all: lib $(if $(MODULE_SRC),module) $(if $(ISSUERD_SRC),issuer)

lib: $(LIBPJWT)
module: $(PAM_SO)
issuer: $(if $(ISSUERD_SRC),$(ISSUERD)) $(if $(CTL_SRC),$(JWTCTL) $(JWTCTL_ASKPASS))
tests: all $(TEST_BINS) $(BENCH_BINS) $(filter-out %/replay_fuzz_issuer,$(FUZZ_REPLAYS))

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBPJWT): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBSTORE): $(call obj,$(SESSIONS_SRC))
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(PAM_SO): $(call obj,$(MODULE_SRC)) $(LIBPJWT) pam_module/pam_jwt.map
	$(CC) -shared -o $@ $(call obj,$(MODULE_SRC)) $(LIBPJWT) $(ALL_LDFLAGS) \
	  -Wl,--version-script=pam_module/pam_jwt.map -Wl,--no-undefined \
	  -Wl,-z,relro,-z,now $(PAM_LIBS) $(CORE_LIBS)

$(ISSUERD): $(call obj,$(ISSUERD_SRC)) $(LIBSTORE) $(LIBPJWT)
	$(CC) -o $@ $(call obj,$(ISSUERD_SRC)) $(LIBSTORE) $(LIBPJWT) $(ALL_LDFLAGS) \
	  -Wl,-z,relro,-z,now $(MHD_LIBS) $(GNUTLS_LIBS) $(PAM_LIBS) $(SQLITE_LIBS) \
	  $(HIREDIS_LIBS) $(CORE_LIBS) -lpthread

# key_dir's schedule (keyring.c) and the daemon's option reader it needs,
# one copy of the code: jwtctl keys list links these objects, and
# test_keyring the schedule itself.
KEYRING_OBJ = $(call obj,issuer/jwt-issuerd/keyring.c)
CTL_ISSUERD_OBJ = $(call obj,$(addprefix issuer/jwt-issuerd/,keyring.c issuer_conf.c \
                  scope.c listen_spec.c netaddr.c signer.c))
$(call obj,issuer/jwtctl/keys.c issuer/jwtctl/store_open.c): SESSIONS_INC = -Iissuer/sessions -Iissuer/jwt-issuerd

$(JWTCTL): $(call obj,$(CTL_SRC)) $(CTL_ISSUERD_OBJ) $(LIBSTORE) $(LIBPJWT)
	$(CC) -o $@ $(call obj,$(CTL_SRC)) $(CTL_ISSUERD_OBJ) $(LIBSTORE) $(LIBPJWT) $(ALL_LDFLAGS) \
	  -Wl,-z,relro,-z,now $(CURL_LIBS) $(SQLITE_LIBS) $(HIREDIS_LIBS) $(CORE_LIBS) -lpthread

$(JWTCTL_ASKPASS): | $(JWTCTL)
	ln -sfn jwtctl $@

$(B)/tests/%: tests/%.c $(LIBSTORE) $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iissuer/sessions -Itests/lib -o $@ $< $(ALL_LDFLAGS) -Wl,--as-needed $(PROG_LIBS)

$(B)/tests/unit/test_keyring: tests/unit/test_keyring.c $(KEYRING_OBJ) $(LIBSTORE) $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iissuer/jwt-issuerd -Itests/lib -o $@ $< $(KEYRING_OBJ) \
	  $(ALL_LDFLAGS) -Wl,--as-needed $(PROG_LIBS)

$(B)/bench/%: bench/%.c $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) -Wl,--as-needed $(PROG_LIBS)

# ---- dependencies -------------------------------------------------------
# deps-run: what the build and `make run` need; deps: that and every test
# package (tests/deps.sh lists both sets).
deps:
	@sh tests/deps.sh test

deps-run:
	@sh tests/deps.sh run

# ---- tests --------------------------------------------------------------
# tests/run.sh runs one group (unit, interop, pam, issuer, e2e, dist, fuzz)
# or all.
TEST_ENV = PAMJWT_B=$(abspath $(B)) PAMJWT_MODULE=$(abspath $(PAM_SO)) \
           PAMJWT_ISSUERD=$(abspath $(ISSUERD)) PAMJWT_JWTCTL=$(abspath $(JWTCTL)) \
           PAMJWT_SAN=$(SAN) $(SAN_ENV)

check: deps
	$(MAKE) tests
	$(TEST_ENV) sh tests/run.sh all

check-unit check-pam check-issuer check-e2e check-interop check-dist check-fuzz: deps
	$(MAKE) tests
	$(TEST_ENV) sh tests/run.sh $(patsubst check-%,%,$@)

# The whole check again under the sanitizers, each in its own build tree.
asan:
	$(MAKE) B=build-asan SAN=address,undefined check

ubsan:
	$(MAKE) B=build-ubsan SAN=undefined check

asan-check:
	$(MAKE) B=build-asan SAN=address,undefined check-unit

bench: deps
	$(MAKE) CFLAGS="-O2 -g" tests
	$(TEST_ENV) sh bench/run.sh

run: deps-run all
	$(TEST_ENV) sh etc/demo/run.sh

# ---- install ------------------------------------------------------------
# Debian practice: programs, module, man pages, systemd units and sysusers
# file go where the system looks for them; every example goes to
# $(docdir)/examples.  The three config files that the daemon and module
# read are placed under $(sysconfdir) only when absent (never overwriting an
# admin's file; all their options are commented out, so installing changes
# no login), and uninstall removes them only while they are unchanged.
systemdunitdir ?= $(libdir)/systemd/system
sysusersdir    ?= $(libdir)/sysusers.d
tmpfilesdir    ?= $(libdir)/tmpfiles.d
MAN_PAGES = pam_module/pam_jwt.8 pam_module/pam_jwt.conf.5 issuer/jwt-issuerd/jwt-issuerd.8 issuer/jwtctl/jwtctl.1
# etc/X is installed as $(docdir)/examples/X.
EXAMPLES  = pam_jwt.conf jwt-issuerd.conf client.conf pam.d/jwt-issuer pam.d/sshd.example \
            pam.d/sudo.example pam.d/jwt-issuer-otp sshd_config.d/pam_jwt.conf \
            systemd/jwt-issuerd.service systemd/jwt-issuerd.socket \
            systemd/pamjwt-sync.service systemd/pamjwt-sync.timer \
            sysusers.d/jwt-issuerd.conf tmpfiles.d/jwt-issuerd.conf nginx/jwt-issuer.conf \
            fail2ban/filter.d/jwt-issuerd.conf fail2ban/jail.d/jwt-issuerd.local \
            replicas/jwt-issuerd-a.conf replicas/jwt-issuerd-b.conf replicas/nginx-upstream.conf \
            replicas/redis.conf
EXAMPLE_DIRS = pam.d sshd_config.d systemd sysusers.d tmpfiles.d nginx fail2ban/filter.d \
            fail2ban/jail.d fail2ban replicas
# source in etc/ -> path under $(sysconfdir)
CONFFILES = pam_jwt.conf:security/pam_jwt.conf \
            jwt-issuerd.conf:pamjwt/jwt-issuerd.conf \
            pam.d/jwt-issuer:pam.d/jwt-issuer
# The units name /usr/local/sbin, /usr/local/bin and /etc; point them at
# this install.  The daemon's units and the host's sync units (jwtctl sync).
UNITS    = jwt-issuerd.service jwt-issuerd.socket pamjwt-sync.service pamjwt-sync.timer
UNIT_SED = sed -e 's|/usr/local/sbin/|$(sbindir)/|g' -e 's|/usr/local/bin/|$(bindir)/|g' \
               -e 's|/etc/pamjwt/|$(sysconfdir)/pamjwt/|g'

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir)
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_jwt.so
	$(if $(ISSUERD_SRC),install -m 0755 $(ISSUERD) $(DESTDIR)$(sbindir)/jwt-issuerd)
	$(if $(CTL_SRC),install -m 0755 $(JWTCTL) $(DESTDIR)$(bindir)/jwtctl)
	$(if $(CTL_SRC),ln -sfn jwtctl $(DESTDIR)$(bindir)/jwtctl-askpass)
	for m in $(MAN_PAGES); do \
	    s=$${m##*.}; install -d $(DESTDIR)$(mandir)/man$$s && \
	    install -m 0644 $$m $(DESTDIR)$(mandir)/man$$s/ || exit 1; \
	done
	install -d $(DESTDIR)$(systemdunitdir) $(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir)
	for u in $(UNITS); do \
	    $(UNIT_SED) etc/systemd/$$u > $(DESTDIR)$(systemdunitdir)/$$u && \
	    chmod 0644 $(DESTDIR)$(systemdunitdir)/$$u || exit 1; \
	done
	install -m 0644 etc/sysusers.d/jwt-issuerd.conf $(DESTDIR)$(sysusersdir)/jwt-issuerd.conf
	install -m 0644 etc/tmpfiles.d/jwt-issuerd.conf $(DESTDIR)$(tmpfilesdir)/jwt-issuerd.conf
	install -d $(DESTDIR)$(docdir)/examples
	install -m 0644 README.md $(DESTDIR)$(docdir)/README.md
	for f in $(EXAMPLES); do \
	    install -d $(DESTDIR)$(docdir)/examples/$$(dirname $$f) && \
	    install -m 0644 etc/$$f $(DESTDIR)$(docdir)/examples/$$f || exit 1; \
	done
	for c in $(CONFFILES); do \
	    src=etc/$${c%%:*}; dst=$(DESTDIR)$(sysconfdir)/$${c#*:}; \
	    if [ -e $$dst ]; then echo "make install: keeping existing $$dst"; \
	    else install -d $$(dirname $$dst) && install -m 0644 $$src $$dst || exit 1; fi; \
	done

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_jwt.so $(DESTDIR)$(sbindir)/jwt-issuerd \
	      $(DESTDIR)$(bindir)/jwtctl $(DESTDIR)$(bindir)/jwtctl-askpass
	for m in $(MAN_PAGES); do \
	    s=$${m##*.}; rm -f $(DESTDIR)$(mandir)/man$$s/$${m##*/}; \
	done
	for u in $(UNITS); do rm -f $(DESTDIR)$(systemdunitdir)/$$u; done
	rm -f $(DESTDIR)$(sysusersdir)/jwt-issuerd.conf \
	      $(DESTDIR)$(tmpfilesdir)/jwt-issuerd.conf
	for f in $(EXAMPLES); do rm -f $(DESTDIR)$(docdir)/examples/$$f; done
	rm -f $(DESTDIR)$(docdir)/README.md
	for d in $(EXAMPLE_DIRS); do \
	    rmdir $(DESTDIR)$(docdir)/examples/$$d 2>/dev/null || true; done
	rmdir $(DESTDIR)$(docdir)/examples $(DESTDIR)$(docdir) 2>/dev/null || true
	for c in $(CONFFILES); do \
	    src=etc/$${c%%:*}; dst=$(DESTDIR)$(sysconfdir)/$${c#*:}; \
	    if cmp -s $$src $$dst; then rm -f $$dst; \
	    elif [ -e $$dst ]; then echo "make uninstall: keeping modified $$dst"; fi; \
	done
	rmdir $(DESTDIR)$(sysconfdir)/pamjwt 2>/dev/null || true

clean:
	rm -rf build build-* pam_module/pam_jwt.so issuer/jwt-issuerd/jwt-issuerd \
	      issuer/jwtctl/jwtctl issuer/jwtctl/jwtctl-askpass

# ---- fuzzing (tests/fuzz: clang libFuzzer with ASan + UBSan) -------------
# make fuzz [FUZZ_SECONDS=N]  build every tests/fuzz/fuzz_*.c target into
#   $(FUZZ_B) (library rebuilt with clang, coverage and sanitizers) and run
#   each N seconds, one at a time, on a scratch copy of its seed corpus;
#   any crash, leak or hang fails.  make fuzz-ci is the short run of CI.
# make tests also builds $(B)/tests/fuzz/replay_<target>: the same targets
#   with a plain main() that replays the seeds and regressions under the
#   normal compiler (tests/fuzz/replay.sh runs them in make check).
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 20
FUZZ_B          ?= build-fuzz
FUZZ_CC         ?= clang
FUZZ_SAN        = fuzzer-no-link,address,undefined

.PHONY: fuzz-ci fuzz-build fuzz-replay
fuzz-replay: $(FUZZ_REPLAYS)

$(B)/tests/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/replay.c $(ALL_LDFLAGS) \
	  -Wl,--as-needed $(PROG_LIBS)

$(B)/fuzz/%: tests/fuzz/%.c $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(ALL_LDFLAGS) \
	  -fsanitize=fuzzer -Wl,--as-needed $(PROG_LIBS)

# fuzz_issuer links the daemon's objects (all but main.c) and drives a real
# in-process libmicrohttpd daemon over loopback.
FUZZ_ISSUER_OBJ = $(call obj,$(filter-out issuer/jwt-issuerd/main.c,$(ISSUERD_SRC)))
FUZZ_ISSUER_LIBS = $(LIBSTORE) $(LIBPJWT) $(MHD_LIBS) $(GNUTLS_LIBS) $(PAM_LIBS) \
                   $(SQLITE_LIBS) $(HIREDIS_LIBS) $(CORE_LIBS) -lpthread
$(B)/tests/fuzz/replay_fuzz_issuer $(B)/fuzz/fuzz_issuer: \
	private DAEMON_CFLAGS = $(MHD_CFLAGS) $(GNUTLS_CFLAGS)

$(B)/tests/fuzz/replay_fuzz_issuer: tests/fuzz/fuzz_issuer.c tests/fuzz/replay.c \
		$(FUZZ_ISSUER_OBJ) $(LIBSTORE) $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -Iissuer/jwt-issuerd -Iissuer/sessions -o $@ $< tests/fuzz/replay.c \
	  $(FUZZ_ISSUER_OBJ) $(ALL_LDFLAGS) $(FUZZ_ISSUER_LIBS)

$(B)/fuzz/fuzz_issuer: tests/fuzz/fuzz_issuer.c $(FUZZ_ISSUER_OBJ) $(LIBSTORE) $(LIBPJWT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -Iissuer/jwt-issuerd -Iissuer/sessions -fsanitize=fuzzer -o $@ $< \
	  $(FUZZ_ISSUER_OBJ) $(ALL_LDFLAGS) -fsanitize=fuzzer $(FUZZ_ISSUER_LIBS)


fuzz-build: deps
	$(MAKE) CC=$(FUZZ_CC) B=$(FUZZ_B) SAN=$(FUZZ_SAN) WERROR= lib $(FUZZ_B)/libstore.a \
	  $(patsubst %,$(FUZZ_B)/fuzz/%,$(FUZZ_TARGETS))

fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
