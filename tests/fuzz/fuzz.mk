# tests/fuzz/fuzz.mk - libFuzzer builds (clang-14, ASan + UBSan), used by
# tests/fuzz/run.sh:  make -f tests/fuzz/fuzz.mk [FO=build-fuzz] [targets]
# Each module library is rebuilt instrumented (coverage + sanitizers) into $(FO).
FCC     ?= clang-14
FO      ?= build-fuzz
FSAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FFLAGS  := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I. \
	   -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FSAN)
FLIBS   := -lzstd -lcjson -lm -lbpf -lelf -lz

CORE_SRCS     := $(wildcard common/*.c formats/*.c)
DISCOVER_SRCS := $(filter-out nft-discover/main.c,$(wildcard nft-discover/*.c))
MODEL_SRCS    := $(wildcard model/*.c)
# --filter: the recorder's parser, pcapfilt/ and the translator's test harness
PCAPF_SRCS    := $(wildcard pcapfilt/*.c) nft-record/capfilter.c tests/pcapfilt/ebpf_interp.c \
		 tests/pcapfilt/harness.c tests/pcapfilt/pktgen.c
fobj = $(patsubst %.c,$(FO)/obj/%.o,$(1))

TARGETS := logr model kallsyms trace_config btf analyze pcapf
all: $(addprefix $(FO)/fuzz_,$(TARGETS))

$(FO)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FCC) $(FFLAGS) -MMD -MP -c $< -o $@

$(FO)/libcore.a: $(call fobj,$(CORE_SRCS))
	rm -f $@; ar rcs $@ $^
$(FO)/libdiscover.a: $(call fobj,$(DISCOVER_SRCS))
	rm -f $@; ar rcs $@ $^
$(FO)/libmodel.a: $(call fobj,$(MODEL_SRCS))
	rm -f $@; ar rcs $@ $^
$(FO)/libpcapf.a: $(call fobj,$(PCAPF_SRCS))
	rm -f $@; ar rcs $@ $^

$(FO)/fuzz_logr $(FO)/fuzz_kallsyms: $(FO)/fuzz_%: $(FO)/obj/tests/fuzz/fuzz_%.o $(FO)/libcore.a
	$(FCC) -fsanitize=fuzzer $(FSAN) -o $@ $^ $(FLIBS)
$(FO)/fuzz_trace_config $(FO)/fuzz_btf: $(FO)/fuzz_%: $(FO)/obj/tests/fuzz/fuzz_%.o $(FO)/libdiscover.a $(FO)/libcore.a
	$(FCC) -fsanitize=fuzzer $(FSAN) -o $@ $^ $(FLIBS)
$(FO)/fuzz_model $(FO)/fuzz_analyze: $(FO)/fuzz_%: $(FO)/obj/tests/fuzz/fuzz_%.o $(FO)/libmodel.a $(FO)/libcore.a
	$(FCC) -fsanitize=fuzzer $(FSAN) -o $@ $^ $(FLIBS)
$(FO)/fuzz_pcapf: $(FO)/obj/tests/fuzz/fuzz_pcapf.o $(FO)/libpcapf.a $(FO)/libcore.a
	$(FCC) -fsanitize=fuzzer $(FSAN) -o $@ $^ $(FLIBS) -lpcap -ldl

# Seed generator (plain build: writes small valid inputs for every target)
$(FO)/mkseeds: tests/fuzz/mkseeds.c $(FO)/libcore.a
	$(FCC) $(FFLAGS) -fsanitize=fuzzer-no-link -o $@ $^ -fsanitize=fuzzer-no-link $(FSAN) $(FLIBS)

-include $(shell find $(FO) -name '*.d' 2>/dev/null)
