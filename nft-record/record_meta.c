// SPDX-License-Identifier: GPL-2.0
/* record_meta.c - the metadata blocks of a recording: HEADER, FUNCS, KSYMS,
 * RULESET, IFACES, DROP_REASONS before the records, KSYMS as symbols appear,
 * TRAILER at the end (record_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "common/bpf_shared.h"
#include "common/layers.h"
#include "nft-record/record_int.h"
#include "nft-record/snapshot.h"
#include "nft-record/tracepoints.h"

int nt_record_write_text(struct rec *r, uint16_t type, char *s)
{
	int err;

	if (!s)
		return -ENOMEM;
	if (r->keep) /* function names of func=, chains, ... */
		nt_keep_meta(r->keep, type, s, strlen(s));
	err = ntl_writer_meta(r->w, type, s, strlen(s));
	if (!err && r->o->hooks && r->o->hooks->meta)
		r->o->hooks->meta(r->o->hooks->ctx, type, s, strlen(s));
	free(s);
	return err;
}

static int write_json(struct rec *r, uint16_t type, cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);

	cJSON_Delete(root);
	return nt_record_write_text(r, type, s);
}

static void addr_str(char *buf, size_t len, uint64_t a)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)a);
}

static void add_host(struct rec *r, cJSON *h);

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
	/* keep: whole journeys of the packets that matched "keep" (no global time order) */
	cJSON_AddStringToObject(h, "mode", r->keep ? "keep" : "full");
	if (r->keep)
		cJSON_AddStringToObject(h, "keep", r->keep_expr.text);
	if (r->rotating) { /* --rotate: this file's place in its set (model/logset.h) */
		cJSON *rot = cJSON_AddObjectToObject(h, "rotation");

		cJSON_AddStringToObject(rot, "set", r->rot.set);
		cJSON_AddNumberToObject(rot, "seq", (double)r->rot.seq);
	}
	opt = cJSON_AddObjectToObject(h, "options");
	cJSON_AddNumberToObject(opt, "max_functions", r->max_eff); /* 0 = no limit */
	if (r->o->max_events_per_s) /* the safety valve (record_valve.c) */
		cJSON_AddNumberToObject(opt, "max_events_per_s", (double)r->o->max_events_per_s);
	cJSON_AddNumberToObject(opt, "ringbuf_kb",
				(double)(r->o->ringbuf_size ? r->o->ringbuf_size : DEFAULT_RINGBUF) / 1024);
	cJSON_AddNumberToObject(opt, "duration_s", r->o->duration);
	cJSON_AddBoolToObject(opt, "nftrace", !r->o->no_nftrace);
	cJSON_AddBoolToObject(opt, "nftrace_netlink", r->o->nftrace_netlink);
	cJSON_AddBoolToObject(opt, "nftrace_bridge", !!(r->o->nftrace_families & NT_NFTRACE_BRIDGE));
	cJSON_AddStringToObject(opt, "config", r->o->config ? r->o->config : "");
	cJSON_AddStringToObject(opt, "stack", r->o->stack_mode == NT_STACK_ALL ? "all" :
					      r->o->stack_mode == NT_STACK_DROP ? "drop" : "off");
	cJSON_AddBoolToObject(opt, "conntrack", r->o->conntrack);
	cJSON_AddNumberToObject(opt, "capture_bytes", r->o->capture_bytes);
	nsa = cJSON_AddArrayToObject(opt, "netns");
	for (int i = 0; i < r->nns; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", nt_netns_label(&r->ns[i]));
		cJSON_AddNumberToObject(o, "inum", r->ns[i].inum);
		cJSON_AddItemToArray(nsa, o);
	}
	add_host(r, h);
	return write_json(r, NTL_B_HEADER, h);
}

/* {"mono_ns": "N", "realtime_ns": "N"}: decimal strings (JSON numbers lose
 * nanoseconds past 2^53) */
static void add_clock_ref(cJSON *o, uint64_t mono, uint64_t real)
{
	char a[24], b[24];

	snprintf(a, sizeof(a), "%llu", (unsigned long long)mono);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)real);
	cJSON_AddStringToObject(o, "mono_ns", a);
	cJSON_AddStringToObject(o, "realtime_ns", b);
}

