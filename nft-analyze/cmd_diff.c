// SPDX-License-Identifier: GPL-2.0
/* cmd_diff.c - `nft-analyze diff BASE NEW` (cmds.h): options and the command;
 * the comparison is diff_engine.c, the output diff_print.c. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/diff_int.h"

enum { O_JSON = 256, O_NDJSON, O_IGNORE, O_THRESH, O_FLOOR, O_EPHEMERAL, O_PARTIAL, O_EXACT_PORTS };

static const struct argp_option options[] = {
	{ "json", O_JSON, NULL, 0, "one JSON document (schema: README)", 0 },
	{ "ndjson", O_NDJSON, NULL, 0, "one difference per line, then a summary line", 0 },
	{ "ignore", O_IGNORE, "CLASSES", 0,
	  "comma separated classes that do not count: verdict, rule, func, latency, drop, flow "
	  "(repeatable)", 0 },
	{ "latency-threshold", O_THRESH, "PCT", 0,
	  "compare time per layer: a per-layer p50 shift beyond PCT percent counts (latency is "
	  "not compared by default: timing differs between any two runs)", 0 },
	{ "latency-floor", O_FLOOR, "NS", 0,
	  "compare time per layer (threshold 20% unless given), ignoring p50 shifts smaller than "
	  "NS nanoseconds (default 1000)", 0 },
	{ "exact-ports", O_EXACT_PORTS, NULL, 0,
	  "ports >= 32768 (ephemeral client ports, different in every run) are part of the flow "
	  "key; by default they match any", 0 },
	{ "ignore-ephemeral-ports", O_EPHEMERAL, NULL, OPTION_HIDDEN, "the default", 0 },
	{ "partial", O_PARTIAL, NULL, 0,
	  "compare truncated / corrupt logs up to the damage instead of failing with exit 2", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct dopts *o = state->input;
	char *end;

	switch (key) {
	case O_JSON: o->json = 1; break;
	case O_NDJSON: o->json = 2; break;
	case O_IGNORE: {
		char buf[256], *save = NULL, *t;

		snprintf(buf, sizeof(buf), "%s", arg);
		for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int found = 0;

			for (int c = 0; c < C__N; c++)
				if (!strcmp(t, nt_diff_class_names[c])) {
					o->ignore |= 1u << c;
					found = 1;
				}
			if (!found)
				argp_error(state, "--ignore: unknown class '%s' "
					   "(verdict, rule, func, latency, drop, flow)", t);
		}
		break;
	}
	case O_THRESH:
		o->latency = 1;
		o->threshold = strtod(arg, &end);
		if (end == arg || (*end && strcmp(end, "%")) || o->threshold < 0)
			argp_error(state, "--latency-threshold: '%s' is not a percentage (e.g. 20%%)", arg);
		break;
	case O_FLOOR: {
		unsigned long long v;

		errno = 0;
		v = strtoull(arg, &end, 10);
		if (end == arg || *end || errno || *arg == '-')
			argp_error(state, "--latency-floor: '%s' is not a number of nanoseconds", arg);
		o->floor_ns = v;
		o->latency = 1;
		break;
	}
	case O_EPHEMERAL: o->ephemeral = 1; break;
	case O_EXACT_PORTS: o->ephemeral = 0; break;
	case O_PARTIAL: o->partial = 1; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->lim;
		break;
	case ARGP_KEY_ARGS: /* sets: every BASE log before "--" */
		if (!o->news)
			return ARGP_ERR_UNKNOWN;
		o->bases = (const char *const *)state->argv + state->next;
		o->nbases = state->argc - state->next;
		o->base = o->bases[0];
		o->new_ = o->news[0];
		state->next = state->argc;
		break;
	case ARGP_KEY_ARG:
		if (o->news)
			return ARGP_ERR_UNKNOWN; /* sets: ARGP_KEY_ARGS */
		if (!o->base)
			o->base = arg;
		else if (!o->new_)
			o->new_ = arg;
		else
			argp_error(state, "two logs only ('%s' is extra)", arg);
		break;
	case ARGP_KEY_END:
		if (o->news && (!o->nbases || !o->nnews))
			argp_error(state, "need logs on both sides of --: BASE... -- NEW...");
		if (!o->new_)
			argp_error(state, "need two logs: BASE NEW (.ntl files written by nft-record), "
				   "or sets: BASE... -- NEW...");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char doc[] =
	"Compare two recordings of the same scenario. Packets are matched by flow (protocol, "
	"addresses, ports below 32768, direction) and order within the flow; skb addresses, "
	"trace ids, timestamps and client ports are not differences. Reported: verdict changes per "
	"flow, nftables path changes (rules compared by TEXT, so handles may differ between hosts), "
	"functions that appear in / vanish from journeys, drop reasons that appear, packets only "
	"in one log; with --latency-threshold, per-layer p50 time shifts beyond it."
	"\vExit codes: 0 equivalent; 1 differences (beyond the thresholds, in classes not "
	"--ignore'd); 2 usage error or unusable log (unreadable, not a log, newer format, "
	"truncated / corrupt or a --max-* limit reached, without --partial); 3 runtime error (out of "
	"memory, write error).";

