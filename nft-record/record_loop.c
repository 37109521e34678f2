// SPDX-License-Identifier: GPL-2.0
/* record_loop.c - the recording loop: the BPF ring buffer (ringrd.c: packet
 * events and nftrace messages, epoll), correlation (corr.c), merge queue
 * (mergeq.c) released by the sources' progress, losses and counters, status
 * line, and the consumers' hooks (record_int.h). */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nft-record/probemiss.h"
#include "nft-record/record_int.h"
#include "nft-record/snapshot.h"
#include "nt.skel.h"

int nt_record_emit(void *ctx, const void *rec, size_t len)
{
	struct rec *r = ctx;
	int err = ntl_writer_event(r->w, rec, len);

	if (err) {
		r->write_errors++;
		if (!r->err)
			r->err = err;
		return err;
	}
	r->events++;
	if (r->o->hooks && r->o->hooks->event && r->o->hooks->event(r->o->hooks->ctx, rec, len))
		r->hook_stop = 1;
	return 0;
}

int nt_record_corr_emit(void *ctx, const void *rec, size_t len)
{
	struct rec *r = ctx;

	nt_mergeq_push(&r->mq, rec, len);
	return r->err;
}

int nt_record_corr_chain(void *ctx, uint32_t netns, uint8_t family, const char *table,
			  const char *chain, struct nt_ev_nft_chaindef *def)
{
	struct rec *r = ctx;
	uint64_t now;

	if (!nt_chains_get(r->chains, netns, family, table, chain, def))
		return 0;
	/* a chain added during the recording: re-read that namespace, at most 1/s */
	now = nt_mono_ns();
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

/* A frame of a new kernel stack: its symbol goes to the next KSYMS block
 * (written now when the pending list is full, so that no frame goes unnamed). */
static void stack_sym(void *ctx, uint64_t addr)
{
	struct rec *r = ctx;

	if (r->nksym_pending >= KSYM_PENDING && nt_record_write_ksyms(r, 0))
		r->write_errors++;
	nt_record_ksym_note(r, addr);
}

/* A leading frame of a stack that belongs to the tracing itself: the BPF
 * program (JIT code: no kernel symbol within 1 MiB below it, as the analyzer
 * names frames, or bpf_prog_*), the tracepoint's BPF dispatch
 * (bpf_trace_run<N>, __bpf_trace_<tracepoint>) and, for the stacks function
 * probes take (--stack all, nftables verdicts), the probe machinery: fentry
 * trampolines, kprobes (ftrace-based or int3), fprobe (kprobe.multi). */
static int stack_skip(void *ctx, uint64_t addr)
{
	static const char *const mach[] = { "bpf_prog_", "bpf_trace_run", "__bpf_trace_", "bpf_trampoline_",
					    "__bpf_prog_enter", "trace_call_bpf", "kprobe_", "__kprobe",
					    "fprobe", "__fprobe", "ftrace_", "__ftrace_", "arch_ftrace_",
					    "rethook", "exc_int3", "asm_exc_int3", "do_int3", "opt_pre_handler",
					    "optimized_callback", "aggr_pre_handler", "perf_trace_buf" };
	struct rec *r = ctx;
	const struct nt_ksym *s = r->ksyms ? nt_ksyms__by_addr(r->ksyms, addr) : NULL;

	if (!s || addr - s->addr >= (1u << 20))
		return 1;
	for (size_t i = 0; i < sizeof(mach) / sizeof(mach[0]); i++)
		if (!strncmp(s->name, mach[i], strlen(mach[i])))
			return 1;
	return 0;
}

/* One record of the BPF ring buffer, in ring order: nftrace messages go to the
 * correlation, every other record to the correlation and the merge queue. */
int nt_record_on_ring_event(void *ctx, void *data, size_t size)
{
	struct rec *r = ctx;
	const struct nt_ev_hdr *h = data;
	struct nt_ev_drop dcopy;
	int e;
	union {
		struct nt_ev_bytes b;
		uint8_t raw[NT_BYTES_RECLEN(NT_BYTES_MAX)];
	} bcopy;

	if (size < sizeof(*h))
		return 0;
	if (h->type == NT_EV_NLMSG) {
		struct nt_trace_msg m;

		r->nlmsgs++;
		e = nt_nftrace_parse_rec(data, size, &m);
		if (e < 0)
			r->nlmsg_bad++;
		else if (!e && (e = nt_corr_msg(r->corr, &m)) && !r->err)
			r->err = e;
		return 0;
	}
	if (size == NT_BYTES_RECLEN(NT_BYTES_MAX) && h->type == NT_EV_BYTES) {
		/* --capture-bytes: reserved at its largest, trimmed to its caplen */
		memcpy(&bcopy, data, size);
		if (bcopy.b.caplen > NT_BYTES_MAX)
			return 0;
		bcopy.b.reclen = NT_BYTES_RECLEN(bcopy.b.caplen);
		memset(bcopy.raw + sizeof(bcopy.b) + bcopy.b.caplen, 0,
		       bcopy.b.reclen - sizeof(bcopy.b) - bcopy.b.caplen);
		data = bcopy.raw;
		size = bcopy.b.reclen;
	} else if (nt_ev_size(h->type) != size) {
		return 0; /* never produced by our programs */
	}
	if (r->kkeep && (h->type == NT_EV_FREE || h->type == NT_EV_DROP || h->type == NT_EV_LINK))
		nt_record_keep_fetch(r, h); /* --keep in the kernel: the packet's buffered records first */
	r->bpf_events++;
	if (r->debug_ring) /* NT_DEBUG_RING: every BPF record, raw, on stderr */
		fprintf(stderr, "ring: %llu cpu %u type %u flags %#x id %u skb %llx\n",
			(unsigned long long)h->ts_ns, h->cpu, h->type, h->flags, h->id,
			(unsigned long long)h->skb);
	switch (h->type) {
	case NT_EV_META:
		pkt_seen(r, h->skb, 0);
		break;
	case NT_EV_DROP:
		memcpy(&dcopy, data, sizeof(dcopy));
		nt_record_ksym_note(r, dcopy.location);
		pkt_seen(r, h->skb, 1);
		if (dcopy.stack_id) { /* --stack: its frames into the STACKS block */
			uint32_t id = nt_kstacks_note(&r->stk, r->w, dcopy.stack_id, stack_skip,
						      stack_sym, r);

			if (id != dcopy.stack_id) {
				dcopy.stack_id = id;
				data = &dcopy;
			}
		}
		break;
	case NT_EV_STACKREF: { /* --stack: a verdict's or (all) a hit's stack */
		const struct nt_ev_stackref *s = data;

		if (!nt_kstacks_note(&r->stk, r->w, s->stack_id, stack_skip, stack_sym, r))
			return 0; /* frames unreadable (counted): no stack to refer to */
		break;
	}
	case NT_EV_FREE:
		pkt_seen(r, h->skb, 1);
		break;
	case NT_EV_NFT_RULE:
		r->bpf_rules++;
		break;
	default:
		break;
	}
	/* inferred FREEs are placed by the correlation (corr.h defer_inferred) */
	if (!(h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)))
		nt_mergeq_push(&r->mq, data, size);
	if ((e = nt_corr_event(r->corr, data, size)) && !r->err)
		r->err = e;
	return 0;
}

