// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - the recorder core: checks, BPF skeleton, backends, nftrace in every
 * namespace, one epoll loop over the BPF ring buffer and the trace sockets,
 * the log writer, loss accounting, live status and summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <cjson/cJSON.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nft-record/record.h"
#include "common/layers.h"
#include "nft-record/backend.h"
#include "nft-record/corr.h"
#include "nft-record/capfilter.h"
#include "nft-record/netns.h"
#include "nft-record/nftrace.h"
#include "nft-record/attach.h"
#include "nft-record/privs.h"
#include "nft-record/snapshot.h"
#include "nft-record/stream.h"
#include "nft-record/tracepoints.h"
#include "common/bpf_shared.h"
#include "common/kallsyms.h"
#include "formats/logw.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

#define DEFAULT_MAX_FUNCS 50
#define DEFAULT_RINGBUF (8u << 20)
#define KSYM_SET_BITS 13
#define KSYM_PENDING 512
#define PKT_SET_BITS 16
#define MAX_CPUS 1024

#define REC_MAX 176                /* largest record (NT_EV_NFT_CHAINDEF) */
#define BPFQ_LEN 32768             /* BPF records waiting for the merge */
#define NFTQ_LEN 8192              /* resolved nftrace records waiting for the merge */
#define MERGE_DELAY_NS (2 * NT_CORR_DELAY_NS)

static volatile sig_atomic_t stop_sig;

/* Fixed ring of records (no allocation after creation). */
struct evq {
	uint8_t (*slot)[REC_MAX];
	uint16_t *len;
	size_t cap, head, n;
};

struct rec {
	const struct nt_record_opts *o;
	struct nt_bpf *skel;
	struct ring_buffer *rb;
	struct ntl_writer *w;
	struct nt_netns ns[NT_MAX_NETNS + 1];
	int nns;
	struct nt_nftrace tr[NT_MAX_NETNS + 1];
	int ntr;
	struct nt_chains *chains;
	struct nt_corr *corr;
	struct nt_capfilter flt;
	const struct nt_backend *fb;     /* function backend or NULL */
	struct nt_funcs all, sel;
	int sel_shallow;                 /* sel.v is a shallow copy of all.v entries */
	struct nt_ksyms *ksyms;
	uint64_t ksym_set[1u << KSYM_SET_BITS];
	uint64_t ksym_pending[KSYM_PENDING];
	int nksym_pending;
	uint64_t pkt_set[1u << PKT_SET_BITS];
	uint64_t packets, events, bpf_events, write_errors;
	uint64_t lost_rb[MAX_CPUS];
	uint64_t lost_rb_total, lost_nl_total;
	uint64_t *lost_nl;               /* per trace socket, last written */
	int ncpus;
	uint64_t start_ns, end_ns;
	uint64_t rec_ns;            /* end of the attach: the recording proper starts */
	int max_eff;                /* function limit applied (0 = none) */
	uint64_t bpf_rules;         /* nft rule steps from the BPF probes */
	char out_path[512];
	struct nt_stream *stream;
	int err;                         /* first fatal error in a callback */
	int status_tty;
	struct nt_attach_report rep_tp, rep_fn;
	char backend_why[600];
	uint64_t unknown_chain_refresh_ns;
	struct evq bpfq, nftq;
};

static int evq_init(struct evq *q, size_t cap)
{
	q->slot = calloc(cap, REC_MAX);
	q->len = calloc(cap, sizeof(*q->len));
	q->cap = cap;
	q->head = q->n = 0;
	return q->slot && q->len ? 0 : -ENOMEM;
}

static void evq_free(struct evq *q)
{
	free(q->slot);
	free(q->len);
	q->slot = NULL;
	q->len = NULL;
}

static const struct nt_ev_hdr *evq_head(const struct evq *q)
{
	return q->n ? (const void *)q->slot[q->head] : NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void say(const struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("NT_LIBBPF_DEBUG") ? 2 : 0;
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- preflight: privileges and kernel features ------------------------------------------ */

static int preflight(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int sys_admin, bpf_cap, perfmon, net_admin;

	if (syscall(SYS_capget, &hdr, data)) {
		fprintf(stderr, "nft-record: cannot read process capabilities: %s\n", strerror(errno));
		return NT_EXIT_RUNTIME;
	}
#define HAS(c) (!!(data[(c) / 32].effective & (1u << ((c) % 32))))
	sys_admin = HAS(21);
	net_admin = HAS(12);
	bpf_cap = HAS(39);
	perfmon = HAS(38);
#undef HAS
	if (!sys_admin && !bpf_cap && !net_admin) {
		fprintf(stderr, "nft-record: must run as root (needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN for --netns); try sudo\n");
		return NT_EXIT_PRIV;
	}
	if (!sys_admin && !(bpf_cap && perfmon)) {
		fprintf(stderr, "nft-record: missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): cannot load BPF tracing programs; run as root\n");
		return NT_EXIT_PRIV;
	}
	if (!net_admin) {
		fprintf(stderr, "nft-record: missing CAP_NET_ADMIN: cannot add the nftrace table or read nftables traces; run as root\n");
		return NT_EXIT_PRIV;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "nft-record: kernel BTF missing (/sys/kernel/btf/vmlinux: %s): needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
			strerror(errno));
		return NT_EXIT_KERNEL;
	}
	return 0;
}

/* ---- metadata blocks --------------------------------------------------------------------- */

static int write_text(struct rec *r, uint16_t type, char *s)
{
	int err;

	if (!s)
		return -ENOMEM;
	err = ntl_writer_meta(r->w, type, s, strlen(s));
	if (!err && r->stream)
		nt_stream_meta(r->stream, type, s, strlen(s));
	if (!err && r->o->hooks && r->o->hooks->meta)
		r->o->hooks->meta(r->o->hooks->ctx, type, s, strlen(s));
	free(s);
	return err;
}

static int write_json(struct rec *r, uint16_t type, cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);

	cJSON_Delete(root);
	return write_text(r, type, s);
}

