// SPDX-License-Identifier: GPL-2.0
/*
 * bpfstack - the combined stack of every program of a BPF object, by 6.1's
 * and 6.12's rules, from the object file alone (bpfstack/bpfstack.h: the
 * rules, and why the static depths are an upper bound).
 *
 * usage: bpfstack [-v] [--no-filter] OBJ
 *   one line per program: its deepest chain by each rule
 *     PROG 6.1=N 6.12=N chain: F (rounded) > F (rounded) ...   (the 6.1 chain)
 *   -v           also each function's static depths (with / without filter)
 *   --no-filter  depths without the --filter block's scratch
 * exit 0: every program within 512 bytes by both rules; 1: some program is
 * over (a line "OVER: PROG rule R: N > 512: CHAIN" on stderr for each);
 * 2: the object cannot be read (one line on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/bpfstack/bpfstack.h"

int main(int argc, char **argv)
{
	const char *path = NULL;
	int verbose = 0, filter = 1, over = 0;
	struct nt_bs_obj o;
	char err[512], chain[1024];
	int *depth;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "--no-filter"))
			filter = 0;
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr, "usage: bpfstack [-v] [--no-filter] OBJ\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: bpfstack [-v] [--no-filter] OBJ\n");
		return 2;
	}
	if (nt_bs_open(path, &o, err, sizeof(err))) {
		fprintf(stderr, "bpfstack: %s\n", err);
		return 2;
	}
	depth = calloc(o.n ? o.n : 1, sizeof(*depth));
	if (!depth) {
		fprintf(stderr, "bpfstack: out of memory\n");
		return 2;
	}
	for (int i = 0; i < o.n; i++) {
		depth[i] = filter ? o.f[i].depth_filter : o.f[i].depth;
		if (verbose)
			printf("func %s section=%s insns=%zu depth=%d with_filter=%d calls=%d\n", o.f[i].name,
			       o.f[i].sec, o.f[i].n, o.f[i].depth, o.f[i].depth_filter, o.f[i].ncallee);
	}
	for (int i = 0; i < o.n; i++) {
		struct nt_bs_chain c61, c612;
		int t61, t612;

		if (!o.f[i].is_prog)
			continue;
		t61 = nt_bs_worst(&o, i, NT_BS_RULE_61, depth, &c61);
		t612 = nt_bs_worst(&o, i, NT_BS_RULE_612, depth, &c612);
		nt_bs_chain_str(&o, &c61, chain, sizeof(chain));
		printf("%s 6.1=%d 6.12=%d chain: %s\n", o.f[i].name, t61, t612, chain);
		for (int r = 0; r < 2; r++) {
			struct nt_bs_chain *c = r ? &c612 : &c61;
			int t = r ? t612 : t61;

			if (t >= 0 && t <= NT_BS_LIMIT)
				continue;
			nt_bs_chain_str(&o, c, chain, sizeof(chain));
			if (t < 0)
				fprintf(stderr, "OVER: %s rule %s: a chain of more than %d frames or recursive: %s\n",
					o.f[i].name, nt_bs_rule_name(r ? NT_BS_RULE_612 : NT_BS_RULE_61),
					NT_BS_MAX_FRAMES, chain);
			else
				fprintf(stderr, "OVER: %s rule %s: %d > %d: %s\n", o.f[i].name,
					nt_bs_rule_name(r ? NT_BS_RULE_612 : NT_BS_RULE_61), t, NT_BS_LIMIT, chain);
			over = 1;
		}
	}
	free(depth);
	nt_bs_free(&o);
	return over;
}