/* Per-CPU loss counter map -> LOSS records of SOURCE where they changed
 * (every nonzero one with FORCE); LAST: the values written, TOTAL: their sum. */
static void write_percpu_losses(struct rec *r, struct bpf_map *map, uint32_t source,
				uint64_t *last, const uint64_t *base, uint64_t *total, uint64_t ts,
				int force)
{
	static uint64_t vals[MAX_CPUS];
	struct nt_ev_loss l;
	uint32_t k = 0;
	uint64_t sum = 0;

	if (!map || bpf_map__lookup_elem(map, &k, sizeof(k), vals, sizeof(uint64_t) * r->ncpus, 0))
		return;
	memset(&l, 0, sizeof(l));
	l.h.type = NT_EV_LOSS;
	l.h.ts_ns = ts;
	l.source = source;
	for (int c = 0; c < r->ncpus; c++) {
		sum += vals[c];
		if (vals[c] == last[c] && !(force && vals[c]))
			continue;
		last[c] = vals[c];
		l.h.cpu = c;
		l.count = vals[c] - base[c]; /* from 0 in every file (--rotate) */
		nt_mergeq_push(&r->mq, &l, sizeof(l));
	}
	*total = sum;
}

/* BPF program runs the kernel skipped (probemiss.h), at a file's end: one
 * LOSS record (all CPUs) when there were any since the file began. */
