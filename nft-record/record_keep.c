// SPDX-License-Identifier: GPL-2.0
/* record_keep.c - `nft-record --keep EXPR` in the recorder core: the merge
 * queue's records go through the analyzer's reorder window (model/reorder.c:
 * 1 s, 4 MiB; nftables' netlink trace steps can reach the recorder after the
 * merge queue let later records of their packet go) and then the tail-based
 * keep engine (keep.c) instead of straight to the log; only the journeys of
 * matching packets are written, whole, when the packet ends: a packet is
 * judged on what the analyzer would see of it in a full recording.  Counters
 * (NT_CNT_KEEP_*) go into the log every second and at the end, and into the
 * summary line. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "model/reorder.h"
#include "nft-record/attach.h"
#include "nft-record/keep.h"
#include "nft-record/record_int.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

/* bpf/keep.bpf.h: sizes and the per-CPU counters nt_keep_cnt */
#define KK_RING 4096
#define KK_ENTRIES 4096
#define KK_NSTART 256
#define KK_NRULES 8
#define KK_NFUNCS 8
enum { KC_DISCARDED, KC_CUT, KC_FLUSHED, KC_FULL, KC_LOST, KC_GHOST, KC__N };
#define KB_GHOST 0x10
enum { KS_FREE, KS_OPEN, KS_HANDED }; /* kk_buf.state */
#define KK_AGE_NS (10ull * 1000000000ull) /* the model's idle expiry (model.h) */

/* struct nt_keep_buf of bpf/keep.bpf.h (checked against the map's value size) */
struct kk_buf {
	uint64_t key;
	uint32_t state, slot;
	uint64_t first_ts, last_ts;
	uint32_t w, pad0, cut, meta_w, flags, has_meta, nrec;
	uint32_t ltuple, ll4x;
	uint16_t lipid;
	uint8_t ll4, pad;
	uint8_t meta[96];
	uint32_t starts[KK_NSTART];
	uint8_t data[KK_RING + 96];
};

/* bpf/keep.bpf.h struct nt_keep_dkey */
struct kk_dkey {
	uint64_t ts;
	uint32_t cpu, parent;
};

static int kkeep_traced(const void *ctx, const char *name)
{
	const struct rec *r = ctx;

	for (size_t f = 0; f < r->sel.n; f++)
		if (!strcmp(r->sel.v[f].name, name))
			return 1;
	return 0;
}

/* Can the kernel side decide EXPR (keep.c nt_keep_kernel_why_not)?  NULL,
 * or why not.  NFT_FAILED: the nftables probes failed (which and why). */
static const char *kkeep_why_not(struct rec *r, const char *nft_failed, char *buf, size_t len)
{
	struct nt_keep_kfacts f = {
		.keep_kernel = r->o->keep_kernel, .functions = r->fb != NULL,
		.nft_btf = r->o->keep_kernel && r->fb && nt_attach_nft_btf(), .nft_failed = nft_failed,
		.bytes_ct_stack = r->o->capture_bytes || r->o->conntrack || r->o->stack_mode != NT_STACK_OFF,
		.env_user = getenv("NT_KEEP_USER") != NULL, .traced = kkeep_traced, .ctx = r,
	};

	return nt_keep_kernel_why_not(&r->keep_expr, &f, buf, len);
}

/* The one line that says the packets are judged in user space (WHY). */
static void kkeep_say_user(struct rec *r, const char *why)
{
	nt_record_say(r, "nft-record: --keep %s: decided in user space (%s): every record crosses the ring buffer\n",
		      r->keep_expr.text, why);
}

/* The nftables probes failed to load or attach (WHAT: which and why) with
 * the kernel-side keep: it would judge without their steps (rule=,
 * verdict= keep nothing; kept journeys lack them), which come from
 * netlink now: user space decides.  0 = load the programs again without
 * it (and without the nftables probes). */
int nt_record_keep_nft_failed(struct rec *r, const char *what)
{
	char buf[300];

	r->kkeep = 0;
	kkeep_say_user(r, kkeep_why_not(r, what, buf, sizeof(buf)));
	return 0;
}

/* Bench only (bench/keep.sh): NT_BENCH_FLOOR=attach|lookup|track makes the
 * programs do less and record nothing (bpf/keep.bpf.h nt_floor). */
static void kkeep_floor(struct rec *r)
{
	static const char *const names[] = { "", "attach", "lookup", "track" };
	const char *e = getenv("NT_BENCH_FLOOR");

	if (!e || !*e)
		return;
	for (unsigned int i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(e, names[i])) {
			r->skel->rodata->nt_floor = i;
			fprintf(stderr, "nft-record: NT_BENCH_FLOOR=%s: a bench floor, nothing is recorded\n", e);
			return;
		}
	fprintf(stderr, "nft-record: NT_BENCH_FLOOR=%s ignored (attach, lookup or track)\n", e);
}