static const struct argp_child lim_children[] = {
	{ &nt_cli_limits_argp, 0, "Limits (reaching one is like a damaged log: exit 2 unless --partial):", 1 },
	{ 0 }
};

int cmd_diff(int argc, char **argv)
{
	struct dopts o = { .threshold = 20, .floor_ns = 1000, .ephemeral = 1 };
	struct argp ap = { options, parse_opt, "BASE NEW\nBASE... -- NEW...", doc, lim_children, NULL, NULL };
	struct side b = { 0 }, n = { 0 };
	struct dctx c = { .o = &o };
	unsigned counts[C__N] = { 0 };
	unsigned total = 0;
	size_t matched;
	int rc;

	argp_err_exit_status = NT_EXIT_DIFF_BAD_INPUT;
	nt_limits_init(&o.lim);
	/* sets of logs: BASE... -- NEW... (options before the "--") */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			o.news = (const char *const *)argv + i + 1;
			o.nnews = argc - i - 1;
			argc = i;
			break;
		}
	if (argp_parse(&ap, argc, argv, 0, NULL, &o))
		return NT_EXIT_DIFF_BAD_INPUT;
	if (!o.latency) /* opt-in: not compared, said so in the output */
		o.ignore |= 1u << C_LATENCY;
	c.st = nt_strtab_new();
	if (!c.st) {
		fprintf(stderr, "nft-analyze diff: out of memory\n");
		return NT_EXIT_DIFF_RUNTIME;
	}
	b.file = o.base;
	n.file = o.new_;
	if (o.news) { /* sets: packets compared per host and flow */
		b.files = o.bases;
		b.nfiles = o.nbases;
		n.files = o.news;
		n.nfiles = o.nnews;
	}
	rc = nt_diff_load(&c, &b);
	if (!rc)
		rc = nt_diff_load(&c, &n);
	if (rc)
		goto out;
	matched = nt_diff_compare(&c, &b, &n);
	if (c.oom) {
		fprintf(stderr, "nft-analyze diff: out of memory\n");
		rc = NT_EXIT_DIFF_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < c.nd; i++)
		counts[c.d[i].cls]++;
	for (int cls = 0; cls < C__N; cls++)
		if (!(o.ignore & (1u << cls)))
			total += counts[cls];
	if (o.json)
		nt_diff_print_json(&c, &b, &n, matched, counts, o.json == 2);
	else
		nt_diff_print_text(&c, &b, &n, matched, counts);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "nft-analyze diff: writing the output failed: %s\n", strerror(errno));
		rc = NT_EXIT_DIFF_RUNTIME;
		goto out;
	}
	rc = total ? NT_EXIT_DIFF_DIFFERENT : NT_EXIT_DIFF_SAME;
out:
	nt_diff_side_free(&b);
	nt_diff_side_free(&n);
	free(c.d);
	free(c.tmp);
	free(c.layer_of);
	nt_strtab_free(c.st);
	return rc;
}