static void write_probe_misses(struct rec *r, uint64_t ts)
{
	struct nt_ev_loss l;
	uint64_t total;

	if (nt_probemiss_read(&total) || total < r->probe_miss_base)
		return;
	r->probe_miss = total;
	if (total == r->probe_miss_base)
		return;
	memset(&l, 0, sizeof(l));
	l.h.type = NT_EV_LOSS;
	l.h.cpu = 0xffff;
	l.h.ts_ns = ts;
	l.source = NT_LOSS_PROBE;
	l.count = total - r->probe_miss_base;
	nt_mergeq_push(&r->mq, &l, sizeof(l));
}

/* --rotate: the file's last counters go out before its TRAILER (everything
 * the merge queue holds is written to the old file). */
void nt_record_write_losses(struct rec *r, int force)
{
	nt_record_write_counters(r, force);
	nt_mergeq_out(&r->mq, UINT64_MAX);
}

/* A COUNT record of COUNTER (cumulative VALUE) when it changed since the last
 * one written, or FORCE (the file's end) and not 0. */
void nt_record_write_count(struct rec *r, uint32_t counter, uint64_t value, uint64_t ts, int force)
{
	struct nt_ev_count c;

	if (value == r->cnt_written[counter] && !(force && value))
		return;
	r->cnt_written[counter] = value;
	memset(&c, 0, sizeof(c));
	c.h.type = NT_EV_COUNT;
	c.h.cpu = 0xffff;
	c.h.ts_ns = ts;
	c.value = value;
	c.counter = counter;
	nt_mergeq_push(&r->mq, &c, sizeof(c));
}

/* LOSS (ring buffer, nftrace ring) and COUNT (nft steps unmatched, records
 * written late) records where a counter changed; every nonzero one with
 * FORCE.  They go through the merge queue like every record. */
void nt_record_write_counters(struct rec *r, int force)
{
	struct nt_corr_stats cs;
	uint64_t ts = nt_mono_ns();

	if (r->skel) {
		write_percpu_losses(r, r->skel->maps.nt_lost, NT_LOSS_RINGBUF, r->lost_rb,
				    r->lost_rb_base, &r->lost_rb_total, ts, force);
		write_percpu_losses(r, r->skel->maps.nt_nl_lost, NT_LOSS_NFTRACE_RING, r->lost_nl,
				    r->lost_nl_base, &r->lost_nl_total, ts, force);
		if (r->o->stack_mode != NT_STACK_OFF) /* --stack: stacks not taken */
			write_percpu_losses(r, r->skel->maps.nt_stack_lost, NT_LOSS_STACK, r->lost_st,
					    r->lost_st_base, &r->lost_st_total, ts, force);
	}
	if (r->skel && force)
		write_probe_misses(r, ts);
	if (r->corr) {
		nt_corr_get_stats(r->corr, &cs);
		nt_record_write_count(r, NT_CNT_NFT_UNMATCHED, cs.uncorrelated, ts, force);
	}
	nt_record_write_count(r, NT_CNT_LATE, r->mq.late, ts, force);
	nt_record_valve_counts(r, ts, force); /* --max-events-per-s: what was shed */
}

/* Stacks BPF could not store (nt_stack_lost, every CPU). */
uint64_t nt_record_stacks_lost(struct rec *r)
{
	static uint64_t vals[MAX_CPUS];
	uint64_t total = 0;
	uint32_t k = 0;

	if (!r->skel || bpf_map__lookup_elem(r->skel->maps.nt_stack_lost, &k, sizeof(k), vals,
					     sizeof(uint64_t) * r->ncpus, 0))
		return 0;
	for (int c = 0; c < r->ncpus; c++)
		total += vals[c];
	return total;
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
			.lost_nftrace = r->lost_nl_total, .output_bytes = ntl_writer_bytes(r->w),
		};

		if (r->o->hooks->progress(r->o->hooks->ctx, &p))
			r->hook_stop = 1;
	}
	if (!r->status_tty)
		return;
	fprintf(stderr, "\r\033[K%.0fs  events %llu (%.0f/s)  packets %llu  lost %llu  output %.1f KiB",
		(now - r->rec_ns) / 1e9, (unsigned long long)r->events, rate,
		(unsigned long long)r->packets,
		(unsigned long long)(r->lost_rb_total + r->lost_nl_total),
		ntl_writer_bytes(r->w) / 1024.0);
}