/* Before the BPF object loads: its configuration (bpf/keep.bpf.h). */
void nt_record_keep_bpf(struct rec *r)
{
	struct nt_bpf *s = r->skel;
	int nr = 0, nf = 0;

	kkeep_floor(r);
	if (!r->kkeep) {
		bpf_map__set_max_entries(s->maps.nt_keep_slots, 1);
		bpf_map__set_max_entries(s->maps.nt_keep_free, 1);
		bpf_map__set_max_entries(s->maps.nt_keep_idx, 1);
		bpf_map__set_max_entries(s->maps.nt_keep_done, 1);
		bpf_map__set_max_entries(s->maps.nt_keep_pass, 64);
		bpf_map__set_max_entries(s->maps.nt_keep_freed, 64);
		return;
	}
	s->rodata->nt_keep_on = 1;
	for (int i = 0; i < r->keep_expr.n; i++) {
		const struct nt_keep_pred *p = &r->keep_expr.p[i];

		if (p->kind == NT_KEEP_DROP)
			s->rodata->nt_keep_drop = 1;
		else if (p->kind == NT_KEEP_VERDICT)
			s->rodata->nt_keep_verdicts |= 1u << p->verdict;
		else if (p->kind == NT_KEEP_SLOW)
			s->rodata->nt_keep_slow_ns = p->slow_ns;
		else if (p->kind == NT_KEEP_RULE && nr < KK_NRULES)
			s->rodata->nt_keep_rules[nr++] = p->handle;
		else if (p->kind == NT_KEEP_FUNC)
			for (size_t f = 0; f < r->sel.n && nf < KK_NFUNCS; f++)
				if (!strcmp(r->sel.v[f].name, p->func))
					s->rodata->nt_keep_funcs[nf++] = (uint32_t)(NT_TP__COUNT + f) + 1;
	}
}

static int kkeep_ring_fn(void *ctx, const void *rec, size_t len)
{
	return nt_record_on_ring_event(ctx, (void *)rec, len);
}

/* Right after the first record (H) of a buffer that lost its oldest CUT:
 * COUNT NT_CNT_KEEP_JCUT, which the keep engine (keep.c) gives to H's
 * packet, whose journey then says how many records it lost. */
static void kkeep_jcut(struct rec *r, const struct nt_ev_hdr *h, uint32_t cut,
		       int (*fn)(void *, const void *, size_t))
{
	struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .skb = h->skb,
					.ts_ns = h->ts_ns }, .value = cut, .counter = NT_CNT_KEEP_JCUT };

	if (!cut)
		return;
	if (fn == kkeep_ring_fn) /* in order with the ring's records, not one of them */
		nt_mergeq_push(&r->mq, &c, sizeof(c));
	else
		fn(r, &c, sizeof(c));
}

/* The records of buffer B, oldest first (its first META first when it was
 * cut), to FN. */
static void kkeep_replay(struct rec *r, const struct kk_buf *b, int (*fn)(void *, const void *, size_t))
{
	uint32_t lim = b->w > KK_RING ? b->w - KK_RING : 0;
	uint32_t i = b->nrec > KK_NSTART ? b->nrec - KK_NSTART : 0, cut, first = 1;

	if (b->flags & KB_GHOST)
		return;
	/* intact: the records that start within KK_RING of the end */
	while (i < b->nrec && (int32_t)(b->starts[i % KK_NSTART] - lim) < 0)
		i++;
	r->kkeep_cut += i;
	cut = i;
	if (b->has_meta && (int32_t)(b->meta_w - lim) < 0) {
		fn(r, b->meta, sizeof(b->meta));
		kkeep_jcut(r, (const void *)b->meta, cut, fn);
		first = 0;
	}
	for (; i < b->nrec; i++) {
		const uint8_t *p = &b->data[b->starts[i % KK_NSTART] & (KK_RING - 1)];
		size_t sz = nt_ev_size(p[0]);

		if (!sz || sz > 96)
			break;
		fn(r, p, sz);
		if (first)
			kkeep_jcut(r, (const void *)p, cut, fn);
		first = 0;
	}
}

/* After the BPF object loaded: the buffers' array mapped (read in place),
 * every slot into the free queue.  NT_EXIT_* (message printed). */
