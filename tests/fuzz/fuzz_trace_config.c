// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_trace_config.c - libFuzzer target: nt_trace_config_load()
 * (nft-discover/config_json.c) on arbitrary bytes, read from a memfd (the
 * loader only takes a path), without and with a table of known functions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nft-discover/discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t addrs1[] = { 0xffffffff81a2b3c0ull };
static uint64_t addrs2[] = { 0xffffffffc0001000ull, 0xffffffffc0002000ull };
static struct nt_func known_v[] = {
	{ .name = "ip_rcv", .layer = "IPv4", .kind = NT_KIND_SKB, .arg = 1, .btf_id = 10,
	  .addrs = addrs1, .naddrs = 1, .flags = NT_FN_PROBEABLE },
	{ .name = "nft_do_chain", .layer = "Netfilter", .kind = NT_KIND_NFT_HOOK, .arg = 1,
	  .btf_id = 11, .via = "nft_pktinfo.skb", .flags = NT_FN_PROBEABLE },
	{ .name = "br_handle_frame", .module = "bridge", .layer = "Bridge", .kind = NT_KIND_SKB_PP,
	  .arg = 1, .btf_id = 12, .addrs = addrs2, .naddrs = 2, .flags = NT_FN_MULTI_ADDR },
	{ .name = "net:netif_receive_skb", .layer = "Device", .kind = NT_KIND_TRACEPOINT, .arg = 1,
	  .btf_id = 13, .flags = NT_FN_PROBEABLE },
};
static const struct nt_funcs known = { .v = known_v, .n = sizeof(known_v) / sizeof(known_v[0]) };

static int fd = -1;
static char path[64];

static void check(const struct nt_funcs *f, int rc, const char *err)
{
	if (rc < 0 && !*err)
		abort(); /* every error is explained */
	if (rc < 0 && (f->v || f->n))
		abort(); /* and leaves nothing behind */
	for (size_t i = 0; i < f->n; i++) {
		const struct nt_func *fn = &f->v[i];
		if (!fn->name || !fn->layer || fn->arg < 1 || fn->arg > 5 || fn->priority < 0 ||
		    fn->priority > 3 || !(fn->flags & NT_FN_ENABLED))
			abort();
		(void)strlen(fn->name);
		if (fn->module)
			(void)strlen(fn->module);
		if (fn->via)
			(void)strlen(fn->via);
		for (uint32_t j = 0; j < fn->naddrs; j++)
			(void)fn->addrs[j];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_funcs out;
	char err[256];
	int rc;

	if (fd < 0) {
		fd = memfd_create("fuzz_trace_config", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	rc = nt_trace_config_load(path, NULL, &out, err, sizeof(err));
	check(&out, rc, err);
	nt_funcs_free(&out);

	rc = nt_trace_config_load(path, &known, &out, err, sizeof(err));
	check(&out, rc, err);
	if (rc > 0 && !*err)
		abort(); /* unknown names are listed */
	nt_funcs_free(&out);
	return 0;
}