/*
 * Read the ring, then write what no source can still precede.  Source
 * progress: when a read got to the end of the ring (no record still being
 * written), every CPU has delivered everything it stamped before the read
 * began, minus WATERMARK_SLACK_NS; a read that stops at a record being
 * written is retried, and if the ring never settles the progress stays.
 * Records are written up to that progress, but not past the oldest trace
 * message the correlation still holds (a local packet's output-hook step
 * waits for the packet's first sight, at most the lookahead).  FINAL: the
 * programs are stopped: everything is written.
 */
int nt_record_pump(struct rec *r, int final)
{
	uint64_t upto, hold;
	int empty = 0, e;

	for (int tries = 0; tries < 4 && !empty; tries++) {
		uint64_t t0 = nt_mono_ns();

		nt_ringrd_consume(r->ring, nt_record_on_ring_event, r, &empty);
		if (empty && t0 > WATERMARK_SLACK_NS && t0 - WATERMARK_SLACK_NS > r->progress)
			r->progress = t0 - WATERMARK_SLACK_NS;
		if (!empty)
			sched_yield();
	}
	if (final) {
		e = nt_corr_finish(r->corr);
		upto = UINT64_MAX;
	} else {
		e = nt_corr_advance(r->corr, r->progress);
		hold = nt_corr_hold(r->corr);
		upto = hold <= r->progress ? (hold ? hold - 1 : 0) : r->progress;
	}
	if (e && !r->err)
		r->err = e;
	/* new kernel stacks go out before the records that use them leave the
	 * merge queue (--stack) */
	if ((e = nt_kstacks_flush(&r->stk, r->w))) {
		r->write_errors++;
		if (!r->err)
			r->err = e;
	}
	nt_mergeq_out(&r->mq, upto);
	return empty;
}

/* The BPF side wakes the loop only past a quarter of the ring (nt_wakeup_bytes):
 * the ring is read this often anyway, which is also how late the log is. */
#define NT_POLL_MS 20

int nt_record_loop(struct rec *r)
{
	struct epoll_event ev, evs[16];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* --duration counts from the end of the attach (fentry: a minute for
	 * a thousand functions under emulation), like the rate in the summary */
	uint64_t deadline = r->o->duration > 0 ? r->rec_ns + (uint64_t)(r->o->duration * 1e9) : 0;
	uint64_t next_tick = nt_mono_ns() + 1000000000ull, last_ev = 0, last_ns = r->rec_ns;
	int ret = 0, e;

	if (ep < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.u32 = 0xffffffffu;
	epoll_ctl(ep, EPOLL_CTL_ADD, nt_ringrd_fd(r->ring), &ev);
	while (!nt_record_stop_sig && !r->err && !r->hook_stop &&
	       !(r->o->stop && atomic_load(r->o->stop))) {
		uint64_t now;
		int n = epoll_wait(ep, evs, 16, NT_POLL_MS);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		nt_record_pump(r, 0);
		now = nt_mono_ns();
		if (nt_record_rotate_check(r, now)) { /* --rotate: message printed */
			ret = -EIO;
			break;
		}
		if ((e = nt_record_rules_check(r, now))) { /* rules changed: a new RULESET */
			r->write_errors++;
			if (!r->err)
				r->err = e;
			break;
		}
		if (now >= next_tick) {
			next_tick = now + 1000000000ull;
			nt_record_write_counters(r, 0);
			nt_record_keep_counts(r, 0);
			/* a failed write (disk full) stops the recording: the
			 * periodic flush is often the only write of a second */
			e = nt_record_write_ksyms(r, 0);
			if (!e)
				e = nt_record_write_clock(r, 0);
			if (!e)
				e = ntl_writer_flush(r->w);
			if (e) {
				r->write_errors++;
				if (!r->err)
					r->err = e;
				break;
			}
			status_line(r, now, &last_ev, &last_ns);
		}
		/* a consumer asked to stop (--stream piped into a reader that
		 * went away): like Ctrl-C, the log is closed completely */
		if (r->hook_stop)
			break;
		if (deadline && now >= deadline)
			break;
	}
	close(ep);
	return ret;
}