int nt_record_keep_loaded(struct rec *r)
{
	struct bpf_map *m = r->skel->maps.nt_keep_slots;
	int qfd = bpf_map__fd(r->skel->maps.nt_keep_free);
	size_t len = (size_t)KK_ENTRIES * sizeof(struct kk_buf);

	if (!r->kkeep)
		return 0;
	nt_record_say(r, "nft-record: --keep %s: decided in the kernel: per-skb buffers of %d bytes, %d skbs (%.1f MiB); packets that may match go to user space whole\n",
		      r->keep_expr.text, KK_RING, KK_ENTRIES, KK_ENTRIES * (sizeof(struct kk_buf) + 56.0) / (1 << 20));
	if (bpf_map__value_size(m) != sizeof(struct kk_buf) || bpf_map__max_entries(m) != KK_ENTRIES ||
	    bpf_map__key_size(r->skel->maps.nt_keep_done) != sizeof(struct kk_dkey)) {
		fprintf(stderr, "nft-record: --keep: the BPF object's keep buffers are not this recorder's (rebuild)\n");
		return NT_EXIT_RUNTIME;
	}
	r->kkeep_slots = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (r->kkeep_slots == MAP_FAILED) {
		r->kkeep_slots = NULL;
		fprintf(stderr, "nft-record: --keep: cannot map the kernel's keep buffers: %s\n", strerror(errno));
		return NT_EXIT_KERNEL;
	}
	for (uint32_t i = 0; i < KK_ENTRIES; i++)
		if (bpf_map_update_elem(qfd, NULL, &i, BPF_ANY)) {
			fprintf(stderr, "nft-record: --keep: cannot fill the kernel's free buffer queue: %s\n",
				strerror(errno));
			return NT_EXIT_KERNEL;
		}
	return 0;
}

static struct kk_buf *kkeep_slot(struct rec *r, uint32_t slot)
{
	return slot < KK_ENTRIES ? &((struct kk_buf *)r->kkeep_slots)[slot] : NULL;
}

/* Slot B (taken from the kernel) back to the free queue. */
static void kkeep_give_back(struct rec *r, struct kk_buf *b)
{
	uint32_t slot = b->slot;

	b->state = KS_FREE;
	b->key = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* (cannot fail: the queue has room for every slot) */
	bpf_map_update_elem(bpf_map__fd(r->skel->maps.nt_keep_free), NULL, &slot, BPF_ANY);
}

/* The buffer handed over under record H (PARENT: a LINK's parent's), if
 * any: its records to the recorder, its slot back to the kernel. */
static void kkeep_fetch1(struct rec *r, const struct nt_ev_hdr *h, uint32_t parent)
{
	struct kk_dkey dk = { .ts = h->ts_ns, .cpu = h->cpu, .parent = parent };
	int fd = bpf_map__fd(r->skel->maps.nt_keep_done);
	struct kk_buf *b;
	uint32_t slot;

	if (bpf_map_lookup_and_delete_elem(fd, &dk, &slot)) {
		if (errno == ENOENT)
			return; /* none */
		if (bpf_map_lookup_elem(fd, &dk, &slot)) /* kernels < 5.14 */
			return;
		bpf_map_delete_elem(fd, &dk);
	}
	b = kkeep_slot(r, slot);
	if (!b)
		return;
	kkeep_replay(r, b, kkeep_ring_fn);
	kkeep_give_back(r, b);
}

/* Record H (an skb's end, a LINK) was read from the ring: the kernel may
 * have handed buffers to user space under its time and CPU
 * (bpf/keep.bpf.h nt_keep_hand): their records come first, a LINK's
 * parent's before its own. */
void nt_record_keep_fetch(struct rec *r, const struct nt_ev_hdr *h)
{
	if (!r->kkeep_slots)
		return;
	if (h->type == NT_EV_LINK)
		kkeep_fetch1(r, h, 1);
	kkeep_fetch1(r, h, 0);
}

/* Buffers of skbs that never ended: idle for KK_AGE_NS before NOW (every
 * open buffer with NOW 0, at the end, and those handed over whose record the
 * recorder did not read) go to the engine and are forgotten.  The slots are
 * read in the mapped array: no copy, one syscall per buffer taken. */
