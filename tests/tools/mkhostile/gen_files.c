/* gen_files.c - mkhostile: the inputs that are not logs (kallsyms, trace config). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- non-log inputs ---- */
static FILE *open_out(int force)
{
	FILE *f;

	if (!force) {
		struct stat st;

		if (!lstat(out_path, &st))
			die("%s: file exists (use --force)", out_path);
	}
	f = fopen(out_path, "w");
	if (!f)
		die("%s: %s", out_path, strerror(errno));
	return f;
}

void gen_kallsyms(int force)
{
	FILE *f = open_out(force);

	fprintf(f, "ffffffff81000000 T _text\nffffffff81a2b3c0 T ip_rcv\n");
	for (size_t k = 0; k < NPAY; k++) {
		/* one line per payload; a newline inside a payload starts a new line */
		fprintf(f, "ffffffff81c%05zx t ksym_", k);
		fwrite(payloads[k].s, 1, payloads[k].n, f);
		fprintf(f, "\t[mod_");
		fwrite(payloads[k].s, 1, payloads[k].n, f);
		fprintf(f, "]\n");
	}
	if (fclose(f))
		die("%s: %s", out_path, strerror(errno));
}

void gen_config(int force)
{
	FILE *f = open_out(force);
	struct jb b = { 0 };

	JB_LIT(&b, "{\"version\":\"1.0\",\"generator\":\"mkhostile\",\"functions\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_mem(&b, k ? ",{\"name\":" : "{\"name\":", k ? 9 : 8);
		jb_pay(&b, "fn_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"layer\":");
		/* an unknown layer with a hostile name: the error message quotes it */
		jb_pay(&b, "", &payloads[k], 0);
		JB_LIT(&b, ",\"priority\":0,\"enabled\":true}");
	}
	JB_LIT(&b, "]}");
	fwrite(b.p, 1, b.len, f);
	free(b.p);
	if (fclose(f))
		die("%s: %s", out_path, strerror(errno));
}