static void addr_str(char *buf, size_t len, uint64_t a)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)a);
}

static int write_header(struct rec *r)
{
	cJSON *h = cJSON_CreateObject(), *opt, *nsa;
	struct utsname u;
	struct timespec rt, mt;
	char host[256] = "", tbuf[64];
	time_t now = time(NULL);
	struct tm tm;

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	gmtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(h, "tool", "nft-record");
	cJSON_AddStringToObject(h, "tool_version", NT_VERSION);
	cJSON_AddNumberToObject(h, "format_version", NT_FORMAT_VERSION);
	cJSON_AddStringToObject(h, "hostname", host);
	cJSON_AddStringToObject(h, "kernel", u.release);
	cJSON_AddStringToObject(h, "machine", u.machine);
	cJSON_AddStringToObject(h, "clock", "CLOCK_MONOTONIC");
	cJSON_AddNumberToObject(h, "boot_time_ns",
				(double)(((int64_t)rt.tv_sec - mt.tv_sec) * 1000000000ll +
					 (rt.tv_nsec - mt.tv_nsec)));
	cJSON_AddNumberToObject(h, "start_mono_ns", (double)r->start_ns);
	cJSON_AddStringToObject(h, "start_time", tbuf);
	cJSON_AddNumberToObject(h, "ncpus", r->ncpus);
	cJSON_AddStringToObject(h, "byte_order", "little");
	cJSON_AddStringToObject(h, "backend", r->fb ? r->fb->name : "tracepoint");
	cJSON_AddStringToObject(h, "backend_reason", r->backend_why);
	cJSON_AddStringToObject(h, "filter", r->o->filter ? r->o->filter : "");
	opt = cJSON_AddObjectToObject(h, "options");
	cJSON_AddNumberToObject(opt, "max_functions", r->max_eff); /* 0 = no limit */
	cJSON_AddNumberToObject(opt, "ringbuf_kb",
				(double)(r->o->ringbuf_size ? r->o->ringbuf_size : DEFAULT_RINGBUF) / 1024);
	cJSON_AddNumberToObject(opt, "duration_s", r->o->duration);
	cJSON_AddBoolToObject(opt, "nftrace", !r->o->no_nftrace);
	cJSON_AddBoolToObject(opt, "nftrace_netlink", r->o->nftrace_netlink);
	cJSON_AddBoolToObject(opt, "nftrace_bridge", !!(r->o->nftrace_families & NT_NFTRACE_BRIDGE));
	cJSON_AddStringToObject(opt, "config", r->o->config ? r->o->config : "");
	nsa = cJSON_AddArrayToObject(opt, "netns");
	for (int i = 0; i < r->nns; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", nt_netns_label(&r->ns[i]));
		cJSON_AddNumberToObject(o, "inum", r->ns[i].inum);
		cJSON_AddItemToArray(nsa, o);
	}
	return write_json(r, NTL_B_HEADER, h);
}

static int write_funcs(struct rec *r)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "functions");
	const struct nt_tp_desc *tp;
	size_t ntp = nt_tp_list(&tp); /* packet path ids 0.., other tracepoints after the functions */
	char a[32];

	for (size_t i = 0; i < ntp; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", tp[i].id);
		cJSON_AddStringToObject(o, "name", tp[i].name);
		cJSON_AddStringToObject(o, "layer", tp[i].layer);
		cJSON_AddNumberToObject(o, "priority", tp[i].priority);
		cJSON_AddStringToObject(o, "kind", "tracepoint");
		cJSON_AddNumberToObject(o, "arg", tp[i].arg);
		cJSON_AddStringToObject(o, "module", "");
		cJSON_AddStringToObject(o, "addr", "0x0");
		cJSON_AddItemToArray(arr, o);
	}
	for (size_t i = 0; r->fb && i < r->sel.n; i++) {
		const struct nt_func *f = &r->sel.v[i];
		cJSON *o = cJSON_CreateObject();

		addr_str(a, sizeof(a), f->naddrs ? f->addrs[0] : 0);
		cJSON_AddNumberToObject(o, "id", NT_TP__COUNT + (double)i);
		cJSON_AddStringToObject(o, "name", f->name);
		cJSON_AddStringToObject(o, "layer", f->layer ? f->layer : "Other");
		cJSON_AddNumberToObject(o, "priority", f->priority);
		cJSON_AddStringToObject(o, "kind", nt_kind_name(f->kind));
		cJSON_AddNumberToObject(o, "arg", f->arg);
		cJSON_AddStringToObject(o, "module", f->module ? f->module : "");
		cJSON_AddStringToObject(o, "addr", a);
		cJSON_AddItemToArray(arr, o);
	}
	return write_json(r, NTL_B_FUNCS, root);
}

/* Remember symbol of ADDR for the next KSYMS block (allocation free). */
static void ksym_note(struct rec *r, uint64_t addr)
{
	const struct nt_ksym *s;
	uint64_t *slot;

	if (!r->ksyms || !addr)
		return;
	s = nt_ksyms__by_addr(r->ksyms, addr);
	if (!s)
		return;
	slot = &r->ksym_set[(s->addr >> 4) & ((1u << KSYM_SET_BITS) - 1)];
	if (*slot == s->addr)
		return;
	for (int i = 0; i < r->nksym_pending; i++)
		if (r->ksym_pending[i] == s->addr)
			return;
	if (r->nksym_pending == KSYM_PENDING)
		return;
	r->ksym_pending[r->nksym_pending++] = s->addr;
	*slot = s->addr;
}

