// SPDX-License-Identifier: GPL-2.0
/* main.c - nft-record command line (argp) over record.c. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-record/hostid.h"
#include "common/bpf_shared.h"
#include "common/valve.h"
#include "nft-record/record.h"
#include "nft-record/nftrace.h"
#include "nft-record/backend.h"
#include "nft-record/keep.h"
#include "nft-record/rotate.h"
#include "nft-record/serve.h"
#include "nft-record/stream.h"

const char *argp_program_version = "nft-record " NT_VERSION;

static const char doc[] =
"Record the path of packets through the kernel and nftables, rule by rule, into a .ntl log for nft-analyze.\n"
"\n"
"BPF programs on the packet tracepoints (net:netif_receive_skb, net:netif_rx, net:napi_gro_receive_entry, net:net_dev_queue, net:net_dev_start_xmit, net:net_dev_xmit, skb:kfree_skb with the drop reason, skb:consume_skb) and on every other tracepoint of the kernel that carries an skb (tcp:tcp_probe, skb:skb_copy_datagram_iovec, qdisc:*, ...: for packets already traced), plus kernel functions when kprobes or fentry are available; ONE owned nft table (inet nft_record_<pid>) per recorded namespace sets `meta nftrace set 1` so nftables reports every rule verdict. Table and probes vanish with the process, kill -9 included."
"\v"
"Filter syntax (--filter): a pcap-filter(7) expression as tcpdump takes it, plus\n"
"  netns NAME | iface NAME | mark VALUE[/MASK]   joined with 'and' at the top level\n"
"  e.g. --filter 'host 10.0.0.1 and (tcp port 80 or udp) and netns web'\n"
"Applied in BPF where a packet is first seen and where its headers change (a packet that matched stays traced through NAT); the nftrace rules match a superset. Old forms: sport N -> src port N, dport N -> dst port N, proto tcp -> tcp, host A/LEN -> net A/LEN.\n"
"\n"
"Exit codes:\n"
"  0  ok\n"
"  1  runtime error\n"
"  2  bad usage, filter, config, output file or namespace name\n"
"  3  missing privileges (not root; no CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)\n"
"  4  kernel lacks a feature (BTF, BPF programs, requested backend)\n"
"\n"
"HTTP control API (--serve): POST /api/multi-function/start {max_functions, config, duration, filter, output, backend, netns}, POST .../stop, GET .../status, .../stats, .../events (server-sent events). Loopback only unless --token; output/config are file names inside --serve-dir (default " NT_SERVE_DEFAULT_DIR "). README: HTTP control API.";

enum { OPT_RINGBUF = 1000, OPT_STACK, OPT_CONNTRACK, OPT_CAPTURE_BYTES, OPT_FORCE, OPT_NO_NFTRACE, OPT_NFTRACE_NETLINK, OPT_NFTRACE_FAMILY, OPT_SERVE, OPT_TOKEN, OPT_SERVE_DIR, OPT_HOST_LABEL, OPT_HOST_NETNS, OPT_KEEP, OPT_ROTATE, OPT_ROTATE_EVERY, OPT_MAX_FILES, OPT_MAX_EVENTS, OPT_KEEP_KERNEL };

struct cli {
	struct nt_record_opts o;
	struct nt_serve_opts so;
	int serve;
	int stream;
	struct nt_keep_expr keep;
};

static const struct argp_option options[] = {
	{ "config", 'c', "FILE", 0, "trace_config.json of nft-discover (default: discover at start)", 0 },
	{ "max-functions", 'm', "N", 0, "trace at most N functions (default: all of --config; auto-discovery: all with kprobe-multi, else 50 of priority <= 1)", 0 },
	{ "duration", 'd', "S", 0, "stop after S seconds (default: until Ctrl-C / SIGTERM)", 0 },
	{ "output", 'o', "FILE", 0, "log file (default nft-trace-YYYYMMDD-HHMMSS.ntl), created 0600", 0 },
	{ "force", OPT_FORCE, NULL, 0, "overwrite an existing output file", 0 },
	{ "stream", 's', NULL, 0, "print one line per event on stdout while recording", 0 },
	{ "filter", 'f', "EXPR", 0, "packet filter (syntax above)", 0 },
	{ "backend", 'b', "NAME", 0, "auto|tracepoint|kprobe-multi|fentry|kprobe (default auto)", 0 },
	{ "netns", 'n', "NAME", 0, "also record in namespace NAME (ip netns); repeatable or a comma list", 0 },
	{ "host-label", OPT_HOST_LABEL, "NAME", 0, "name of this host in the log (HEADER host.label; default: the host name): 1..63 of A-Z a-z 0-9 . _ - :", 0 },
	{ "host-netns", OPT_HOST_NETNS, "NAME", 0, "the recorded host is namespace NAME (hosts emulated by namespaces): implies --netns NAME and 'netns NAME' in the filter; the analyzer follows packets while they are in NAME (label default NAME)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "BPF ring buffer size (power of 2, default 8M; k/M suffix)", 0 },
	{ "no-nftrace", OPT_NO_NFTRACE, NULL, 0, "do not add the nftrace table (no rule verdicts)", 0 },
	{ "nftrace-netlink", OPT_NFTRACE_NETLINK, NULL, 0,
	  "with function probes: also record nftables' netlink trace (verdicts twice: BPF + netlink)", 0 },
	{ "nftrace-family", OPT_NFTRACE_FAMILY, "LIST", 0,
	  "families of the owned nftrace table: inet (default), bridge, or inet,bridge (bridge-family rules are only traced when a bridge-family chain sets nftrace)", 0 },
	{ "stack", OPT_STACK, "drop|all", OPTION_ARG_OPTIONAL,
	  "kernel stacks: drop (the default) the stack of every traced drop and, in function mode, of the nftables step that decided it; all: also one at every traced hit; each distinct stack stored once (STACKS block), named from the log's own kallsyms snapshot; nft-analyze journeys prints them", 0 },
	{ "capture-bytes", OPT_CAPTURE_BYTES, "N", 0,
	  "the first N bytes (1..256; 0 = off, the default) of every traced packet, from the MAC header where the probe sees one, else the network header, when first seen and after each change of its headers or namespace (nft-analyze pcap exports them for Wireshark)", 0 },
	{ "conntrack", OPT_CONNTRACK, NULL, 0,
	  "the conntrack entry of traced packets (state, direction, status incl. NAT, zone, mark, original and reply tuples), read from skb->_nfct when first seen and when it changes; nft-analyze journeys shows ct: new -> established and NAT tuples", 0 },
	{ "keep", OPT_KEEP, "EXPR", 0,
	  "write only the whole journeys of packets that end matching EXPR (comma list, any matches): drop, verdict=V, rule=[NETNS:]FAMILY/TABLE/CHAIN/HANDLE, slow=DURATION, func=NAME; chosen in user space (see --keep-kernel)", 0 },
	{ "keep-kernel", OPT_KEEP_KERNEL, NULL, 0,
	  "with --keep and function probes: packets that surely do not match are discarded in the kernel (per-skb buffers; experimental, off by default: README)", 0 },
	{ "rotate", OPT_ROTATE, "SIZE", 0,
	  "start the next file of a rotation set (OUTPUT-000001.ntl, -000002, ...) when the current one reaches SIZE (k/M/G, >= 64k); each file is a complete log", 0 },
	{ "rotate-every", OPT_ROTATE_EVERY, "DURATION", 0, "also (or only) rotate every DURATION (30s, 10m, 1h, 1d)", 0 },
	{ "max-files", OPT_MAX_FILES, "N", 0, "with --rotate: keep the newest N files of the set, remove the oldest", 0 },
	{ "max-events-per-s", OPT_MAX_EVENTS, "N", 0,
	  "safety valve: record at most about N events per second (1..100000000); beyond it whole packets are shed in the kernel, decided where each packet is first seen (each CPU gets N / online CPUs: a packet is recorded whole or not at all); packets and events shed are counted in the log (nft-analyze stats) and the summary", 0 },
	{ "verbose", 'v', NULL, 0, "more messages (NT_LIBBPF_DEBUG=1 for libbpf's)", 0 },
	{ "quiet", 'q', NULL, 0, "no status line, no summary", 0 },
	{ "serve", OPT_SERVE, "[ADDR:]PORT", OPTION_ARG_OPTIONAL, "serve the HTTP control API (default " NT_SERVE_DEFAULT_LISTEN "); the recording options given become defaults of every recording", 0 },
	{ "token", OPT_TOKEN, "FILE", 0, "--serve: require Authorization: Bearer <token in FILE> (mandatory for a non-loopback ADDR)", 0 },
	{ "serve-dir", OPT_SERVE_DIR, "DIR", 0, "--serve: directory of the recordings and configs (default " NT_SERVE_DEFAULT_DIR ")", 0 },
	{ 0 },
};

static int bad(struct argp_state *st, const char *what, const char *arg)
{
	fprintf(stderr, "nft-record: %s '%s'\n", what, arg);
	exit(NT_EXIT_USAGE);
	(void)st;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct cli *cli = st->input;
	struct nt_record_opts *o = &cli->o;
	char *end;

	switch (key) {
	case 'c': o->config = arg; break;
	case 'm': {
		long v = strtol(arg, &end, 10);

		if (*end || v < 0 || v > 100000)
			bad(st, "--max-functions: expected a number 0..100000, got", arg);
		o->max_functions = v;
		break;
	}
	case 'd':
		o->duration = strtod(arg, &end);
		if (*end || !(o->duration > 0) || o->duration > 1e7)
			bad(st, "--duration: expected seconds > 0, got", arg);
		break;
	case 'o': o->output = arg; break;
	case OPT_FORCE: o->force = 1; break;
	case 's': cli->stream = 1; break;
	case 'f': o->filter = arg; break;
	case 'b':
		if (strcmp(arg, "auto") && !strstr("|" NT_BACKEND_NAMES "|", arg))
			bad(st, "--backend: use one of " NT_BACKEND_NAMES ", not", arg);
		o->backend = arg;
		break;
	case 'n': {
		char *save = NULL;

		for (char *p = strtok_r(arg, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			if (o->n_netns == NT_MAX_NETNS)
				bad(st, "--netns: too many namespaces (max 16), at", p);
			o->netns[o->n_netns++] = p;
		}
		break;
	}
	case OPT_RINGBUF: {
		unsigned long long v = strtoull(arg, &end, 0);

		if (*end == 'k' || *end == 'K')
			v <<= 10, end++;
		else if (*end == 'm' || *end == 'M')
			v <<= 20, end++;
		if (*end || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
			bad(st, "--ringbuf-size: expected a power of two between 4k and 1G, got", arg);
		o->ringbuf_size = v;
		break;
	}
	case OPT_HOST_LABEL:
		if (nt_host_label_ok(arg))
			bad(st, "--host-label: use 1..63 characters of A-Z a-z 0-9 . _ - :, not", arg);
		o->host_label = arg;
		break;
	case OPT_HOST_NETNS:
		if (nt_host_label_ok(arg))
			bad(st, "--host-netns: expected the name of a namespace (ip netns), not", arg);
		o->host_netns = arg;
		break;
	case OPT_NO_NFTRACE: o->no_nftrace = 1; break;
	case OPT_CONNTRACK: o->conntrack = 1; break;
	case OPT_CAPTURE_BYTES: {
		long v = strtol(arg, &end, 10);

		if (!*arg || *end || v < 0 || v > NT_BYTES_MAX)
			bad(st, "--capture-bytes: expected a number of bytes 0..256, got", arg);
		o->capture_bytes = v;
		break;
	}
	case OPT_STACK:
		if (arg && strcmp(arg, "drop") && strcmp(arg, "all"))
			bad(st, "--stack: use drop or all, not", arg);
		o->stack_mode = arg && !strcmp(arg, "all") ? NT_STACK_ALL : NT_STACK_DROP;
		break;
	case OPT_NFTRACE_NETLINK: o->nftrace_netlink = 1; break;
	case OPT_NFTRACE_FAMILY: {
		char why[128];

		if (nt_nftrace_families_parse(arg, &o->nftrace_families, why, sizeof(why))) {
			fprintf(stderr, "nft-record: --nftrace-family: %s\n", why);
			exit(NT_EXIT_USAGE);
		}
		break;
	}
	case OPT_KEEP: {
		char why[600];

		if (nt_keep_parse(&cli->keep, arg, why, sizeof(why))) {
			fprintf(stderr, "nft-record: %s\n", why);
			exit(NT_EXIT_USAGE);
		}
		o->keep = &cli->keep;
		break;
	}
	case OPT_ROTATE:
		if (nt_rotate_parse_size(arg, &o->rotate_size))
			bad(st, "--rotate: expected a size between 64k and 1T (k, M, G suffixes), got", arg);
		break;
	case OPT_ROTATE_EVERY:
		if (nt_rotate_parse_every(arg, &o->rotate_every_ns))
			bad(st, "--rotate-every: expected a duration between 1s and 365d (s, m, h, d), got", arg);
		break;
	case OPT_MAX_FILES: {
		long v = strtol(arg, &end, 10);

		if (*end || v < 1 || v > 1000000)
			bad(st, "--max-files: expected a number 1..1000000, got", arg);
		o->max_files = (uint32_t)v;
		break;
	}
	case OPT_KEEP_KERNEL: o->keep_kernel = 1; break;
	case OPT_MAX_EVENTS: {
		unsigned long long v;

		errno = 0;
		v = strtoull(arg, &end, 10);
		if (!*arg || *end || *arg == '-' || errno || v < 1 || v > NT_VALVE_MAX_RATE)
			bad(st, "--max-events-per-s: expected a number of events per second 1..100000000, got", arg);
		o->max_events_per_s = v;
		break;
	}
	case 'v': o->verbose++; break;
	case 'q': o->quiet = 1; break;
	case OPT_SERVE:
		cli->serve = 1;
		cli->so.listen = arg;
		break;
	case OPT_TOKEN: cli->so.token_file = arg; break;
	case OPT_SERVE_DIR: cli->so.dir = arg; break;
	case ARGP_KEY_ARG:
		if (cli->serve && !cli->so.listen) { /* --serve ADDR:PORT (argp wants --serve=...) */
			cli->so.listen = arg;
			break;
		}
		bad(st, "unexpected argument", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --host-netns NAME: record in NAME, only packets first seen there, label NAME */
static int host_netns(struct nt_record_opts *o)
{
	static char filter[1024];
	int have = 0, n;

	for (int i = 0; i < o->n_netns; i++)
		have |= !strcmp(o->netns[i], o->host_netns);
	if (!have) {
		if (o->n_netns == NT_MAX_NETNS) {
			fprintf(stderr, "nft-record: --netns: too many namespaces (max 16), at '%s'\n",
				o->host_netns);
			return -1;
		}
		o->netns[o->n_netns++] = o->host_netns;
	}
	if (o->filter)
		n = snprintf(filter, sizeof(filter), "%s and netns %s", o->filter, o->host_netns);
	else
		n = snprintf(filter, sizeof(filter), "netns %s", o->host_netns);
	if (n < 0 || (size_t)n >= sizeof(filter)) {
		fprintf(stderr, "nft-record: --filter: too long\n");
		return -1;
	}
	o->filter = filter;
	if (!o->host_label)
		o->host_label = o->host_netns;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct nt_record_opts *o = &cli.o;
	struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };

	argp_err_exit_status = NT_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &cli))
		return NT_EXIT_USAGE;
	if (o->host_netns && host_netns(o))
		return NT_EXIT_USAGE;
	if (o->max_files && !o->rotate_size && !o->rotate_every_ns) {
		fprintf(stderr, "nft-record: --max-files needs --rotate SIZE or --rotate-every DURATION\n");
		return NT_EXIT_USAGE;
	}
	if ((o->rotate_size || o->rotate_every_ns) &&
	    (cli.serve || (o->output && !strcmp(o->output, "-")))) {
		fprintf(stderr, "nft-record: --rotate writes files: not with %s\n",
			cli.serve ? "--serve (one file per request)" : "--output - (standard output)");
		return NT_EXIT_USAGE;
	}
	if (cli.serve) {
		if (o->output || cli.stream || o->force) {
			fprintf(stderr, "nft-record: --serve: --output, --stream and --force are per request (\"output\" field; GET /api/multi-function/events)\n");
			return NT_EXIT_USAGE;
		}
		cli.so.defaults = o;
		return nt_serve_run(&cli.so);
	}
	if (cli.so.token_file || cli.so.dir) {
		fprintf(stderr, "nft-record: --token and --serve-dir need --serve\n");
		return NT_EXIT_USAGE;
	}
	if (cli.stream && o->output && !strcmp(o->output, "-")) {
		fprintf(stderr, "nft-record: --stream and --output - both want stdout\n");
		return NT_EXIT_USAGE;
	}
	if (cli.stream) { /* a consumer of the recording, like --serve */
		struct nt_stream *s = nt_stream_new(stdout, o->quiet);
		int rc;

		if (!s) {
			fprintf(stderr, "nft-record: out of memory\n");
			return NT_EXIT_RUNTIME;
		}
		o->hooks = nt_stream_hooks(s);
		rc = nt_record_run(o);
		nt_stream_free(s);
		return rc;
	}
	return nt_record_run(o);
}
