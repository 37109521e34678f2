// SPDX-License-Identifier: GPL-2.0
/*
 * nft-discover - every kernel function taking an skb, from BTF + kallsyms,
 * classified by layer -> enhanced_skb_functions.json + trace_config.json.
 * Exit codes: 0 ok, 1 runtime error (out of memory, output not writable),
 * 2 usage or bad input (flags, BTF, kallsyms).
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "common/layers.h"
#include "common/tool.h"
#include "nft-discover/discover.h"
#include "nft-discover/output.h"


struct cli {
	const char *output;
	const char *config;
	const char *btf;
	const char *kallsyms;
	long max_trace;
	int max_priority;
	uint32_t layer_mask;
	int layers_open; /* the previous option was --layers: bare words are layers */
	int json;
	int quiet;
	int verbose;
	int no_modules;
};

enum { OPT_BTF = 256, OPT_KALLSYMS, OPT_JSON, OPT_NO_MODULES };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "All functions (default enhanced_skb_functions.json)", 0 },
	{ "config", 'c', "FILE", 0, "Trace config: top --max-trace probe-able functions (default trace_config.json)", 0 },
	{ "max-trace", 'm', "N", 0, "Functions in the trace config (default 0 = every probe-able one; the prototype used 100)", 0 },
	{ "priority", 'p', "P", 0, "Keep functions with priority <= P (0 critical .. 3 rare; default 3)", 0 },
	{ "layers", 'l', "L...", 0, "Keep only these layers (comma list or several words; repeatable): "
	  "Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other", 0 },
	{ "btf", OPT_BTF, "FILE|DIR", 0, "vmlinux BTF file, or a directory with vmlinux + module BTF "
	  "(default /sys/kernel/btf)", 0 },
	{ "kallsyms", OPT_KALLSYMS, "FILE", 0, "Saved /proc/kallsyms (default /proc/kallsyms)", 0 },
	{ "no-modules", OPT_NO_MODULES, NULL, 0, "Do not read module BTF", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print the summary as JSON on stdout", 0 },
	{ "quiet", 'q', NULL, 0, "No summary", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf messages", 0 },
	{ 0 },
};

static void usage_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("nft-discover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(NT_EXIT_USAGE);
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage_fail("%s must be an integer %ld..%ld, got '%s'", what, lo, hi, s);
	return v;
}

static void add_layers(struct cli *c, const char *s)
{
	const char *bad = NULL;
	int badlen = 0;
	int64_t m = nt_layers_parse_list(s, &bad, &badlen);

	if (m < 0)
		usage_fail("unknown layer '%.*s' (known: Device GRO Netfilter IPv4 IPv6 TCP UDP Routing "
			   "Xmit SoftIRQ Bridge Socket Other)", badlen, bad);
	c->layer_mask |= (uint32_t)m;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli *c = state->input;
	int was_layers = c->layers_open;

	c->layers_open = 0;
	switch (key) {
	case 'o': c->output = arg; break;
	case 'c': c->config = arg; break;
	case 'm': c->max_trace = parse_long(arg, "--max-trace", 0, 1000000); break;
	case 'p': c->max_priority = (int)parse_long(arg, "--priority", 0, NT_PRIO_MAX); break;
	case 'l':
		add_layers(c, arg);
		c->layers_open = 1;
		break;
	case OPT_BTF: c->btf = arg; break;
	case OPT_KALLSYMS: c->kallsyms = arg; break;
	case OPT_NO_MODULES: c->no_modules = 1; break;
	case OPT_JSON: c->json = 1; break;
	case 'q': c->quiet = 1; break;
	case 'v': c->verbose = 1; break;
	case ARGP_KEY_ARG:
		if (!was_layers)
			usage_fail("unexpected argument '%s' (see --help)", arg);
		add_layers(c, arg);
		c->layers_open = 1;
		break;
	default:
		c->layers_open = was_layers;
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"nft-discover -- find every kernel function taking a struct sk_buff (BTF + kallsyms), "
	"classify it by network layer and priority, and write enhanced_skb_functions.json "
	"(all functions) and trace_config.json (what nft-record traces).\v"
	"Offline: --btf DIR (vmlinux + module BTF files, optional available_filter_functions and "
	"kprobes_blacklist copies) --kallsyms FILE from another host.\n"
	"Exit codes: 0 ok, 1 runtime error (out of memory, output not writable), "
	"2 usage or bad input (flags, BTF, kallsyms).",
	NULL, NULL, NULL,
};

static int libbpf_quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_summary(const struct cli *c, const struct nt_funcs *f,
			  const struct nt_summary_info *si)
{
	size_t lf[NT_LAYER__COUNT] = { 0 }, lp[NT_LAYER__COUNT] = { 0 }, tp = 0;
	size_t nk = 0, ma = 0, bl = 0, nt = 0;

	for (size_t i = 0; i < f->n; i++) {
		int l = nt_layer_parse(f->v[i].layer);
		int p = !!(f->v[i].flags & NT_FN_PROBEABLE);
		lf[l]++;
		lp[l] += p;
		tp += p;
		nk += !!(f->v[i].flags & NT_FN_NO_KSYM);
		ma += !!(f->v[i].flags & NT_FN_MULTI_ADDR);
		bl += !!(f->v[i].flags & NT_FN_BLACKLIST);
		nt += !!(f->v[i].flags & NT_FN_NOTRACE);
	}
	printf("nft-discover: %zu skb functions/tracepoints among %zu BTF functions "
	       "(%zu module BTF), %zu kallsyms symbols; scan %.1f ms\n",
	       f->n, f->btf_funcs, f->btf_modules, f->ksyms, si->scan_ms);
	printf("  %-10s %9s %10s\n", "layer", "functions", "probe-able");
	for (int l = 0; l < NT_LAYER__COUNT; l++)
		if (lf[l])
			printf("  %-10s %9zu %10zu\n", nt_layer_name(l), lf[l], lp[l]);
	printf("  %-10s %9zu %10zu\n", "total", f->n, tp);
	printf("  not probe-able: %zu not in kallsyms, %zu several addresses, ", nk, ma);
	if (f->blacklist_read)
		printf("%zu blacklisted, ", bl);
	else
		printf("kprobes blacklist not readable, ");
	if (f->filter_funcs_read)
		printf("%zu notrace\n", nt);
	else
		printf("notrace unknown (available_filter_functions not readable)\n");
	printf("  wrote %s (%zu functions), %s (%zu functions, priority <= %d); total %.1f ms\n",
	       c->output, si->selected, c->config, si->config, c->max_priority, si->total_ms);
}

int main(int argc, char **argv)
{
	struct cli c = {
		.output = "enhanced_skb_functions.json",
		.config = "trace_config.json",
		.max_trace = 0, /* all: like pwru; kprobe-multi attaches thousands in < 1 s */
		.max_priority = NT_PRIO_MAX,
	};
	struct nt_discover_opts o = { .sz = sizeof(o) };
	struct nt_summary_info si = { 0 };
	struct nt_funcs f = { 0 };
	size_t *sel = NULL, *cfg = NULL;
	double t0 = now_ms();
	char err[512];
	int rc, ret = 0;

	argp_err_exit_status = NT_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &c))
		return NT_EXIT_USAGE;
	if (!c.verbose)
		libbpf_set_print(libbpf_quiet);

	o.btf_path = c.btf;
	o.kallsyms_path = c.kallsyms;
	o.no_modules = c.no_modules;
	rc = nt_discover(&o, &f, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "nft-discover: %s\n", err);
		return rc == -ENOMEM ? NT_EXIT_RUNTIME : NT_EXIT_USAGE;
	}
	si.scan_ms = now_ms() - t0;
	si.btf = c.btf ? c.btf : "/sys/kernel/btf";
	si.kallsyms = c.kallsyms ? c.kallsyms : "/proc/kallsyms";
	si.max_priority = c.max_priority;
	si.layer_mask = c.layer_mask;
	si.max_trace = (size_t)c.max_trace;

	sel = malloc((f.n ? f.n : 1) * sizeof(*sel));
	cfg = malloc((f.n ? f.n : 1) * sizeof(*cfg));
	if (!sel || !cfg) {
		fprintf(stderr, "nft-discover: out of memory\n");
		ret = NT_EXIT_RUNTIME;
		goto out;
	}
	si.selected = nt_funcs_select(&f, 0, c.max_priority, c.layer_mask, false, sel);
	si.config = nt_funcs_select(&f, (size_t)c.max_trace, c.max_priority, c.layer_mask, true, cfg);
	si.total_ms = now_ms() - t0;

	if (nt_write_functions_json(c.output, &f, sel, si.selected, &si, err, sizeof(err)) ||
	    nt_write_config_json(c.config, &f, cfg, si.config, err, sizeof(err))) {
		fprintf(stderr, "nft-discover: %s\n", err);
		ret = NT_EXIT_RUNTIME;
		goto out;
	}
	si.total_ms = now_ms() - t0;
	if (c.json) {
		cJSON *s = nt_summary_json(&f, &si);
		char *txt = s ? cJSON_Print(s) : NULL;
		if (!txt) {
			fprintf(stderr, "nft-discover: out of memory\n");
			ret = NT_EXIT_RUNTIME;
		} else {
			printf("%s\n", txt);
		}
		cJSON_free(txt);
		cJSON_Delete(s);
	} else if (!c.quiet) {
		print_summary(&c, &f, &si);
	}
out:
	free(sel);
	free(cfg);
	nt_funcs_free(&f);
	return ret;
}