static int write_ksyms(struct rec *r, int initial)
{
	cJSON *root, *arr;
	char a[32];

	if (!initial && !r->nksym_pending)
		return 0;
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "symbols");
	for (int i = 0; i < r->nksym_pending; i++) {
		const struct nt_ksym *s = nt_ksyms__by_addr(r->ksyms, r->ksym_pending[i]);
		cJSON *o;

		if (!s)
			continue;
		o = cJSON_CreateObject();
		addr_str(a, sizeof(a), s->addr);
		cJSON_AddStringToObject(o, "addr", a);
		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "module", s->module ? s->module : "");
		cJSON_AddItemToArray(arr, o);
	}
	r->nksym_pending = 0;
	return write_json(r, NTL_B_KSYMS, root);
}

/* ---- events ------------------------------------------------------------------------------ */

static int emit(struct rec *r, const void *rec, size_t len)
{
	int err = ntl_writer_event(r->w, rec, len);

	if (err) {
		r->write_errors++;
		if (!r->err)
			r->err = err;
		return err;
	}
	r->events++;
	if (r->stream)
		nt_stream_event(r->stream, rec, len);
	if (r->o->hooks && r->o->hooks->event)
		r->o->hooks->event(r->o->hooks->ctx, rec, len);
	return 0;
}

/*
 * Records are written in time order: BPF records wait MERGE_DELAY_NS in bpfq,
 * so that the nftrace records of the same moment (resolved after
 * NT_CORR_DELAY_NS, corr.h) can be merged in before them; the analyzer then
 * sees a packet's rule verdicts before its free / drop.
 */
