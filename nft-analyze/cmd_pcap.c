// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_pcap.c - `nft-analyze pcap LOG -o FILE.pcapng`: the packet bytes the
 * log captured as pcapng (model/pcap.c), for the packets the filters select,
 * in order of their completion (as journeys prints them).  The file is
 * written atomically (temp + rename), mode 0600 (packet contents).
 */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tool.h"
#include "model/pcap.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

#define CMD "nft-analyze pcap"

static const char doc[] =
	"Write the packet bytes of LOG (recorded with nft-record --capture-bytes N) as pcapng: one "
	"packet per captured header version (first sight, after NAT / decapsulation / a new "
	"namespace), an interface per namespace and device, wall-clock timestamps, and a comment "
	"on every packet with its packet id, verdict, deciding rule and text, drop reason and "
	"location, conntrack state and its path. The packet filters select packets. "
	"`-o -` writes to stdout: nft-analyze pcap LOG -o - | wireshark -k -i -"
	"\vExit codes: 0 ok; 1 runtime error (out of memory, write error); 2 usage error, unusable "
	"log or a log without packet bytes; 3 log truncated or corrupt: the capture holds every "
	"packet completed before the damage.";

enum { O_OUTPUT = 'o', O_HEADERS_ONLY = 300 };

struct popts {
	struct nt_query q;        /* first: the top parser's input is also a struct nt_query */
	const char *out;
	int headers_only;
};

static const struct argp_option options[] = {
	{ "output", O_OUTPUT, "FILE", 0, "write the capture to FILE (- = stdout, not a terminal); required", 0 },
	{ "headers-only", O_HEADERS_ONLY, NULL, 0, "cut every packet after its transport header "
	  "(share a capture without payload)", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct popts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->q;
		return 0;
	case O_OUTPUT: o->out = arg; return 0;
	case O_HEADERS_ONLY: o->headers_only = 1; return 0;
	case ARGP_KEY_END:
		if (!o->out)
			argp_error(state, "missing -o FILE (the pcapng file to write, - for stdout)");
		if (o->q.mode != NT_OUT_TEXT)
			argp_error(state, "--json / --ndjson do not apply: pcap writes pcapng");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
static const struct argp cmd_argp = { options, parse_opt, "LOG", doc, children, NULL, NULL };

static void pcap_on_packet(struct nt_run *r, const struct nt_packet *p)
{
	if (r->w.stop || !nt_run_packet_selected(r, p))
		return;
	if (r->o->limit && r->shown >= r->o->limit) {
		r->w.stop = 1;
		return;
	}
	if (nt_pcap_packet(r->user, r->m, p))
		r->shown++;
	if (r->o->f.packet)
		r->w.stop = 1;
}

int cmd_pcap(int argc, char **argv)
{
	struct popts o;
	struct nt_pcap c;
	struct nt_run r;
	struct nt_out out;
	int rc;

	memset(&o, 0, sizeof(o));
	if (nt_query_parse(&o.q, &cmd_argp, argc, argv)) /* fills o.q, then the rest of o */
		return NT_EXIT_USAGE;
	if (!strcmp(o.out, "-") && isatty(STDOUT_FILENO)) {
		fprintf(stderr, CMD ": refusing to write pcapng to a terminal (use -o FILE, or pipe -o - "
			"into wireshark -k -i - / tcpdump -r -)\n");
		return NT_EXIT_USAGE;
	}
	rc = nt_cli_out_open(&out, CMD, o.out);
	if (rc)
		return rc;
	if (out.f != stdout)
		fchmod(fileno(out.f), 0600);
	nt_pcap_init(&c, out.f, o.headers_only);
	nt_run_init(&r, &o.q, NULL, pcap_on_packet);
	r.user = &c;
	rc = nt_run_log(&r, 1);
	if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME) {
		nt_out_close(&out, 0);
		nt_pcap_free(&c);
		return nt_run_finish(&r, rc);
	}
	if (rc == NT_EXIT_OK && !nt_model_totals(r.m)->by_type[NT_EV_BYTES]) {
		/* (a damaged log exits 3: its bytes may lie past the damage) */
		fprintf(stderr, CMD ": %s: the log has no packet bytes: record with nft-record "
			"--capture-bytes N (1 .. 256)\n", o.q.log);
		nt_out_close(&out, 0);
		nt_pcap_free(&c);
		nt_run_finish(&r, NT_EXIT_USAGE);
		return NT_EXIT_USAGE;
	}
	nt_pcap_start(&c, r.m); /* an empty capture is still a valid file */
	if (!c.have_clock)
		fprintf(stderr, CMD ": %s: the log has no clock reference (HEADER boot_time_ns): packet "
			"times are times since boot\n", o.q.log);
	if (c.skipped)
		fprintf(stderr, CMD ": %s: %" PRIu64 " captures skipped (no Ethernet header, no EtherType)\n",
			o.q.log, c.skipped);
	r.log_error = NULL; /* nt_cli_out_done() reports the damage */
	rc = nt_cli_out_done(&out, CMD, o.out, &r.w, rc == NT_EXIT_PARTIAL ? NT_WALK_DAMAGED : NT_WALK_OK);
	nt_pcap_free(&c);
	return nt_run_finish(&r, rc);
}
