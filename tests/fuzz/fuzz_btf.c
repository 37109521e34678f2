// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_btf.c - libFuzzer target: an untrusted BTF file (e.g. a module BTF file
 * copied from another host for `nft-discover --btf DIR`) opened the way
 * nft-discover opens it (btf__parse / btf__parse_split: raw BTF or ELF with
 * .BTF; from a memfd, libbpf 1.1 has no btf__new_split), then the skb scan of
 * nft-discover (nft-discover/btf_scan.c).
 * First byte odd: the blob is parsed as split BTF on top of a small base
 * holding struct sk_buff (as module BTF is on top of vmlinux).
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/records.h"
#include "nft-discover/btf_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct btf *base;
static int fd = -1;
static char path[64];

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

static struct btf *make_base(void)
{
	struct btf *b = btf__new_empty();
	int I, skb, pkt;

	if (!b)
		abort();
	I = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	skb = btf__add_struct(b, "sk_buff", 232);
	btf__add_field(b, "len", I, 0, 0);
	btf__add_ptr(b, skb);                        /* 4: struct sk_buff * */
	pkt = btf__add_struct(b, "nft_pktinfo", 8);  /* 5 */
	btf__add_field(b, "skb", skb + 1, 0, 0);
	btf__add_ptr(b, pkt);                        /* 6 */
	btf__add_ptr(b, skb + 1);                    /* 7: struct sk_buff ** */
	return b;
}

static int on_hit(const struct nt_btf_hit *h, void *ctx)
{
	unsigned *n = ctx;

	if (!h->name || h->arg < 1 || h->arg > 5)
		abort();
	if (h->kind != NT_KIND_SKB && h->kind != NT_KIND_SKB_PP && h->kind != NT_KIND_SKB_VIA &&
	    h->kind != NT_KIND_NFT_HOOK && h->kind != NT_KIND_TRACEPOINT)
		abort();
	(void)strlen(h->name);
	if (h->via_struct)
		(void)strlen(h->via_struct);
	if (h->via_member)
		(void)strlen(h->via_member);
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_btf_scan_stats st;
	struct btf *btf;
	unsigned hits = 0;

	if (!base) {
		libbpf_set_print(silent);
		base = make_base();
		fd = memfd_create("fuzz_btf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (size < 1)
		return 0;
	if (ftruncate(fd, 0) || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	if (data[0] & 1)
		btf = btf__parse_split(path, base);
	else
		btf = btf__parse(path, NULL);
	if (!btf || libbpf_get_error(btf))
		return 0;
	/* libbpf 1.1 accepts a type section at an offset that is not a multiple
	 * of 4 (kernel and pahole output never has one); its own inline
	 * accessors (btf_kind(), btf_vlen() ...) then read misaligned
	 * struct btf_type: benign on x86, but UB that would stop the fuzzer on
	 * libbpf's behalf.  Such blobs are skipped. */
	{
		const struct btf *bb = btf__base_btf(btf);
		uint32_t first = bb ? btf__type_cnt(bb) : 1;
		const void *t0 = first < btf__type_cnt(btf) ? btf__type_by_id(btf, first) : NULL;
		if (t0 && ((uintptr_t)t0 & 3)) {
			btf__free(btf);
			return 0;
		}
	}
	memset(&st, 0, sizeof(st));
	(void)nt_btf_scan(btf, 1, on_hit, &hits, &st);
	if (st.hits != hits)
		abort();
	btf__free(btf);
	return 0;
}
