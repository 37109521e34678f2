# pcapfilt/pcapfilt.mk - build the pcap-filter translator (pcapfilt/) and its
# tests on their own:  make -f pcapfilt/pcapfilt.mk [O=build] [SAN=1]
# (tests/golden/pcapfilt.sh runs it).  Needs libpcap-dev and libbpf-dev.
CC ?= gcc
O ?= build
SAN ?= 0
PCAPF_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I.
PCAPF_LDFLAGS :=
ifeq ($(SAN),1)
PCAPF_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PCAPF_LDFLAGS += -fsanitize=address,undefined
endif

PCAPF_SRCS := $(wildcard pcapfilt/*.c)
PCAPF_OBJS := $(patsubst %.c,$(O)/obj-pcapf/%.o,$(PCAPF_SRCS))
LIB_PCAPF := $(O)/libntpcapf.a
PCAPF_TLIB_SRCS := tests/pcapfilt/ebpf_interp.c tests/pcapfilt/harness.c tests/pcapfilt/pktgen.c
PCAPF_TLIB_OBJS := $(patsubst %.c,$(O)/obj-pcapf/%.o,$(PCAPF_TLIB_SRCS))
PCAPF_TESTS := $(patsubst tests/pcapfilt/%.c,$(O)/tests/pcapfilt/%,$(wildcard tests/pcapfilt/test_*.c))

.PHONY: pcapf-all
pcapf-all: $(LIB_PCAPF) $(PCAPF_TESTS)

$(O)/obj-pcapf/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(PCAPF_CFLAGS) -MMD -MP -c $< -o $@

$(LIB_PCAPF): $(PCAPF_OBJS)
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^

$(O)/tests/pcapfilt/%: tests/pcapfilt/%.c $(PCAPF_TLIB_OBJS) $(LIB_PCAPF)
	@mkdir -p $(dir $@)
	$(CC) $(PCAPF_CFLAGS) $(PCAPF_LDFLAGS) -o $@ $< $(PCAPF_TLIB_OBJS) $(LIB_PCAPF) -lpcap -lbpf -lelf -lz

-include $(PCAPF_OBJS:.o=.d) $(PCAPF_TLIB_OBJS:.o=.d)
