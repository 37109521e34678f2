// SPDX-License-Identifier: GPL-2.0
/*
 * nt_vmprobe.c - test driver of the function backends, used inside the test
 * VMs (tests/vm/guest/): discovers the skb functions of the running kernel,
 * attaches them with one backend (nft-record/attach_*.c) plus the nftables
 * programs, records for a while and prints every event as one text line:
 *
 *   ATTACH backend=B requested=N attached=N failed=N ms=X first="..."
 *   FUNC <skb> <name>
 *   META <skb> <l3> <saddr> <daddr> <proto> <sport> <dport>
 *   CHAIN <skb> enter|exit <table>/<chain> <verdict> <trace_id>
 *   RULE <skb> <table>/<chain> <handle> <verdict> <kind> <depth> <target> <trace_id>
 *   LINK <child> <parent> <kind>
 *   DROP <skb> <reason>
 *   FREE <skb>
 *   FUNCS <name> <name> ...          (the selected functions, once)
 *   MARK events=N lost=N t=X         (on SIGUSR1, which also toggles printing
 *                                     of events: flood measurements)
 *   STATS events=N lost=N secs=X
 *
 * usage: nt-vmprobe BACKEND MAX_FUNCS SECONDS [--quiet]
 *        nt-vmprobe BACKEND probe        "AVAILABLE [note]" (exit 0) or
 *                                        "UNAVAILABLE backend: why" (exit 3)
 *        nt-vmprobe modfuncs             the built-in table of module functions
 *                                        (nft-discover/modfuncs.h, from 5.10) against
 *                                        this kernel's module BTF: "MODFUNCS checked=N
 *                                        same=N differ=N first=..."
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/bpf_shared.h"
#include "nft-discover/discover.h"
#include "nft-discover/modfuncs.h"
#include "nft-record/attach.h"
#include "nt.skel.h"

extern const struct nt_backend nt_backend_kprobe_multi, nt_backend_fentry, nt_backend_kprobe,
	nt_backend_tracepoint;

static struct nt_funcs sel;
static uint64_t nev;
static int quiet;

struct cdef {
	uint64_t key;
	char name[2 * NT_NAME_LEN + 2];
};
static struct cdef cdefs[512];
static size_t ncdefs;

static const char *cname(uint64_t key)
{
	for (size_t i = 0; i < ncdefs; i++)
		if (cdefs[i].key == key)
			return cdefs[i].name;
	return key ? "?" : "-";
}

static const char *fname(uint32_t id)
{
	static const char *const tp[] = NT_TP_NAMES;

	if (id < NT_TP__COUNT)
		return tp[id];
	id -= NT_TP__COUNT;
	return id < sel.n ? sel.v[id].name : "?";
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct nt_ev_hdr *h = data;
	char a[64], b[64];

	nev++;
	if (quiet && h->type != NT_EV_NFT_CHAINDEF)
		return 0;
	switch (h->type) {
	case NT_EV_FUNC:
		printf("FUNC %" PRIx64 " %s\n", h->skb, fname(h->id));
		break;
	case NT_EV_META: {
		const struct nt_ev_meta *m = data;
		int af = m->l3 == NT_L3_IPV6 ? AF_INET6 : AF_INET;

		inet_ntop(af, m->saddr, a, sizeof(a));
		inet_ntop(af, m->daddr, b, sizeof(b));
		printf("META %" PRIx64 " %u %s %s %u %u %u\n", h->skb, m->l3, a, b, m->l4proto,
		       m->sport, m->dport);
		break;
	}
	case NT_EV_NFT_CHAINDEF: {
		const struct nt_ev_nft_chaindef *d = data;

		if (ncdefs < sizeof(cdefs) / sizeof(cdefs[0])) {
			cdefs[ncdefs].key = d->chain_key;
			snprintf(cdefs[ncdefs].name, sizeof(cdefs[0].name), "%s/%s", d->table, d->chain);
			ncdefs++;
		}
		if (!quiet)
			printf("CHAINDEF %s base=%u hook=%u prio=%d policy=%u family=%u\n",
			       cdefs[ncdefs - 1].name, d->base, d->hook, d->prio, d->policy, d->family);
		break;
	}
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = data;

		printf("CHAIN %" PRIx64 " %s %s %d %08x\n", h->skb,
		       c->phase == NT_CHAIN_ENTER ? "enter" : "exit", cname(c->chain_key), c->verdict,
		       c->trace_id);
		break;
	}
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = data;

		printf("RULE %" PRIx64 " %s %" PRIu64 " %d %u %u %s %08x\n", h->skb, cname(r->chain_key),
		       r->rule_handle, r->verdict, r->kind, r->depth, cname(r->target_key), r->trace_id);
		break;
	}
	case NT_EV_FREE:
		printf("FREE %" PRIx64 "\n", h->skb);
		break;
	case NT_EV_DROP: {
		const struct nt_ev_drop *d = data;

		printf("DROP %" PRIx64 " %u\n", h->skb, d->reason);
		break;
	}
	case NT_EV_LINK: {
		const struct nt_ev_link *l = data;

		printf("LINK %" PRIx64 " %" PRIx64 " %u\n", h->skb, l->parent, l->kind);
		break;
	}
	default:
		break;
	}
	return 0;
}

static volatile sig_atomic_t stop, mark;
static void on_sig(int s) { stop = 1; }
static void on_usr1(int s) { mark = 1; }

static uint64_t lost_total(struct nt_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t lost = 0, v[256] = { 0 };
	uint32_t k = 0;

	if (ncpu > 0 && ncpu <= 256 && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.nt_lost), &k, v))
		for (int i = 0; i < ncpu; i++)
			lost += v[i];
	return lost;
}

/* The module function table against the module BTF of the running kernel. */
static int modfuncs_check(void)
{
	struct nt_discover_opts o = { .sz = sizeof(o) };
	struct nt_funcs all = { 0 };
	char err[512], mod[64], name[128], kind[16], via[96], first[600] = "";
	const char *p = nt_modfuncs_data;
	size_t checked = 0, same = 0, differ = 0, off = 0;
	int arg;

	if (nt_discover(&o, &all, err, sizeof(err)) < 0) {
		printf("MODFUNCS error: %s\n", err);
		return 1;
	}
	while (*p) {
		const struct nt_func *f;
		const char *eol = strchr(p, '\n');
		char line[320];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		p += eol ? len + 1 : len;
		via[0] = 0;
		if (sscanf(line, "%63s %127s %15s %d %95s", mod, name, kind, &arg, via) < 4)
			continue;
		f = nt_funcs_find(&all, name, mod);
		if (!f || (f->flags & NT_FN_NO_BTF))
			continue; /* module not loaded, or no BTF to compare with */
		checked++;
		if (!strcmp(nt_kind_name(f->kind), kind) && f->arg == arg &&
		    !strcmp(f->via ? f->via : "", via)) {
			same++;
			continue;
		}
		differ++;
		if (off < sizeof(first) - 1)
			off += snprintf(first + off, sizeof(first) - off, "%s%s (%s %d -> %s %d)",
					off ? ", " : "", name, kind, arg, nt_kind_name(f->kind), f->arg);
	}
	printf("MODFUNCS table=%s checked=%zu same=%zu differ=%zu first=\"%s\"\n", nt_modfuncs_kver,
	       checked, same, differ, first);
	nt_funcs_free(&all);
	return 0;
}