/* HEADER "host" and "clock_ref" (FORMAT.md; issue #20) */
static void add_host(struct rec *r, cJSON *h)
{
	cJSON *ho = cJSON_AddObjectToObject(h, "host");

	cJSON_AddStringToObject(ho, "label", r->host.label);
	cJSON_AddStringToObject(ho, "hostname", r->host.hostname);
	cJSON_AddStringToObject(ho, "machine_id_hash", r->host.machine_id_hash);
	cJSON_AddStringToObject(ho, "boot_id", r->host.boot_id);
	for (int i = 0; r->o->host_netns && i < r->nns; i++)
		if (!strcmp(nt_netns_label(&r->ns[i]), r->o->host_netns))
			cJSON_AddNumberToObject(ho, "netns", r->ns[i].inum);
	nt_clock_ref(&r->clock_mono, &r->clock_real);
	add_clock_ref(cJSON_AddObjectToObject(h, "clock_ref"), r->clock_mono, r->clock_real);
}

int nt_record_write_clock(struct rec *r, int force)
{
	uint64_t mono, real;
	cJSON *c;

	if (!r->w)
		return 0;
	nt_clock_ref(&mono, &real);
	if (!force && !nt_clock_due(r->clock_mono, r->clock_real, mono, real))
		return 0;
	r->clock_mono = mono;
	r->clock_real = real;
	c = cJSON_CreateObject();
	add_clock_ref(c, mono, real);
	return write_json(r, NTL_B_CLOCK, c);
}

/* FUNCS "role" (common/layers.c): what the function or tracepoint does to a
 * packet (alloc, free, drop, deliver, xmit); absent when nothing of these. */
static void add_role(cJSON *o, const char *name, int is_tp)
{
	const char *role = nt_role_name(nt_func_role(name, is_tp));

	if (role)
		cJSON_AddStringToObject(o, "role", role);
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
		add_role(o, tp[i].name, 1);
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
		add_role(o, f->name, 0);
		cJSON_AddItemToArray(arr, o);
	}
	if (r->fb) {
		/* the allocator return probes (bpf/alloc.bpf.h): FREE records
		 * (NT_F_INFERRED) of what was still traced at a new skb's address */
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", r->alloc_func_id);
		cJSON_AddStringToObject(o, "name", "skb allocation");
		cJSON_AddStringToObject(o, "layer", "Other");
		cJSON_AddNumberToObject(o, "priority", 3);
		cJSON_AddStringToObject(o, "kind", "skb");
		cJSON_AddNumberToObject(o, "arg", 0);
		cJSON_AddStringToObject(o, "module", "");
		cJSON_AddStringToObject(o, "addr", "0x0");
		cJSON_AddStringToObject(o, "role", "alloc");
		cJSON_AddItemToArray(arr, o);
	}
	return write_json(r, NTL_B_FUNCS, root);
}

/* Remember symbol of ADDR for the next KSYMS block (allocation free). */
void nt_record_ksym_note(struct rec *r, uint64_t addr)
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

int nt_record_write_ksyms(struct rec *r, int initial)
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

/* Every block before the records; the ruleset is read before our table
 * exists.  NT_EXIT_* (message printed). */
int nt_record_metadata(struct rec *r)
{
	char err[600];
	char *rs = nt_snapshot_ruleset(r->ns, r->nns, NT_TRACE_TABLE_PREFIX, &r->chains, err,
				       sizeof(err));
	int e;

	/* a listing can fail while other processes change the ruleset (seen with
	 * several recorders adding their tables): a few more tries */
	for (int i = 0; !rs && i < 5; i++) {
		usleep(20000);
		rs = nt_snapshot_ruleset(r->ns, r->nns, NT_TRACE_TABLE_PREFIX, &r->chains, err,
					 sizeof(err));
	}

	if (!rs) {
		fprintf(stderr, "nft-record: ruleset snapshot failed: %s\n", err);
		return NT_EXIT_RUNTIME;
	}
	e = write_header(r);
	if (!e)
		e = write_funcs(r);
	if (!e) {
		for (size_t i = 0; r->fb && i < r->sel.n; i++)
			if (r->sel.v[i].naddrs)
				nt_record_ksym_note(r, r->sel.v[i].addrs[0]);
		e = nt_record_write_ksyms(r, 1);
	}
	if (!e) /* valid from now (readers: the snapshot in force at a step's time) */
		e = nt_record_write_text(r, NTL_B_RULESET,
					 nt_record_rules_stamp(rs, nt_mono_ns(), r->rw.st.generation));
	else
		free(rs);
	if (!e)
		e = nt_record_write_text(r, NTL_B_IFACES, nt_snapshot_ifaces(r->ns, r->nns, err, sizeof(err)));
	if (!e)
		e = nt_record_write_text(r, NTL_B_DROP_REASONS,
					 nt_snapshot_drop_reasons(&r->nreasons, err, sizeof(err)));
	if (!e)
		e = ntl_writer_flush(r->w);
	if (e) {
		fprintf(stderr, "nft-record: writing %s: %s\n", r->out_path, ntl_writer_strerror(r->w));
		return NT_EXIT_RUNTIME;
	}
	return 0;
}