static void kkeep_age(struct rec *r, uint64_t now)
{
	int ifd, dfd;

	if (!r->kkeep || !r->skel || !r->kkeep_slots)
		return;
	ifd = bpf_map__fd(r->skel->maps.nt_keep_idx);
	dfd = bpf_map__fd(r->skel->maps.nt_keep_done);
	if (!now) { /* handed over, their record never read */
		struct kk_dkey key, next, *prev = NULL;
		uint32_t slot;

		while (!bpf_map_get_next_key(dfd, prev, &next)) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(dfd, &key, &slot) || !kkeep_slot(r, slot))
				continue;
			kkeep_replay(r, kkeep_slot(r, slot), nt_record_sorted_emit);
			r->kkeep_aged++;
		}
	}
	for (uint32_t i = 0; i < KK_ENTRIES; i++) {
		struct kk_buf *b = kkeep_slot(r, i);
		uint64_t last = __atomic_load_n(&b->last_ts, __ATOMIC_RELAXED), key = b->key;
		uint32_t slot;

		if (b->state != KS_OPEN || !key)
			continue;
		if (now && (last >= now || now - last < KK_AGE_NS))
			continue;
		if (bpf_map_lookup_elem(ifd, &key, &slot) || slot != i)
			continue; /* it just ended (and its skb has another buffer) */
		/* taken from the kernel: its skb no longer finds it (a hop
		 * racing with this finds nothing: its records pass to the
		 * ring, as after an aged-out buffer in the model) */
		if (bpf_map_delete_elem(ifd, &key))
			continue; /* it just ended */
		/* ours (bpf/keep.bpf.h nt_keep_own): no longer open, so a hop
		 * that had its slot as a per-CPU hint finds it no more */
		__atomic_store_n(&b->state, KS_HANDED, __ATOMIC_SEQ_CST);
		kkeep_replay(r, b, nt_record_sorted_emit);
		kkeep_give_back(r, b);
		r->kkeep_aged++;
	}
}

/* The kernel refused the programs with the kernel-side keep (ERR): say so
 * in one line; 0 = load them again without it (user space decides). */
int nt_record_keep_refused(struct rec *r, int err)
{
	r->kkeep = 0;
	nt_record_say(r, "nft-record: --keep %s: the kernel refused the programs of the kernel-side keep (%s): decided in user space, every record crosses the ring buffer\n",
		      r->keep_expr.text, strerror(-err));
	return 0;
}

/* nt_keep_cnt summed over CPUs */
static void kkeep_read(struct rec *r)
{
	static uint64_t vals[MAX_CPUS];

	if (!r->kkeep || !r->skel)
		return;
	for (uint32_t k = 0; k < KC__N; k++) {
		uint64_t sum = 0;

		if (bpf_map__lookup_elem(r->skel->maps.nt_keep_cnt, &k, sizeof(k), vals,
					 sizeof(uint64_t) * r->ncpus, 0))
			continue;
		for (int c = 0; c < r->ncpus; c++)
			sum += vals[c];
		r->kkeep_cnt[k] = sum;
	}
}

/* The merge queue's output. */
int nt_record_sorted_emit(void *ctx, const void *rec, size_t len)
{
	struct rec *r = ctx;

	const void *o;
	size_t olen;
	int e = 0;

	if (!r->keep)
		return nt_record_emit(r, rec, len);
	if (nt_reorder_push(r->keep_ro, rec, len)) {
		r->keep_ro_nomem++; /* lost: written with the reorder counters */
		return 0;
	}
	while (!e && (o = nt_reorder_pop(r->keep_ro, &olen, 0)))
		e = nt_keep_record(r->keep, o, olen);
	return e;
}

int nt_record_keep_setup(struct rec *r)
{
	struct nt_keep_expr *e = &r->keep_expr;
	struct nt_keep_opts ko = { .sz = sizeof(ko), .expr = e, .write = nt_record_emit, .ctx = r };

	if (!r->o->keep)
		return 0;
	*e = *r->o->keep;
	for (int i = 0; i < e->n; i++) {
		struct nt_keep_pred *p = &e->p[i];
		int j;

		if (p->kind != NT_KEEP_RULE || !p->netns_name[0])
			continue;
		for (j = 0; j < r->nns; j++)
			if (!strcmp(nt_netns_label(&r->ns[j]), p->netns_name))
				break;
		if (j == r->nns) {
			fprintf(stderr, "nft-record: --keep: rule=%s:...: namespace '%s' is not recorded (add --netns %s)\n",
				p->netns_name, p->netns_name, p->netns_name);
			return NT_EXIT_USAGE;
		}
		p->netns = r->ns[j].inum;
	}
	r->keep = nt_keep_new(&ko);
	r->keep_ro = nt_reorder_new(NT_REORDER_WINDOW_NS, NT_REORDER_MAX_BYTES);
	if (!r->keep || !r->keep_ro) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	{
		char buf[300];
		const char *why = kkeep_why_not(r, NULL, buf, sizeof(buf));

		/* one line: where the journeys are chosen (the kernel's once
		 * its programs loaded: nt_record_keep_loaded) */
		r->kkeep = !why;
		if (why)
			kkeep_say_user(r, why);
	}
	return 0;
}

