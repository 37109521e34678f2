/* mkhostile.c - structure-aware hostile-log generator (issue #16).
 *
 * Writes well-formed .ntl logs (through formats/logw.h and the record structs
 * of common/records.h, so it follows the format) whose *content* is hostile:
 * what a root user of a recorded container, or whoever hands you a log, can
 * put into one.  Deterministic: the same arguments give the same bytes.
 *
 * Usage: mkhostile CLASS -o OUT [-n N] [--size BYTES] [--force]
 *        mkhostile --list                  classes, their N and what they hold
 *        mkhostile --payloads              "ID HEX" of every payload (test drivers)
 *        mkhostile --seeds DIR             a small log of every class (fuzz seeds)
 *        mkhostile --model-seeds DIR       the same as inputs of tests/fuzz/fuzz_model.c
 *
 * Classes (N = the main count, --size = bytes of the big strings):
 *   names      every payload below in every string field of every block:
 *              HEADER (hostname, kernel, backend, reason, filter, start_time),
 *              FUNCS (name, layer, module), KSYMS (name, module), RULESET
 *              (table, chain, rule text with set names and comments), IFACES,
 *              DROP_REASONS, CHAINDEF table/chain (also 64 bytes without NUL),
 *              TRAILER; one packet per payload uses all of them (META on the
 *              hostile interface, FUNC of the hostile function, chain enter,
 *              jump to a hostile regular chain, return, rule verdict, chain
 *              exit, clone, drop with the hostile reason or free).  N = copies
 *              of the packet set (default 1).
 *   openpkts   N skbs seen once and never freed (default 4,000,000): a tiny log
 *   discards   300,000 open packets (N / 2 when N < 20,000), then N packets
 *              (default 1,000,000) of an skb and its clone whose FREE carries
 *              the capture filter's discard flag (0x10): each must cost O(1),
 *              not a pass over every skb
 *   bigpacket  one packet of N records (default 50,000,000)
 *   clones     one packet with N clones never freed (default 10,000,000)
 *   fragmerge  300,000 open packets (N / 2 when N < 20,000), then N packets
 *              (default 1,000,000) of an skb and its clone whose META is a
 *              fragment of one open datagram: each joins it in O(1)
 *   rulesets   the same RULESET block N times (default 40), each of --size
 *              bytes of JSON (default 16 MiB), then packets hitting its rules
 *   longrule   one rule whose text is --size bytes (default 62,000,000), hit
 *              by N packets (default 100)
 *   tswrap     timestamps near 2^64: N skbs (default 1,000,000; one in ten
 *              stays open), so ts + idle/4 wraps
 *   durwrap    durations that wrap: packets whose first record has ts 0, ts
 *              going backwards inside a packet, a packet from 0 to 2^64-1
 *   losswrap   LOSS counters near 2^64 on many CPUs / namespaces / sources
 *              (sums wrap), counters going backwards
 *   flame      N functions (default 200,000), each hit once (flame --svg)
 *   chaindefs  N distinct chain definitions (default 2,000,000), hostile names
 *   ifaces     N IFACES blocks (default 40) of --size bytes (default 16 MiB)
 *   kallsyms   a kallsyms text file with hostile names (nft-discover --kallsyms)
 *   config     a trace_config.json with hostile names (nft-record --config)
 *
 * Payloads (names of --list): OSC 0 window title, OSC 52 clipboard write, CSI
 * erase / move / colour / alternate screen, CR overwrite forging "ACCEPTED",
 * a forged PACKET TRACE block (LF), SSE injection (CR LF event:/id:/data:),
 * C1 controls as code points, C1 as raw bytes, bidi overrides and isolates,
 * overlong encodings, UTF-16 surrogates, code points past U+10FFFF, truncated
 * sequences, HTML / script injection, XML-forbidden characters, JSON breakers,
 * folded-stack breakers, DEL + backspaces, and valid UTF-8 that must survive
 * ("café → 日本 😀").
 *
 * Files: this one (the classes, the command line); mkhostile/text.c payloads
 * and JSON text, log.c the log and its records, gen_*.c the classes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- main ---- */
struct cls {
	const char *name;
	uint64_t n, size;
	uint64_t seed_n, seed_size;
	const char *what;
};
static const struct cls classes[] = {
	{ "names", 1, 0, 1, 0, "every payload in every string field of every block" },
	{ "openpkts", 4000000, 0, 2000, 0, "N skbs never freed (open packets)" },
	{ "discards", 1000000, 0, 2000, 0, "N discarded packets with a clone among 300 k open ones" },
	{ "bigpacket", 50000000, 0, 20000, 0, "one packet of N records" },
	{ "fragmerge", 1000000, 0, 2000, 0, "N fragments with a clone joining one datagram among 300 k open packets" },
	{ "clones", 10000000, 0, 2000, 0, "one packet with N clones never freed (skb states)" },
	{ "rulesets", 40, 16u << 20, 4, 8192, "the same RULESET block N times, --size bytes each" },
	{ "longrule", 100, 62000000, 4, 20000, "a rule text of --size bytes in N packets" },
	{ "tswrap", 1000000, 0, 2000, 0, "timestamps near 2^64 (idle-sweep deadline wraps)" },
	{ "durwrap", 0, 0, 0, 0, "durations that wrap (ts 0 first, ts backwards)" },
	{ "losswrap", 0, 0, 0, 0, "LOSS totals near 2^64 (sums wrap)" },
	{ "flame", 200000, 0, 2000, 0, "N functions each hit once (flame --svg)" },
	{ "chaindefs", 2000000, 0, 2000, 0, "N chain definitions with hostile names" },
	{ "ifaces", 40, 16u << 20, 4, 8192, "N IFACES blocks of --size bytes" },
	{ "kallsyms", 0, 0, 0, 0, "kallsyms text with hostile names (not a log)" },
	{ "config", 0, 0, 0, 0, "trace_config.json with hostile names (not a log)" },
};
#define NCLS (sizeof(classes) / sizeof(classes[0]))

