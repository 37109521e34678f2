# nft-tracer top-level Makefile.
#   make            build the three binaries into build/
#   make nft-analyze   only the analyzer (needs no BTF, no BPF, no root)
#   make test       run every test; ends with "N passed, N failed"
#   make demo       (root) install packages, build, run the netns demo
#   make deps       install build/test packages with apt-get
#   make bench      benchmarks (bench/README.md)
#   make SAN=1 ...  build with ASan + UBSan (into build-san/)
#   make man        man pages from man/*.scd (scdoc) into build/man/ (part of all)
#   make install    PREFIX=/usr/local DESTDIR= : binaries, man pages, bash completion,
#                   systemd unit (SYSTEMDUNITDIR), /etc/default/nft-record, docs

CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
SAN       ?= 0
O         ?= $(if $(filter 1,$(SAN)),build-san,build)

WARN      := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -I$(O)
ifeq ($(SAN),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
endif

LIBS_CORE := -lzstd -lcjson -lm
LIBS_BPF  := -lbpf -lelf -lz
LIBS_NFT  := -lnftables -lnftnl -lmnl
LIBS_PCAP := -lpcap

# Every directory's non-main .c file is a module; main.c is the binary's entry.
COMMON_SRCS   := $(wildcard common/*.c)
FORMATS_SRCS  := $(wildcard formats/*.c)
DISCOVER_SRCS := $(filter-out nft-discover/main.c,$(wildcard nft-discover/*.c))
RECORD_SRCS   := $(filter-out nft-record/main.c,$(wildcard nft-record/*.c))
# the recorder's pure logic: builds without the BPF skeleton, unit-tested
RECPURE_SRCS  := nft-record/corr.c nft-record/corr_keys.c nft-record/capfilter.c nft-record/mergeq.c nft-record/hostid.c \
                 nft-record/keep.c nft-record/rotate.c nft-record/rulewatch.c nft-record/netns.c nft-record/probemiss.c \
                 nft-record/nftrace_table.c
ANALYZE_SRCS  := $(filter-out nft-analyze/main.c,$(wildcard nft-analyze/*.c))
MODEL_SRCS    := $(wildcard model/*.c)
# --filter: pcap-filter expressions (libpcap) to eBPF and to answers on logs
PCAPF_SRCS    := $(wildcard pcapfilt/*.c)
BPF_SRCS      := $(wildcard bpf/*.bpf.c)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_CORE     := $(O)/libntcore.a
LIB_DISCOVER := $(O)/libntdiscover.a
LIB_RECORD   := $(O)/libntrecord.a
LIB_ANALYZE  := $(O)/libntanalyze.a
LIB_MODEL    := $(O)/libntmodel.a
LIB_RECPURE  := $(O)/libntrecpure.a
LIB_PCAPF    := $(O)/libntpcapf.a
SKELS        := $(patsubst bpf/%.bpf.c,$(O)/%.skel.h,$(BPF_SRCS))

BINS := $(O)/nft-discover $(O)/nft-record $(O)/nft-analyze
# man pages: man/NAME.SECTION.scd -> $(O)/man/NAME.SECTION (scdoc)
SCDOC     ?= scdoc
MAN_SRCS  := $(wildcard man/*.scd)
MANS      := $(patsubst man/%.scd,$(O)/man/%,$(MAN_SRCS))

.PHONY: all nft-discover nft-record nft-analyze man install test unit deps demo bench clean fuzz san-test
all: $(BINS) man
man: $(MANS)
nft-discover: $(O)/nft-discover
nft-record: $(O)/nft-record
nft-analyze: $(O)/nft-analyze

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_CORE): $(call obj,$(COMMON_SRCS) $(FORMATS_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_DISCOVER): $(call obj,$(DISCOVER_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_ANALYZE): $(call obj,$(ANALYZE_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_MODEL): $(call obj,$(MODEL_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_RECPURE): $(call obj,$(RECPURE_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_PCAPF): $(call obj,$(PCAPF_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIB_RECORD): $(call obj,$(RECORD_SRCS))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^

# ---- BPF: vmlinux.h from the build host's BTF, CO-RE objects, skeletons ----
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
$(O)/vmlinux.h:
	@mkdir -p $(dir $@)
	@test -r $(VMLINUX_BTF) || { echo "error: $(VMLINUX_BTF) not readable: building nft-record needs a kernel with BTF (or VMLINUX_BTF=FILE)" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(O)/%.bpf.o: bpf/%.bpf.c $(O)/vmlinux.h common/records.h common/bpf_shared.h common/valve.h $(wildcard bpf/*.h)
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 -D__BPF__ -I$(O) -I. -Wall -Werror -c $< -o $@

$(O)/%.skel.h: $(O)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(call obj,$(filter-out $(RECPURE_SRCS),$(RECORD_SRCS)) nft-record/main.c): $(SKELS)
# the web page of --serve, embedded by .incbin (not seen by -MMD)
$(O)/obj/nft-record/serve_page.o: $(wildcard nft-record/webui/*)

# ---- binaries ----
$(O)/nft-discover: $(O)/obj/nft-discover/main.o $(LIB_DISCOVER) $(LIB_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_BPF)

$(O)/nft-analyze: $(O)/obj/nft-analyze/main.o $(LIB_ANALYZE) $(LIB_MODEL) $(LIB_PCAPF) $(LIB_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(LIBS_PCAP)

# whole-archive: the function backends (nft-record/attach_*.c) are only reached
# through weak references of backend.c, which do not pull archive members.
$(O)/nft-record: $(O)/obj/nft-record/main.o $(LIB_RECORD) $(LIB_DISCOVER) $(LIB_MODEL) $(LIB_PCAPF) $(LIB_CORE)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(LIB_RECORD) -Wl,--no-whole-archive \
		$(LIB_DISCOVER) $(LIB_MODEL) $(LIB_PCAPF) $(LIB_CORE) $(LIBS_CORE) $(LIBS_BPF) $(LIBS_NFT) \
		$(LIBS_PCAP) -lmicrohttpd -lpthread

$(O)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	@command -v $(SCDOC) >/dev/null || { echo "error: scdoc missing: the man pages are written in scdoc (apt-get install scdoc, or scripts/deps.sh)" >&2; exit 1; }
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# ---- install (PREFIX, DESTDIR; the Debian package: PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system) ----
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/nft-tracer
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
INSTALL       ?= install

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	$(INSTALL) -m 0755 $(O)/nft-analyze $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(O)/nft-record $(O)/nft-discover $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(filter %.1,$(MANS)) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(filter %.8,$(MANS)) $(DESTDIR)$(MANDIR)/man8/
	for c in nft-record nft-analyze nft-discover; do \
		$(INSTALL) -m 0644 completion/nft-tracer.bash $(DESTDIR)$(COMPLETIONDIR)/$$c || exit 1; done
	sed 's|/usr/sbin/nft-record|$(SBINDIR)/nft-record|; s|/etc/default/nft-record|$(SYSCONFDIR)/default/nft-record|' \
		samples/nft-record.service > $(DESTDIR)$(SYSTEMDUNITDIR)/nft-record.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/nft-record.service
	$(INSTALL) -m 0644 samples/nft-record.default $(DESTDIR)$(SYSCONFDIR)/default/nft-record
	$(INSTALL) -m 0644 README.md formats/FORMAT.md $(DESTDIR)$(DOCDIR)/

# ---- tests ----
# tests/unit/test_*.c: one binary each, linked with every module library
# (of nft-record: the pure logic, libntrecpure.a).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(TOOL_SRCS))

$(O)/tests/%: tests/unit/%.c $(LIB_RECPURE) $(LIB_DISCOVER) $(LIB_ANALYZE) $(LIB_MODEL) $(LIB_PCAPF) $(LIB_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_RECPURE) $(LIB_DISCOVER) $(LIB_ANALYZE) $(LIB_MODEL) $(LIB_PCAPF) $(LIB_CORE) $(LIBS_CORE) $(LIBS_BPF) $(LIBS_PCAP)

# tests/pcapfilt/test_*.c: the --filter translator and evaluators against
# libpcap and the kernel (run by tests/golden/pcapfilt.sh)
PCAPF_TSUP  := $(call obj,tests/pcapfilt/ebpf_interp.c tests/pcapfilt/harness.c tests/pcapfilt/pktgen.c)
PCAPF_TESTS := $(patsubst tests/pcapfilt/%.c,$(O)/tests/pcapfilt/%,$(wildcard tests/pcapfilt/test_*.c))
$(O)/tests/pcapfilt/%: tests/pcapfilt/%.c $(PCAPF_TSUP) $(LIB_PCAPF) $(LIB_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PCAPF_TSUP) $(LIB_PCAPF) $(LIB_CORE) $(LIBS_PCAP) $(LIBS_BPF)

# a tool of several files: its main tests/tools/NAME.c, its parts tests/tools/NAME/*.c
TOOL_PARTS = $(call obj,$(wildcard tests/tools/$(1)/*.c))
$(O)/tests/tools/%: tests/tools/%.c $(LIB_MODEL) $(LIB_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call TOOL_PARTS,$*) $(LIB_MODEL) $(LIB_CORE) $(LIBS_CORE)
$(O)/tests/tools/mkhostile: $(call TOOL_PARTS,mkhostile) tests/tools/mkhostile/mkhostile.h
$(O)/tests/tools/mklog: $(call TOOL_PARTS,mklog) tests/tools/mklog/mklog.h
$(O)/tests/tools/pcap_ids: tests/tools/pcap_ids.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_PCAP)

# tests/fuzz/fuzz_*.c outside libFuzzer: replay reproducers and corpora
# (tests/golden/fuzz_regressions.sh); libFuzzer builds: tests/fuzz/fuzz.mk.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/tests/fuzz/%,$(FUZZ_SRCS))

$(O)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIB_DISCOVER) $(LIB_MODEL) $(LIB_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIB_DISCOVER) $(LIB_MODEL) $(LIB_CORE) $(LIBS_CORE) $(LIBS_BPF)

# the --filter input: the recorder's parser, the translator's test harness, libpcap
$(O)/tests/fuzz/fuzz_pcapf: tests/fuzz/fuzz_pcapf.c tests/fuzz/replay_main.c $(PCAPF_TSUP) $(LIB_RECPURE) $(LIB_PCAPF) $(LIB_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(PCAPF_TSUP) $(LIB_RECPURE) $(LIB_PCAPF) $(LIB_CORE) $(LIBS_CORE) $(LIBS_PCAP) $(LIBS_BPF) -ldl

# test_attach.c includes nft-record/attach_*.c, which include the skeleton
$(O)/tests/test_attach: $(SKELS)

# tests/vm/nt_vmprobe.c: driver of the function backends inside the test VMs
VMPROBE := $(O)/tests/tools/nt-vmprobe
VMPROBE_OBJS := $(call obj,$(wildcard nft-record/attach_*.c) nft-record/tracepoints.c)
$(VMPROBE): tests/vm/nt_vmprobe.c $(VMPROBE_OBJS) $(LIB_DISCOVER) $(LIB_CORE) $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(VMPROBE_OBJS) $(LIB_DISCOVER) $(LIB_CORE) $(LIBS_CORE) $(LIBS_BPF) -lpthread

# tests/vm/nt_vstat.c: the verifier's cost of one program (bench/verifier.sh)
VSTAT := $(O)/tests/tools/nt-vstat
$(VSTAT): tests/vm/nt_vstat.c $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_BPF)

# tests/tools/bpfstack: the combined stack of nt.bpf.o's programs by 6.1's and
# 6.12's verifier rules, from the object file (libelf); test_bpfstack checks
# the built object with it (the object stays: it is named here)
BPFSTACK_OBJS := $(call obj,$(wildcard tests/tools/bpfstack/*.c))
$(BPFSTACK_OBJS): tests/tools/bpfstack/bpfstack.h
$(O)/tests/tools/bpfstack: tests/tools/bpfstack.c $(BPFSTACK_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lelf
$(O)/tests/test_bpfstack: tests/unit/test_bpfstack.c $(BPFSTACK_OBJS) $(O)/nt.bpf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BPFSTACK_OBJS) -lelf

# tests/vm/nt_vstack.c: the same rules on the verifier's own stack depths of
# one program under a configuration (root; bench/verifier.sh)
VSTACK := $(O)/tests/tools/nt-vstack
$(VSTACK): tests/vm/nt_vstack.c $(BPFSTACK_OBJS) $(LIB_RECPURE) $(LIB_PCAPF) $(LIB_CORE) $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BPFSTACK_OBJS) $(LIB_RECPURE) $(LIB_PCAPF) $(LIB_CORE) \
		$(LIBS_CORE) $(LIBS_BPF) $(LIBS_PCAP)

unit: $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_BINS) $(VMPROBE) $(VSTAT) $(VSTACK) $(PCAPF_TESTS)

test: all unit
	@O=$(O) tests/run.sh

san-test:
	$(MAKE) SAN=1 test

deps:
	scripts/deps.sh

demo:
	scripts/deps.sh
	$(MAKE) all
	scripts/demo.sh

bench: all unit
	O=$(O) bench/run.sh

fuzz:
	tests/fuzz/run.sh

clean:
	rm -rf build build-san

-include $(shell find $(O) -name '*.d' 2>/dev/null)