static void evq_pop_write(struct rec *r, struct evq *q)
{
	emit(r, q->slot[q->head], q->len[q->head]);
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

static void merge_out(struct rec *r, uint64_t upto)
{
	for (;;) {
		const struct nt_ev_hdr *b = evq_head(&r->bpfq), *n = evq_head(&r->nftq);
		struct evq *q;

		if (!b && !n)
			return;
		if (b && n)
			q = n->ts_ns <= b->ts_ns ? &r->nftq : &r->bpfq;
		else
			q = b ? &r->bpfq : &r->nftq;
		if (upto && evq_head(q)->ts_ns > upto)
			return;
		evq_pop_write(r, q);
	}
}

static void evq_push(struct rec *r, struct evq *q, const void *rec, size_t len)
{
	size_t i;

	if (len > REC_MAX)
		return;
	if (q->n == q->cap) /* full: write the oldest now, order may suffer */
		merge_out(r, evq_head(q)->ts_ns);
	if (q->n == q->cap)
		evq_pop_write(r, q);
	i = (q->head + q->n) % q->cap;
	memcpy(q->slot[i], rec, len);
	q->len[i] = len;
	q->n++;
}

static int corr_emit(void *ctx, const void *rec, size_t len)
{
	struct rec *r = ctx;

	evq_push(r, &r->nftq, rec, len);
	return r->err;
}

static int corr_chain(void *ctx, uint32_t netns, uint8_t family, const char *table,
		      const char *chain, struct nt_ev_nft_chaindef *def)
{
	struct rec *r = ctx;
	uint64_t now;

	if (!nt_chains_get(r->chains, netns, family, table, chain, def))
		return 0;
	/* a chain added during the recording: re-read that namespace, at most 1/s */
	now = mono_ns();
	if (now < r->unknown_chain_refresh_ns + 1000000000ull)
		return -1;
	r->unknown_chain_refresh_ns = now;
	for (int i = 0; i < r->nns; i++)
		if (r->ns[i].inum == netns)
			nt_chains_refresh(r->chains, &r->ns[i], NT_TRACE_TABLE_PREFIX);
	return nt_chains_get(r->chains, netns, family, table, chain, def);
}

static void pkt_seen(struct rec *r, uint64_t skb, int freed)
{
	uint64_t *slot = &r->pkt_set[(skb >> 8 ^ skb >> 20) & ((1u << PKT_SET_BITS) - 1)];

	if (freed) {
		if (*slot == skb)
			*slot = 0;
		return;
	}
	if (*slot != skb) {
		*slot = skb;
		r->packets++;
	}
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct rec *r = ctx;
	const struct nt_ev_hdr *h = data;

	if (size < sizeof(*h) || nt_ev_size(h->type) != size)
		return 0; /* never produced by our programs */
	r->bpf_events++;
	switch (h->type) {
	case NT_EV_META:
		pkt_seen(r, h->skb, 0);
		nt_corr_meta(r->corr, data);
		break;
	case NT_EV_DROP:
		ksym_note(r, ((const struct nt_ev_drop *)data)->location);
		pkt_seen(r, h->skb, 1);
		break;
	case NT_EV_FREE:
		pkt_seen(r, h->skb, 1);
		break;
	case NT_EV_NFT_RULE:
		r->bpf_rules++;
		break;
	default:
		break;
	}
	evq_push(r, &r->bpfq, data, size);
	return 0;
}

static void on_trace(void *ctx, const struct nt_trace_msg *m)
{
	struct rec *r = ctx;

	nt_corr_push(r->corr, m);
}

static void write_losses(struct rec *r, int force)
{
	static uint64_t vals[MAX_CPUS];
	struct nt_ev_loss l;
	uint32_t k = 0;
	uint64_t total = 0;

	memset(&l, 0, sizeof(l));
	l.h.type = NT_EV_LOSS;
	l.h.ts_ns = mono_ns();
	if (r->skel && !bpf_map__lookup_elem(r->skel->maps.nt_lost, &k, sizeof(k), vals,
					     sizeof(uint64_t) * r->ncpus, 0)) {
		for (int c = 0; c < r->ncpus; c++) {
			total += vals[c];
			if (vals[c] == r->lost_rb[c] && !(force && vals[c]))
				continue;
			r->lost_rb[c] = vals[c];
			l.h.cpu = c;
			l.count = vals[c];
			l.source = NT_LOSS_RINGBUF;
			emit(r, &l, sizeof(l));
		}
		r->lost_rb_total = total;
	}
	total = 0;
	for (int i = 0; i < r->ntr; i++) {
		uint64_t lost = nt_nftrace_lost(&r->tr[i]);

		total += lost;
		if (lost == r->lost_nl[i] && !(force && lost))
			continue;
		r->lost_nl[i] = lost;
		l.h.cpu = 0xffff;
		l.h.id = r->tr[i].ns->inum; /* namespace of the trace socket */
		l.count = lost;
		l.source = NT_LOSS_NETLINK;
		emit(r, &l, sizeof(l));
	}
	r->lost_nl_total = total;
}

static void status_line(struct rec *r, uint64_t now, uint64_t *last_ev, uint64_t *last_ns)
{
	double dt = (now - *last_ns) / 1e9;
	double rate = dt > 0 ? (r->events - *last_ev) / dt : 0;

	*last_ev = r->events;
	*last_ns = now;
	if (r->o->hooks && r->o->hooks->progress) {
		struct nt_record_progress p = {
			.events = r->events, .packets = r->packets, .lost_ringbuf = r->lost_rb_total,
			.lost_netlink = r->lost_nl_total, .output_bytes = ntl_writer_bytes(r->w),
		};

		r->o->hooks->progress(r->o->hooks->ctx, &p);
	}
	if (!r->status_tty)
		return;
	fprintf(stderr, "\r\033[K%.0fs  events %llu (%.0f/s)  packets %llu  lost %llu  output %.1f KiB",
		(now - r->rec_ns) / 1e9, (unsigned long long)r->events, rate,
		(unsigned long long)r->packets,
		(unsigned long long)(r->lost_rb_total + r->lost_nl_total),
		ntl_writer_bytes(r->w) / 1024.0);
}

/* ---- setup ------------------------------------------------------------------------------- */

static int open_namespaces(struct rec *r)
{
	char err[256];

	if (nt_netns_open(&r->ns[0], NULL, err, sizeof(err))) {
		fprintf(stderr, "nft-record: %s\n", err);
		return NT_EXIT_RUNTIME;
	}
	r->nns = 1;
	for (int i = 0; i < r->o->n_netns; i++) {
		struct nt_netns *ns = &r->ns[r->nns];
		int dup = 0;

		if (nt_netns_open(ns, r->o->netns[i], err, sizeof(err))) {
			fprintf(stderr, "nft-record: %s\n", err);
			return NT_EXIT_USAGE;
		}
		for (int j = 0; j < r->nns; j++)
			dup |= r->ns[j].inum == ns->inum;
		if (dup)
			nt_netns_close(ns);
		else
			r->nns++;
	}
	return 0;
}

/* netns / iface predicates of the filter -> inode / ifindex */
static int resolve_filter(struct rec *r)
{
	struct nt_filter *f = &r->flt.bpf;
	int found = 0;

	if (r->flt.netns[0]) {
		struct nt_netns want;
		char err[256];
		int idx = -1;

		if (nt_netns_open(&want, r->flt.netns, err, sizeof(err))) {
			fprintf(stderr, "nft-record: --filter netns %s: no such namespace (/run/netns/%s; see ip netns list)\n",
				r->flt.netns, r->flt.netns);
			return NT_EXIT_USAGE;
		}
		nt_netns_close(&want);
		for (int i = 0; i < r->nns; i++)
			if (r->ns[i].inum == want.inum)
				idx = i;
		if (idx < 0) {
			fprintf(stderr, "nft-record: --filter netns %s: add --netns %s too (namespace not recorded)\n",
				r->flt.netns, r->flt.netns);
			return NT_EXIT_USAGE;
		}
		f->netns = want.inum;
	}
	if (r->flt.iface[0]) {
		for (int i = 0; i < r->nns && !found; i++) {
			unsigned int idx;

			if (f->netns && r->ns[i].inum != f->netns)
				continue;
			if (nt_netns_enter(&r->ns[i]))
				continue;
			idx = if_nametoindex(r->flt.iface);
			nt_netns_leave();
			if (idx) {
				f->ifindex = idx;
				found = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "nft-record: --filter iface %s: no such interface in the recorded namespaces\n",
				r->flt.iface);
			return NT_EXIT_USAGE;
		}
	}
	return 0;
}

static int load_functions(struct rec *r)
{
	struct nt_discover_opts dopt = { .sz = sizeof(dopt) };
	char err[512];
	/* auto-discovery: every probe-able function with kprobe-multi (one link,
	 * attach and detach in about a second), the prototype's 50 of priority
	 * <= 1 with one link per function (fentry, kprobe: slow to detach) */
	bool all = !r->o->max_functions && r->fb && r->fb->one_link;
	int max = r->o->max_functions ? r->o->max_functions : all ? 0 : DEFAULT_MAX_FUNCS;

	r->max_eff = r->o->config ? r->o->max_functions : max;
	size_t *idx = NULL, n;
	int ret;

	if (!r->fb) {
		if (r->o->config) {
			struct nt_funcs cfg = { 0 };

			ret = nt_trace_config_load(r->o->config, NULL, &cfg, err, sizeof(err));
			if (ret < 0) {
				fprintf(stderr, "nft-record: --config %s: %s\n", r->o->config, err);
				return NT_EXIT_USAGE;
			}
			say(r, "nft-record: %zu functions in %s are not traced in tracepoint mode\n",
			    cfg.n, r->o->config);
			nt_funcs_free(&cfg);
		}
		return 0;
	}
	ret = nt_discover(&dopt, &r->all, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nft-record: function discovery failed: %s\n", err);
		return ret == -ENOMEM ? NT_EXIT_RUNTIME : NT_EXIT_KERNEL;
	}
	if (r->o->config) {
		ret = nt_trace_config_load(r->o->config, &r->all, &r->sel, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "nft-record: --config %s: %s\n", r->o->config, err);
			return NT_EXIT_USAGE;
		}
		if (ret > 0)
			say(r, "nft-record: %s\n", err);
		while (r->o->max_functions && r->sel.n > (size_t)max) {
			struct nt_func *f = &r->sel.v[--r->sel.n]; /* owned by sel: free the tail */

			free(f->name);
			free(f->module);
			free(f->addrs);
			free(f->via);
		}
		return 0;
	}
	idx = calloc(r->all.n ? r->all.n : 1, sizeof(*idx));
	if (!idx)
		return NT_EXIT_RUNTIME;
	n = nt_funcs_select(&r->all, max, all ? NT_PRIO_MAX : 1, 0, true, idx);
	r->sel.v = calloc(n ? n : 1, sizeof(*r->sel.v));
	if (!r->sel.v) {
		free(idx);
		return NT_EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++)
		r->sel.v[i] = r->all.v[idx[i]];
	r->sel.n = n;
	r->sel_shallow = 1;
	free(idx);
	say(r, "nft-record: auto-discovery: %zu skb functions, tracing %zu (%s)\n", r->all.n, n,
	    all ? "every probe-able one" : "priority <= 1");
	return 0;
}

