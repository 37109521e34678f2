// SPDX-License-Identifier: GPL-2.0
/* natrule.c - NAT statements in rule texts (natrule.h). */
#include <string.h>

#include "model/natrule.h"

static int nat_in(const char *t, size_t n)
{
	return memmem(t, n, "masquerade", 10) || memmem(t, n, "snat", 4) || memmem(t, n, "dnat", 4) ||
	       memmem(t, n, "redirect", 8);
}

/* The last texts of at most MEMO_LEN - 1 bytes and their answer: compared
 * by content, so a text freed and another one at its address is no risk. */
#define MEMO_N 4
#define MEMO_LEN 120
static __thread struct {
	unsigned char n[MEMO_N], nat[MEMO_N], next, used;
	char t[MEMO_N][MEMO_LEN];
} memo;

int nt_rule_text_nat(const char *t)
{
	size_t n;
	int r;

	if (!t)
		return 0;
	n = strlen(t);
	if (n > (64u << 10))
		return nat_in(t, 4096) || nat_in(t + n - 4096, 4096);
	if (n >= MEMO_LEN)
		return nat_in(t, n) != 0;
	for (unsigned i = 0; i < memo.used; i++)
		if (memo.n[i] == n && !memcmp(memo.t[i], t, n))
			return memo.nat[i];
	r = nat_in(t, n) != 0;
	memcpy(memo.t[memo.next], t, n);
	memo.n[memo.next] = (unsigned char)n;
	memo.nat[memo.next] = (unsigned char)r;
	memo.next = (unsigned char)((memo.next + 1) % MEMO_N);
	if (memo.used < MEMO_N)
		memo.used++;
	return r;
}