/* COUNT records of the keep counters (cumulative): those that changed, or
 * all with FORCE. */
void nt_record_keep_counts(struct rec *r, int force)
{
	static const uint32_t ids[] = { NT_CNT_KEEP_SEEN, NT_CNT_KEEP_KEPT, NT_CNT_KEEP_DISCARDED,
					NT_CNT_KEEP_CUT };
	const struct nt_keep_stats *s;
	uint64_t v[4];

	if (!r->keep)
		return;
	if (!force)
		kkeep_age(r, nt_mono_ns());
	s = nt_keep_stats(r->keep);
	kkeep_read(r); /* packets the kernel discarded never reach the engine */
	v[0] = s->seen + r->kkeep_cnt[KC_DISCARDED], v[1] = s->kept;
	v[2] = s->discarded + r->kkeep_cnt[KC_DISCARDED];
	v[3] = s->cut + r->kkeep_cnt[KC_CUT] + r->kkeep_cut;
	for (int i = 0; i < 4; i++) {
		struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .ts_ns = nt_mono_ns() },
					 .value = v[i], .counter = ids[i] };

		if (v[i] == r->keep_written[i] && !force)
			continue;
		r->keep_written[i] = v[i];
		c.value = v[i] - r->keep_base[i]; /* from 0 in every file (--rotate) */
		nt_record_emit(r, &c, sizeof(c));
	}
	if (r->keep_ro_nomem != r->keep_ro_written || (force && r->keep_ro_nomem)) {
		struct nt_ev_loss l = { .h = { .type = NT_EV_LOSS, .cpu = 0xffff, .ts_ns = nt_mono_ns() },
					.count = r->keep_ro_nomem - r->keep_ro_base, .source = NT_LOSS_USER };

		r->keep_ro_written = r->keep_ro_nomem;
		nt_record_emit(r, &l, sizeof(l));
	}
}

/* --rotate: the next file counts from 0 (the counters were just written). */
void nt_record_keep_rotated(struct rec *r)
{
	memcpy(r->keep_base, r->keep_written, sizeof(r->keep_base));
	r->keep_ro_base = r->keep_ro_written;
}

/* The end: packets still open are decided on what they have. */
void nt_record_keep_finish(struct rec *r)
{
	const struct nt_keep_stats *s;

	const void *o;
	size_t olen;

	if (!r->keep)
		return;
	kkeep_age(r, 0); /* packets open in the kernel's buffers: decided like the others */
	while ((o = nt_reorder_pop(r->keep_ro, &olen, 1)))
		nt_keep_record(r->keep, o, olen);
	nt_keep_finish(r->keep);
	nt_record_keep_counts(r, 1);
	s = nt_keep_stats(r->keep);
	nt_record_say(r, "nft-record: --keep %s: %llu packets ended, %llu kept, %llu discarded, %llu records cut%s\n",
		      r->keep_expr.text, (unsigned long long)(r->keep_written[0]),
		      (unsigned long long)s->kept, (unsigned long long)(r->keep_written[2]),
		      (unsigned long long)(r->keep_written[3]),
		      r->keep_ro_nomem ? " (records lost: out of memory)" : "");
	if (r->kkeep)
		nt_record_say(r, "nft-record: --keep in the kernel: %llu packets discarded there (%llu records cut), %llu buffers handed to user space (%llu records cut), %llu skbs not buffered (map full), %llu buffers lost (hand-over map full), %llu after-free records dropped, %llu buffers aged out or open at the end\n",
			      (unsigned long long)r->kkeep_cnt[KC_DISCARDED], (unsigned long long)r->kkeep_cnt[KC_CUT],
			      (unsigned long long)r->kkeep_cnt[KC_FLUSHED], (unsigned long long)r->kkeep_cut,
			      (unsigned long long)r->kkeep_cnt[KC_FULL], (unsigned long long)r->kkeep_cnt[KC_LOST],
			      (unsigned long long)r->kkeep_cnt[KC_GHOST],
			      (unsigned long long)r->kkeep_aged);
}

void nt_record_keep_free(struct rec *r)
{
	if (r->kkeep_slots)
		munmap(r->kkeep_slots, (size_t)KK_ENTRIES * sizeof(struct kk_buf));
	r->kkeep_slots = NULL;
	nt_keep_free(r->keep);
	r->keep = NULL;
	nt_reorder_free(r->keep_ro);
	r->keep_ro = NULL;
}