static int open_bpf(struct rec *r)
{
	struct nt_backend_args a = { .funcs = &r->sel, .verbose = r->o->verbose };
	struct bpf_program *p;
	size_t rbsz = r->o->ringbuf_size ? r->o->ringbuf_size : DEFAULT_RINGBUF;
	int err;

	r->skel = nt_bpf__open();
	if (!r->skel) {
		fprintf(stderr, "nft-record: cannot open the BPF object: %s\n", strerror(errno));
		return NT_EXIT_RUNTIME;
	}
	a.skel = r->skel;
	bpf_map__set_max_entries(r->skel->maps.nt_events, rbsz);
	memcpy((void *)&r->skel->rodata->nt_cfg, &r->flt.bpf, sizeof(r->flt.bpf));
	/* records wake the loop (which polls every NT_POLL_MS) only past a quarter of the ring */
	r->skel->rodata->nt_wakeup_bytes = rbsz / 4;
	bpf_object__for_each_program(p, r->skel->obj)
		bpf_program__set_autoload(p, false);
	err = nt_backend_tracepoint.prepare(&a);
	if (!err && r->fb && r->fb->prepare)
		err = r->fb->prepare(&a);
	if (err) {
		fprintf(stderr, "nft-record: backend preparation failed: %s\n", strerror(-err));
		return NT_EXIT_RUNTIME;
	}
	err = nt_bpf__load(r->skel);
	if (err) {
		fprintf(stderr, "nft-record: cannot load the BPF programs: %s%s\n", strerror(-err),
			err == -EPERM ? " (missing CAP_BPF / CAP_PERFMON?)" : "");
		return err == -EPERM ? NT_EXIT_PRIV : NT_EXIT_KERNEL;
	}
	return 0;
}

static int attach_all(struct rec *r)
{
	struct nt_backend_args a = { .skel = r->skel, .funcs = &r->sel, .verbose = r->o->verbose };
	int err;

	err = nt_backend_tracepoint.attach(&a, &r->rep_tp);
	if (err) {
		fprintf(stderr, "nft-record: cannot attach any tracepoint: %s\n",
			r->rep_tp.first_failures);
		return NT_EXIT_KERNEL;
	}
	if (r->rep_tp.failed)
		say(r, "nft-record: %u of %u tracepoints failed: %s\n", r->rep_tp.failed,
		    r->rep_tp.requested, r->rep_tp.first_failures);
	if (r->fb) {
		err = r->fb->attach(&a, &r->rep_fn);
		if (err) {
			fprintf(stderr, "nft-record: backend %s attached no function: %s\n", r->fb->name,
				r->rep_fn.first_failures);
			return NT_EXIT_RUNTIME;
		}
		char fb[48] = "";

		if (r->rep_fn.fallback) /* fentry: functions no trampoline takes */
			snprintf(fb, sizeof(fb), " (%u by kprobe)", r->rep_fn.fallback);
		say(r, "nft-record: %s: %u/%u functions attached in %.1f ms%s%s%s\n", r->fb->name,
		    r->rep_fn.attached, r->rep_fn.requested, r->rep_fn.attach_ms, fb,
		    r->rep_fn.failed ? "; failures: " : "", r->rep_fn.failed ? r->rep_fn.first_failures : "");
	}
	return 0;
}

static void default_output(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "nft-trace-%Y%m%d-%H%M%S.ntl", &tm);
}