/* The TRAILER block closes the log (r->w is gone afterwards).  NT_EXIT_*. */
int nt_record_trailer(struct rec *r, int clean, const struct nt_corr_stats *cs)
{
	const struct nt_record_hooks *hk = r->o->hooks;
	cJSON *t = cJSON_CreateObject(), *lost = cJSON_AddArrayToObject(t, "lost"), *nf;
	char *s;

	cJSON_AddNumberToObject(t, "end_mono_ns", (double)r->end_ns);
	cJSON_AddNumberToObject(t, "events", (double)r->events);
	cJSON_AddNumberToObject(t, "packets", (double)r->packets);
	for (int c = 0; c < r->ncpus; c++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddNumberToObject(l, "cpu", c);
		cJSON_AddStringToObject(l, "source", "ringbuf");
		cJSON_AddNumberToObject(l, "count", (double)(r->lost_rb[c] - r->lost_rb_base[c]));
		cJSON_AddItemToArray(lost, l);
	}
	for (int c = 0; c < r->ncpus; c++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddNumberToObject(l, "cpu", c);
		cJSON_AddStringToObject(l, "source", "nftrace_ring");
		cJSON_AddNumberToObject(l, "count", (double)(r->lost_nl[c] - r->lost_nl_base[c]));
		cJSON_AddItemToArray(lost, l);
	}
	for (int c = 0; r->o->stack_mode != NT_STACK_OFF && c < r->ncpus; c++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddNumberToObject(l, "cpu", c);
		cJSON_AddStringToObject(l, "source", "stack");
		cJSON_AddNumberToObject(l, "count", (double)(r->lost_st[c] - r->lost_st_base[c]));
		cJSON_AddItemToArray(lost, l);
	}
	nf = cJSON_AddObjectToObject(t, "nftrace");
	cJSON_AddNumberToObject(nf, "messages", (double)cs->msgs);
	cJSON_AddNumberToObject(nf, "unparsable", (double)r->nlmsg_bad);
	cJSON_AddNumberToObject(nf, "rules", (double)cs->rules);
	cJSON_AddNumberToObject(nf, "correlated", (double)cs->correlated);
	cJSON_AddNumberToObject(nf, "uncorrelated", (double)cs->uncorrelated);
	/* --filter: steps matching no kept packet, not written */
	cJSON_AddNumberToObject(nf, "filtered", (double)cs->filtered);
	cJSON_AddNumberToObject(nf, "unmatched_dropped", (double)cs->unmatched);
	cJSON_AddNumberToObject(nf, "own_table", (double)cs->own);
	cJSON_AddNumberToObject(nf, "runs", (double)cs->runs);
	cJSON_AddNumberToObject(nf, "runs_local", (double)cs->runs_late);
	cJSON_AddNumberToObject(nf, "runs_unmatched", (double)cs->runs_unmatched);
	cJSON_AddNumberToObject(nf, "orphans", (double)cs->orphans);
	cJSON_AddNumberToObject(t, "late", (double)r->mq.late);
	cJSON_AddNumberToObject(t, "merge_forced", (double)r->mq.forced);
	if (r->o->stack_mode != NT_STACK_OFF) {
		cJSON *st = cJSON_AddObjectToObject(t, "stacks");
		uint64_t lost_st = 0;

		for (int c = 0; c < r->ncpus; c++) /* this file's, as its LOSS records */
			lost_st += r->lost_st[c] - r->lost_st_base[c];

		cJSON_AddNumberToObject(st, "distinct", (double)r->stk.stored);
		/* not taken (the map's bucket held another stack, unwinder
		 * failed) and taken but not readable: the records say 0 */
		cJSON_AddNumberToObject(st, "lost", (double)lost_st);
		cJSON_AddNumberToObject(st, "unreadable", (double)r->stk.unreadable);
	}
	cJSON_AddBoolToObject(t, "clean", clean);
	s = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	if (ntl_writer_close(r->w, s)) {
		fprintf(stderr, "nft-record: closing %s: %s\n", r->out_path, ntl_writer_strerror(NULL));
		r->w = NULL;
		free(s);
		return NT_EXIT_RUNTIME;
	}
	r->w = NULL;
	if (hk && hk->meta)
		hk->meta(hk->ctx, NTL_B_TRAILER, s, strlen(s));
	free(s);
	return 0;
}