static void generate(const struct cls *c, const char *path, uint64_t n, uint64_t size, int force,
		     int model)
{
	out_path = path;
	if (!strcmp(c->name, "kallsyms"))
		return gen_kallsyms(force);
	if (!strcmp(c->name, "config"))
		return gen_config(force);
	out_open(path, force, model);
	if (!strcmp(c->name, "names")) gen_names(n);
	else if (!strcmp(c->name, "openpkts")) gen_openpkts(n);
	else if (!strcmp(c->name, "discards")) gen_discards(n);
	else if (!strcmp(c->name, "bigpacket")) gen_bigpacket(n);
	else if (!strcmp(c->name, "clones")) gen_clones(n);
	else if (!strcmp(c->name, "fragmerge")) gen_fragmerge(n);
	else if (!strcmp(c->name, "rulesets")) gen_rulesets(n, size);
	else if (!strcmp(c->name, "longrule")) gen_longrule(n, size);
	else if (!strcmp(c->name, "tswrap")) gen_tswrap(n);
	else if (!strcmp(c->name, "durwrap")) gen_durwrap();
	else if (!strcmp(c->name, "losswrap")) gen_losswrap();
	else if (!strcmp(c->name, "flame")) gen_flame(n);
	else if (!strcmp(c->name, "chaindefs")) gen_chaindefs(n);
	else if (!strcmp(c->name, "ifaces")) gen_ifaces(n, size);
	out_close_model(path);
}

static void usage(void)
{
	fprintf(stderr, "usage: mkhostile CLASS -o OUT [-n N] [--size BYTES] [--force]\n"
			"       mkhostile --list | --seeds DIR\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *e;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno || e == s || *e || s[0] == '-')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *cls = NULL, *out = NULL, *seeds = NULL, *mseeds = NULL;
	uint64_t n = 0, size = 0;
	int force = 0, has_n = 0, has_size = 0;
	const struct cls *c = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = num(argv[++i]), has_n = 1;
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = num(argv[++i]), has_size = 1;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = argv[++i];
		else if (!strcmp(argv[i], "--model-seeds") && i + 1 < argc)
			mseeds = argv[++i];
		else if (!strcmp(argv[i], "--payloads")) {
			/* for the test driver: "ID HEX" per payload */
			for (size_t k = 0; k < NPAY; k++) {
				printf("%s ", payloads[k].id);
				for (size_t j = 0; j < payloads[k].n; j++)
					printf("%02x", (unsigned char)payloads[k].s[j]);
				printf("\n");
			}
			return 0;
		} else if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < NCLS; k++)
				printf("%-10s N=%-9llu size=%-9llu %s\n", classes[k].name,
				       (unsigned long long)classes[k].n,
				       (unsigned long long)classes[k].size, classes[k].what);
			printf("payloads:");
			for (size_t k = 0; k < NPAY; k++)
				printf(" %s", payloads[k].id);
			printf("\n");
			return 0;
		} else if (argv[i][0] == '-')
			usage();
		else
			cls = argv[i];
	}
	if (seeds) {
		char path[4096];

		for (size_t k = 0; k < NCLS; k++) {
			snprintf(path, sizeof(path), "%s/hostile-%s.%s", seeds, classes[k].name,
				 !strcmp(classes[k].name, "kallsyms") ? "txt" :
				 !strcmp(classes[k].name, "config") ? "json" : "ntl");
			generate(&classes[k], path, classes[k].seed_n, classes[k].seed_size, 1, 0);
		}
		return 0;
	}
	if (mseeds) {
		char path[4096];

		for (size_t k = 0; k < NCLS; k++) {
			if (!strcmp(classes[k].name, "kallsyms") || !strcmp(classes[k].name, "config"))
				continue;
			for (int keep = 0; keep < 2; keep++) {
				struct stat st;
				FILE *f;

				snprintf(path, sizeof(path), "%s/hostile-%s%s", mseeds, classes[k].name,
					 keep ? "-kept" : "");
				generate(&classes[k], path, classes[k].seed_n, classes[k].seed_size, 1, 1);
				/* fuzz_model keeps records for inputs of odd length */
				if (stat(path, &st))
					die("%s: %s", path, strerror(errno));
				if ((st.st_size & 1) != keep) {
					f = fopen(path, "a");
					if (!f || fputc(0, f) == EOF || fclose(f))
						die("%s: %s", path, strerror(errno));
				}
			}
		}
		return 0;
	}
	if (!cls || !out)
		usage();
	for (size_t k = 0; k < NCLS; k++)
		if (!strcmp(classes[k].name, cls))
			c = &classes[k];
	if (!c)
		die("unknown class '%s' (mkhostile --list)", cls);
	generate(c, out, has_n ? n : c->n, has_size ? size : c->size, force, 0);
	return 0;
}