static void teardown(struct rec *r)
{
	/* one link per function (fentry, kprobe): the kernel's detach of
	 * hundreds of them is slow (6.1 fentry: an RCU-tasks grace period each) */
	bool slow = r->fb && r->fb->detach && r->rep_fn.attached >= 200 &&
		    !r->fb->one_link;
	uint64_t t0 = mono_ns();

	if (slow)
		say(r, "nft-record: detaching %u %s probes (the log is complete; the kernel takes its time)...\n",
		    r->rep_fn.attached, r->fb->name);
	if (r->fb && r->fb->detach)
		r->fb->detach();
	if (slow)
		say(r, "nft-record: detached in %.1f s\n", (mono_ns() - t0) / 1e9);
	nt_backend_tracepoint.detach();
	for (int i = 0; i < r->ntr; i++)
		nt_nftrace_close(&r->tr[i]);
	r->ntr = 0;
	ring_buffer__free(r->rb);
	r->rb = NULL;
	nt_bpf__destroy(r->skel);
	r->skel = NULL;
	nt_corr_free(r->corr);
	r->corr = NULL;
	nt_chains_free(r->chains);
	r->chains = NULL;
	nt_stream_free(r->stream);
	r->stream = NULL;
	for (int i = 0; i < r->nns; i++)
		nt_netns_close(&r->ns[i]);
	if (r->sel_shallow)
		free(r->sel.v);
	else
		nt_funcs_free(&r->sel);
	nt_funcs_free(&r->all);
	nt_ksyms__free(r->ksyms);
	free(r->lost_nl);
	evq_free(&r->bpfq);
	evq_free(&r->nftq);
}

/* ---- main loop --------------------------------------------------------------------------- */

/* At most max messages per socket: the loop alternates between the ring
 * buffer and the trace sockets, so a burst of traces is never resolved before
 * the BPF records of its packets were read (max < 0: everything). */
static int drain_traces(struct rec *r, int max)
{
	for (int i = 0; i < r->ntr; i++) {
		int n = nt_nftrace_read(&r->tr[i], on_trace, r, max < 0 ? 1 << 30 : max);

		if (n < 0) {
			fprintf(stderr, "\nnft-record: nftrace socket of netns %s: %s\n",
				nt_netns_label(r->tr[i].ns), strerror(-n));
			return n;
		}
	}
	return 0;
}

/* The BPF side wakes the loop only past a quarter of the ring (nt_wakeup_bytes):
 * the ring is polled this often, well within the correlation delays (150 ms). */
#define NT_POLL_MS 20

static int loop(struct rec *r)
{
	struct epoll_event ev, evs[16];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* --duration counts from the end of the attach (fentry: a minute for
	 * a thousand functions under emulation), like the rate in the summary */
	uint64_t deadline = r->o->duration > 0 ? r->rec_ns + (uint64_t)(r->o->duration * 1e9) : 0;
	uint64_t next_tick = mono_ns() + 1000000000ull, last_ev = 0, last_ns = r->rec_ns;
	int ret = 0, e;

	if (ep < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.u32 = 0xffffffffu;
	epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r->rb), &ev);
	for (int i = 0; i < r->ntr; i++) {
		ev.data.u32 = i;
		if (nt_nftrace_fd(&r->tr[i]) >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, nt_nftrace_fd(&r->tr[i]), &ev);
	}
	while (!stop_sig && !r->err && !(r->o->stop && atomic_load(r->o->stop))) {
		uint64_t now;
		int n = epoll_wait(ep, evs, 16, NT_POLL_MS);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		ring_buffer__consume(r->rb);
		if (drain_traces(r, 1024)) {
			ret = -EIO;
			break;
		}
		now = mono_ns();
		if (nt_corr_flush(r->corr, now, NT_CORR_DELAY_NS, 0) < 0)
			break;
		merge_out(r, now > MERGE_DELAY_NS ? now - MERGE_DELAY_NS : 1);
		if (now >= next_tick) {
			next_tick = now + 1000000000ull;
			write_losses(r, 0);
			/* a failed write (disk full) stops the recording: the
			 * periodic flush is often the only write of a second */
			e = write_ksyms(r, 0);
			if (!e)
				e = ntl_writer_flush(r->w);
			if (e) {
				r->write_errors++;
				if (!r->err)
					r->err = e;
				break;
			}
			/* --stream piped into a reader that went away (| head):
			 * stop like Ctrl-C, the log is closed completely */
			if (r->stream && nt_stream_flush(r->stream) == -EPIPE) {
				say(r, "nft-record: --stream output closed: stopping\n");
				break;
			}
			status_line(r, now, &last_ev, &last_ns);
		}
		if (deadline && now >= deadline)
			break;
	}
	close(ep);
	return ret;
}