int main(int argc, char **argv)
{
	const struct nt_backend *be = NULL;
	struct nt_discover_opts o = { .sz = sizeof(o) };
	struct nt_funcs all = { 0 };
	struct nt_backend_args ba = { 0 };
	struct nt_attach_report rep;
	struct ring_buffer *rb = NULL;
	struct nt_bpf *skel = NULL;
	struct bpf_program *p;
	char err[512];
	size_t max, *idx = NULL, n;
	double secs, t0;
	int rc = 1;

	if (argc == 2 && !strcmp(argv[1], "modfuncs"))
		return modfuncs_check();
	if (argc == 3 && !strcmp(argv[2], "probe")) {
		for (size_t i = 0; i < 3; i++) {
			const struct nt_backend *b = i == 0 ? &nt_backend_kprobe_multi :
						     i == 1 ? &nt_backend_fentry : &nt_backend_kprobe;

			if (strcmp(argv[1], b->name))
				continue;
			err[0] = 0;
			if (b->probe(err, sizeof(err)) < 0) {
				printf("UNAVAILABLE %s: %s\n", b->name, err);
				return 3;
			}
			printf("AVAILABLE%s%s\n", err[0] ? " " : "", err);
			return 0;
		}
		return 2;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: %s kprobe-multi|fentry|kprobe MAX_FUNCS SECONDS [--quiet]\n", argv[0]);
		return 2;
	}
	quiet = argc > 4 && !strcmp(argv[4], "--quiet");
	if (!strcmp(argv[1], "kprobe-multi"))
		be = &nt_backend_kprobe_multi;
	else if (!strcmp(argv[1], "fentry"))
		be = &nt_backend_fentry;
	else if (!strcmp(argv[1], "kprobe"))
		be = &nt_backend_kprobe;
	else
		return 2;
	max = strtoul(argv[2], NULL, 10);
	secs = atof(argv[3]);
	if (be->probe(err, sizeof(err)) < 0) {
		printf("UNAVAILABLE %s: %s\n", be->name, err);
		return 3;
	}
	if (nt_discover(&o, &all, err, sizeof(err)) < 0) {
		fprintf(stderr, "discover: %s\n", err);
		return 1;
	}
	idx = calloc(all.n + 1, sizeof(*idx));
	n = nt_funcs_select(&all, max, 3, 0, true, idx);
	sel.v = calloc(n + 1, sizeof(*sel.v));
	for (size_t i = 0; i < n; i++)
		sel.v[sel.n++] = all.v[idx[i]];
	skel = nt_bpf__open();
	if (!skel)
		goto out;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	ba.skel = skel;
	ba.funcs = &sel;
	ba.verbose = 1;
	/* as nft-record does: the tracepoint backend always runs beside */
	if (nt_backend_tracepoint.prepare(&ba) < 0 || be->prepare(&ba) < 0 || nt_bpf__load(skel)) {
		fprintf(stderr, "load failed\n");
		goto out;
	}
	if (be->attach(&ba, &rep) < 0) {
		fprintf(stderr, "attach failed: %s\n", rep.first_failures);
		goto out;
	}
	{
		struct nt_attach_report trep;

		nt_backend_tracepoint.attach(&ba, &trep);
	}
	printf("ATTACH backend=%s requested=%u attached=%u failed=%u ms=%.1f first=\"%s\"\n", rep.backend,
	       rep.requested, rep.attached, rep.failed, rep.attach_ms, rep.first_failures);
	fflush(stdout);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.nt_events), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring buffer: %s\n", strerror(errno));
		goto out;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGUSR1, on_usr1);
	printf("FUNCS");
	for (size_t i = 0; i < sel.n; i++)
		printf(" %s", sel.v[i].name);
	printf("\nREADY\n");
	fflush(stdout);
	t0 = nt_attach_now_ms();
	while (!stop && nt_attach_now_ms() - t0 < secs * 1e3) {
		ring_buffer__poll(rb, 100);
		if (mark) {
			mark = 0;
			ring_buffer__consume(rb);
			printf("MARK events=%" PRIu64 " lost=%" PRIu64 " t=%.3f\n", nev, lost_total(skel),
			       nt_attach_now_ms() / 1e3);
			fflush(stdout);
			quiet = !quiet;
		}
	}
	ring_buffer__consume(rb);
	printf("STATS events=%" PRIu64 " lost=%" PRIu64 " secs=%.2f\n", nev, lost_total(skel),
	       (nt_attach_now_ms() - t0) / 1e3);
	t0 = nt_attach_now_ms();
	be->detach();
	nt_backend_tracepoint.detach();
	printf("DETACH ms=%.1f\n", nt_attach_now_ms() - t0);
	rc = 0;
out:
	ring_buffer__free(rb);
	nt_bpf__destroy(skel);
	free(sel.v);
	free(idx);
	nt_funcs_free(&all);
	return rc;
}
