// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_kallsyms.c - libFuzzer target: the kallsyms parser (common/kallsyms.c)
 * on arbitrary text, then every lookup on what it parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nt_ksyms *ks = NULL;
	const struct nt_ksym *res[4];
	size_t n;

	if (nt_ksyms__load_buf((const char *)data, size, &ks) < 0)
		return 0;
	n = nt_ksyms__count(ks);
	(void)nt_ksyms__bad_lines(ks);
	(void)nt_ksyms__all_zero(ks);
	for (size_t i = 0; i < n && i < 64; i++) {
		const struct nt_ksym *s = nt_ksyms__get(ks, i), *b;
		if (!s || !s->name)
			abort();
		size_t m = nt_ksyms__by_name(ks, s->name, res, 4);
		if (m == 0)
			abort(); /* a parsed symbol must be found by its own name */
		b = nt_ksyms__by_addr(ks, s->addr);
		if (!b || b->addr != s->addr)
			abort(); /* and by its own address */
		(void)nt_ksyms__by_addr(ks, s->addr + 1);
		(void)nt_ksyms__by_addr(ks, s->addr - 1);
		(void)strlen(s->name);
		if (s->module)
			(void)strlen(s->module);
	}
	(void)nt_ksyms__by_addr(ks, 0);
	(void)nt_ksyms__by_addr(ks, UINT64_MAX);
	(void)nt_ksyms__by_name(ks, "ip_rcv", res, 4);
	nt_ksyms__free(ks);
	return 0;
}