int nt_record_run(const struct nt_record_opts *o)
{
	struct rec *r = calloc(1, sizeof(*r));
	/* 512 KiB EVENTS blocks: the row, column and output buffers and the zstd
	 * workspace take ~1.5 MB less RSS than with the 1 MiB default, for ~7 %
	 * more bytes (256 KiB: 3 MB less, but 30 % more bytes) */
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = o->force, .block_bytes = 512 << 10 };
	struct nt_corr_opts co = { .sz = sizeof(co) };
	struct sigaction sa = { .sa_handler = on_signal };
	struct nt_corr_stats cs;
	char err[600], own_table[NT_NAME_LEN];
	int ret = NT_EXIT_RUNTIME, e, nft_listen = 1;
	size_t nreasons = 0;
	uint64_t t_attach0, t_attach1;

	if (!r) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	r->o = o;
	libbpf_set_print(libbpf_print);
	if (nt_capfilter_parse(o->filter, &r->flt, err, sizeof(err))) {
		fprintf(stderr, "nft-record: %s\n", err);
		ret = NT_EXIT_USAGE;
		goto out;
	}
	ret = preflight();
	if (ret)
		goto out;
	ret = open_namespaces(r);
	if (ret)
		goto out;
	ret = resolve_filter(r);
	if (ret)
		goto out;
	e = nt_backend_select(o->backend ? o->backend : "auto", 1, &r->fb, r->backend_why,
			      sizeof(r->backend_why));
	if (e) {
		fprintf(stderr, "nft-record: %s\n", r->backend_why);
		ret = e == -EINVAL ? NT_EXIT_USAGE : NT_EXIT_KERNEL;
		goto out;
	}
	say(r, "nft-record: %s\n", r->backend_why);
	ret = load_functions(r);
	if (ret)
		goto out;
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0 || r->ncpus > MAX_CPUS)
		r->ncpus = r->ncpus <= 0 ? 1 : MAX_CPUS;
	r->lost_nl = calloc(NT_MAX_NETNS + 1, sizeof(*r->lost_nl));
	if (!r->lost_nl || evq_init(&r->bpfq, BPFQ_LEN) || evq_init(&r->nftq, NFTQ_LEN)) {
		fprintf(stderr, "nft-record: out of memory\n");
		ret = NT_EXIT_RUNTIME;
		goto out;
	}
	if (nt_ksyms__load("/proc/kallsyms", &r->ksyms))
		r->ksyms = NULL; /* KSYMS block stays empty */
	else
		nt_ksyms__compact(r->ksyms); /* only address lookups: ~5 MB less RSS */
	ret = open_bpf(r);
	if (ret)
		goto out;

	/* output */
	if (o->output)
		snprintf(r->out_path, sizeof(r->out_path), "%s", o->output);
	else
		default_output(r->out_path, sizeof(r->out_path));
	e = ntl_writer_open(&r->w, r->out_path, &wo);
	if (e) {
		fprintf(stderr, "nft-record: %s\n", ntl_writer_open_error());
		ret = NT_EXIT_USAGE;
		goto out;
	}
	r->start_ns = mono_ns();
	snprintf(own_table, sizeof(own_table), NT_TRACE_TABLE_PREFIX "%d", (int)getpid());
	if (o->stream) {
		r->stream = nt_stream_new(stdout);
		if (!r->stream) {
			ret = NT_EXIT_RUNTIME;
			goto out;
		}
	}
	/* metadata, ruleset before our table exists */
	{
		char *rs = nt_snapshot_ruleset(r->ns, r->nns, NT_TRACE_TABLE_PREFIX, &r->chains, err,
					       sizeof(err));

		if (!rs) {
			fprintf(stderr, "nft-record: ruleset snapshot failed: %s\n", err);
			ret = NT_EXIT_RUNTIME;
			goto out;
		}
		e = write_header(r);
		if (!e)
			e = write_funcs(r);
		if (!e) {
			for (size_t i = 0; r->fb && i < r->sel.n; i++)
				if (r->sel.v[i].naddrs)
					ksym_note(r, r->sel.v[i].addrs[0]);
			e = write_ksyms(r, 1);
		}
		if (!e)
			e = write_text(r, NTL_B_RULESET, rs);
		else
			free(rs);
		if (!e)
			e = write_text(r, NTL_B_IFACES, nt_snapshot_ifaces(r->ns, r->nns, err, sizeof(err)));
		if (!e)
			e = write_text(r, NTL_B_DROP_REASONS, nt_snapshot_drop_reasons(&nreasons, err, sizeof(err)));
		if (!e)
			e = ntl_writer_flush(r->w);
		if (e) {
			fprintf(stderr, "nft-record: writing %s: %s\n", r->out_path, ntl_writer_strerror(r->w));
			ret = NT_EXIT_RUNTIME;
			goto out;
		}
	}
	co.own_table = own_table;
	co.chain = corr_chain;
	co.emit = corr_emit;
	co.ctx = r;
	if (nt_corr_new(&co, &r->corr)) {
		ret = NT_EXIT_RUNTIME;
		goto out;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.nt_events), on_ring_event, r, NULL);
	if (!r->rb) {
		fprintf(stderr, "nft-record: cannot open the BPF ring buffer: %s\n", strerror(errno));
		ret = NT_EXIT_RUNTIME;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	t_attach0 = mono_ns();
	ret = attach_all(r);
	if (ret)
		goto out;
	/* BPF nftables probes give every rule verdict: the owned table then only
	 * keeps nft_trace_enabled on, and nobody listens to NFNLGRP_NFTRACE (no
	 * netlink cost, no verdict recorded twice) unless --nftrace-netlink. */
	nft_listen = !(r->fb && nt_attach_nft_links()) || o->nftrace_netlink;
	for (int i = 0; i < r->nns && !o->no_nftrace; i++) {
		if (r->flt.bpf.netns && r->ns[i].inum != r->flt.bpf.netns)
			continue;
		e = nt_nftrace_open(&r->tr[r->ntr], &r->ns[i], r->ntr, &r->flt, o->nftrace_families,
				    nft_listen, err, sizeof(err));
		if (e) {
			nt_nftrace_close(&r->tr[r->ntr]);
			fprintf(stderr, "nft-record: %s\n", err);
			ret = e == -EPERM ? NT_EXIT_PRIV : NT_EXIT_RUNTIME;
			goto out;
		}
		r->ntr++;
	}
	t_attach1 = mono_ns();
	r->rec_ns = t_attach1;
	/* CLI recordings: everything is attached, drop what is no longer needed
	 * (--serve keeps its privileges: it starts further recordings) */
	if (!o->hooks && (e = nt_privs_drop_after_attach()))
		say(r, "nft-record: note: could not drop unneeded capabilities: %s\n", strerror(-e));
	r->status_tty = isatty(2) && !o->quiet && !o->hooks;
	say(r, "nft-record: recording to %s (%u tracepoints%s, nftrace in %d namespace%s%s, attach %.1f ms)%s\n",
	    r->out_path, r->rep_tp.attached, r->fb ? " + functions" : "", r->ntr,
	    r->ntr == 1 ? "" : "s", nft_listen ? "" : ", rule verdicts from BPF",
	    (t_attach1 - t_attach0) / 1e6,
	    o->duration > 0 ? "" : "; Ctrl-C to stop");
	if (o->verbose)
		say(r, "nft-record: %zu drop reasons, nftrace table inet %s, kernel stamps %s\n",
		    nreasons, own_table, r->ntr && r->tr[0].qfd >= 0 ? "on" : "off");
	if (o->hooks && o->hooks->started)
		o->hooks->started(o->hooks->ctx, r->out_path, r->fb ? r->fb->name : "tracepoint");

	e = loop(r);

	/* stop: the programs record nothing more (nt_off); drain what is in
	 * flight and close the log now, detach afterwards (teardown): the log is
	 * whole while thousands of fentry trampolines take minutes to go */
	r->skel->bss->nt_off = 1;
	usleep(20000); /* records reserved before the flag get committed */
	ring_buffer__consume(r->rb);
	drain_traces(r, -1);
	for (int i = 0; i < r->ntr; i++)
		nt_nftrace_close(&r->tr[i]);
	nt_corr_flush(r->corr, 0, 0, 1);
	merge_out(r, 0);
	write_losses(r, 1);
	write_ksyms(r, 0);
	r->end_ns = mono_ns();
	nt_corr_get_stats(r->corr, &cs);
	if (r->status_tty)
		fprintf(stderr, "\r\033[K");
	{
		cJSON *t = cJSON_CreateObject(), *lost = cJSON_AddArrayToObject(t, "lost"), *nf;
		char *s;

		cJSON_AddNumberToObject(t, "end_mono_ns", (double)r->end_ns);
		cJSON_AddNumberToObject(t, "events", (double)r->events);
		cJSON_AddNumberToObject(t, "packets", (double)r->packets);
		for (int c = 0; c < r->ncpus; c++) {
			cJSON *l = cJSON_CreateObject();

			cJSON_AddNumberToObject(l, "cpu", c);
			cJSON_AddStringToObject(l, "source", "ringbuf");
			cJSON_AddNumberToObject(l, "count", (double)r->lost_rb[c]);
			cJSON_AddItemToArray(lost, l);
		}
		for (int i = 0; i < NT_MAX_NETNS + 1 && r->lost_nl && i < r->nns; i++) {
			cJSON *l = cJSON_CreateObject();

			cJSON_AddNumberToObject(l, "cpu", 0xffff);
			cJSON_AddStringToObject(l, "source", "netlink");
			cJSON_AddNumberToObject(l, "netns", r->ns[i].inum);
			cJSON_AddNumberToObject(l, "count", (double)r->lost_nl[i]);
			cJSON_AddItemToArray(lost, l);
		}
		nf = cJSON_AddObjectToObject(t, "nftrace");
		cJSON_AddNumberToObject(nf, "messages", (double)cs.msgs);
		cJSON_AddNumberToObject(nf, "rules", (double)cs.rules);
		cJSON_AddNumberToObject(nf, "correlated", (double)cs.correlated);
		cJSON_AddNumberToObject(nf, "uncorrelated", (double)cs.uncorrelated);
		cJSON_AddNumberToObject(nf, "own_table", (double)cs.own);
		{
			uint64_t misses = 0;

			for (int i = 0; i < NT_MAX_NETNS + 1; i++)
				misses += r->tr[i].stamp_misses;
			cJSON_AddNumberToObject(nf, "receive_time_stamps", (double)misses);
		}
		cJSON_AddBoolToObject(t, "clean", e == 0 && !r->err);
		s = cJSON_PrintUnformatted(t);
		cJSON_Delete(t);
		if (ntl_writer_close(r->w, s)) {
			fprintf(stderr, "nft-record: closing %s: %s\n", r->out_path, ntl_writer_strerror(NULL));
			r->w = NULL;
			free(s);
			ret = NT_EXIT_RUNTIME;
			goto out;
		}
		r->w = NULL;
		if (o->hooks && o->hooks->meta)
			o->hooks->meta(o->hooks->ctx, NTL_B_TRAILER, s, strlen(s));
		free(s);
	}
	if (o->hooks && o->hooks->progress) {
		struct stat st;
		struct nt_record_progress p = {
			.events = r->events, .packets = r->packets, .lost_ringbuf = r->lost_rb_total,
			.lost_netlink = r->lost_nl_total, .done = 1,
		};

		if (!stat(r->out_path, &st))
			p.output_bytes = st.st_size;
		o->hooks->progress(o->hooks->ctx, &p);
	}
	if (!o->quiet) {
		struct stat st;
		double secs = (r->end_ns - r->rec_ns) / 1e9;

		stat(r->out_path, &st);
		fprintf(stderr,
			"nft-record: %llu events (%.0f/s), %llu packets, %llu nft trace steps (%llu from BPF, %llu uncorrelated), lost %llu (ring buffer %llu, netlink %llu), %lld bytes, %.1f s -> %s\n",
			(unsigned long long)r->events, secs > 0 ? r->events / secs : 0,
			(unsigned long long)r->packets, (unsigned long long)(cs.rules + r->bpf_rules),
			(unsigned long long)r->bpf_rules, (unsigned long long)cs.uncorrelated,
			(unsigned long long)(r->lost_rb_total + r->lost_nl_total),
			(unsigned long long)r->lost_rb_total, (unsigned long long)r->lost_nl_total,
			(long long)st.st_size, secs, r->out_path);
	}
	if (e || r->err) {
		fprintf(stderr, "nft-record: stopped on error: %s\n",
			r->err ? "writing the log failed" : strerror(-e));
		ret = NT_EXIT_RUNTIME;
	} else {
		ret = NT_EXIT_OK;
	}
out:
	if (r->w)
		ntl_writer_abort(r->w);
	teardown(r);
	free(r);
	return ret;
}
