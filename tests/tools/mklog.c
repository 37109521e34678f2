/* mklog.c - test-only .ntl writer: builds a log with known packets from a
 * small scenario file.  Deterministic: the same scenario gives the same bytes.
 *
 * Usage: mklog [-o OUT.ntl] [--force] [--repeat N] [--no-trailer] SCENARIO
 *
 * Scenario lines ('#' starts a comment; times are µs, "T~J" adds a
 * deterministic pseudo-random jitter in [0, J) µs):
 *   header KEY VALUE...            HEADER field (string)
 *   rotation SET SEQ               HEADER "rotation": {"set": SET, "seq": SEQ}
 *   func ID NAME LAYER [KIND [ROLE]]  function table entry (KIND: skb, tracepoint ...;
 *                                  ROLE: alloc, free, drop, deliver, xmit, or - for none)
 *   netns NAME INUM                HEADER options.netns (the recorder's --netns names)
 *   ksym ADDR NAME [MODULE]        KSYMS block entry (ADDR 0x...)
 *   stack ID ADDR...               STACKS block entry, frames innermost first
 *   chain FAM TABLE CHAIN HOOK PRIO POLICY [NETNS]   base chain ("-" hook: regular chain)
 *   rule FAM TABLE CHAIN HANDLE TEXT...              ruleset rule
 *   iface NETNS IFINDEX NAME
 *   reason VALUE NAME
 *   repeat N STEP_US ... end       repeat the enclosed records N times, STEP_US apart
 * Records (SKB: a name, mapped to a fresh kernel-like address at first use in
 * each repeat iteration, or a literal 0x... address; "-" = 0):
 *   T func SKB FUNCID [CPU]
 *   T meta SKB PROTO SRC DST [IFINDEX [LEN [NETNS [MARK]]]] [KEY=VALUE...]
 *        PROTO tcp|udp|icmp|icmpv6; SRC/DST a.b.c.d:port, [v6]:port, or for
 *        icmp an address and SRC gets /TYPE/CODE/ID appended (10.0.0.1/8/0/7);
 *        KEY=VALUE: frag=ID/OFFSET[/mf] (a fragment, OFFSET in bytes),
 *        id=N (IPv4 id; frag_id too), csum=N, flags=N, fid=N (frag_id only),
 *        at=FUNCID (the function where the recorder saw it), seq=N (TCP
 *        sequence number / ICMP id << 16 | seq)
 *   T chain SKB FAM TABLE CHAIN enter|accept|drop... [TRACEID]
 *   T rule SKB FAM TABLE CHAIN HANDLE|policy|return|return/HANDLE VERDICT [TARGET] [TRACEID]
 *        return: the end of a chain; return/HANDLE: kind return carrying the
 *        return rule's handle (6.1's RETURN-type trace message of that rule)
 *   T drop SKB FUNCID REASON [LOCATION [STACKID]]
 *   T stackref SKB FUNCID STACKID
 *   T ct SKB FUNCID STATE [DIR STATUS [OSRC ODST RSRC RDST [ZONE [MARK]]]] [conn=ADDR]
 *        conntrack read from nf_conn (function mode): STATE new|established|
 *        related|invalid|untracked, DIR orig|reply, STATUS names joined by '|'
 *        (CONFIRMED|SRC_NAT_DONE) or '-', tuples as in meta (the protocol of
 *        the skb's last meta); without tuples: state / dir / status only;
 *        the nf_conn address: conn=ADDR, else one per skb
 *   T ctnl SKB STATE DIR STATUS ID  conntrack as an nftrace message gives it
 *   T bytes SKB FUNCID [mac] [cap N] [why first|changed|netns]
 *        packet bytes built from the skb's last meta (tests/tools/pktbuild.h):
 *        IPv4/IPv6 + TCP/UDP/ICMP headers with checksums, zero payload up to
 *        its len; cap N (default 256) cuts the capture
 *   T free SKB FUNCID [inferred|discard]
 *   T link SKB PARENT clone|copy|realloc|head
 *   T dev SKB IFINDEX NETNS [FUNCID]
 *   T loss CPU ringbuf|netlink|user|nftrace_ring|stack|probe COUNT [ID]   (netlink: CPU 65535, ID = netns)
 *   T count CPU unmatched|late VALUE [ID]
 *   T count CPU journey_cut VALUE SKB   (--keep: records cut from that journey)
 *   synth on|off                   NFT rule / chain records made by the recorder
 *                                  from nftables' trace (NT_F_SYNTH) or not
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/logw.h"
#include "formats/stacks.h"
#include "tests/tools/mklog/mklog.h"

#define MAXLINES 4096

static struct line lines[MAXLINES];
static int nlines;
struct ntl_writer *w;
const char *scen_name;

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int main(int argc, char **argv)
{
	struct ntl_writer_opts wo = { .sz = sizeof(wo) };
	const char *out = NULL;
	long repeat_override = -1;
	int trailer = 1;
	static char text[1 << 20];
	FILE *f;
	size_t tl;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			wo.force = 1;
		else if (!strcmp(argv[i], "--no-trailer"))
			trailer = 0;
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat_override = atol(argv[++i]);
		else if (!strcmp(argv[i], "--block-bytes") && i + 1 < argc)
			wo.block_bytes = (uint32_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--level") && i + 1 < argc)
			wo.zstd_level = atoi(argv[++i]);
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: mklog [-o OUT] [--force] [--repeat N] [--no-trailer] [--block-bytes N] [--level N] SCENARIO\n");
			return 2;
		} else
			scen_name = argv[i];
	}
	if (!scen_name || !out) {
		fprintf(stderr, "usage: mklog -o OUT [--force] [--repeat N] [--no-trailer] SCENARIO\n");
		return 2;
	}
	f = fopen(scen_name, "r");
	if (!f) {
		fprintf(stderr, "mklog: %s: %s\n", scen_name, strerror(errno));
		return 2;
	}
	tl = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[tl] = 0;

	/* split into lines and tokens */
	for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		static int lineno;
		struct line *l;
		char *p = ln, *hash = strchr(ln, '#');

		lineno++;
		(void)p;
		if (hash && (hash == ln || hash[-1] == ' ' || hash[-1] == '\t'))
			*hash = 0;
		ln = trim(ln);
		if (!*ln)
			continue;
		if (nlines == MAXLINES)
			die(lineno, "%s", "too many lines");
		l = &lines[nlines++];
		l->lineno = lineno;
		/* tokens: keep pointers to the rest of the line for rule text */
		while (*ln && l->ntok < MAXTOK) {
			char *e;

			ln = trim(ln);
			if (!*ln)
				break;
			l->rest[l->ntok] = strdup(ln);
			e = ln + strcspn(ln, " \t");
			if (*e)
				*e++ = 0;
			l->tok[l->ntok++] = ln;
			ln = e;
		}
	}

	/* declarations */
	meta_build(lines, nlines);

	if (ntl_writer_open(&w, out, &wo)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_open_error());
		return 1;
	}
	if (meta_write())
		return 1;

	/* records */
	uint64_t base = BASE_TS;
	for (int i = 0; i < nlines; i++) {
		struct line *l = &lines[i];
		char *endp;

		if (!strcmp(l->tok[0], "repeat")) {
			long n = l->ntok > 1 ? atol(l->tok[1]) : 1;
			double step = l->ntok > 2 ? strtod(l->tok[2], NULL) : 10;
			int j = i + 1, end;

			if (repeat_override >= 0)
				n = repeat_override;
			while (j < nlines && strcmp(lines[j].tok[0], "end"))
				j++;
			if (j == nlines)
				die(l->lineno, "%s", "repeat without end");
			end = j;
			for (long it = 0; it < n; it++) {
				uint64_t b = base + (uint64_t)((double)it * step * 1000.0);

				nskb = 0;
				for (int k = i + 1; k < end; k++)
					record(&lines[k], b);
			}
			base += (uint64_t)((double)n * step * 1000.0);
			nskb = 0;
			i = end;
			continue;
		}
		if (!strcmp(l->tok[0], "synth")) {
			synth_on = l->ntok > 1 && !strcmp(l->tok[1], "on");
			continue;
		}
		strtod(l->tok[0], &endp);
		if (endp == l->tok[0])
			continue; /* a declaration */
		record(l, base);
	}
	if (trailer) {
		char tj[512];

		snprintf(tj, sizeof(tj), "{\"end_mono_ns\":%llu,\"events\":%llu,\"clean\":true,\"lost\":[]}",
			 (unsigned long long)base, (unsigned long long)ntl_writer_events(w));
		if (ntl_writer_close(w, tj)) {
			fprintf(stderr, "mklog: %s\n", ntl_writer_open_error());
			return 1;
		}
	} else {
		if (ntl_writer_flush(w)) {
			fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
			return 1;
		}
		ntl_writer_abort(w);
	}
	return 0;
}
