/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keep.bpf.h - kernel-side tail-based keep (`nft-record --keep EXPR`, function
 * mode): the records of each traced skb are held in a bounded per-skb buffer
 * and reach the ring buffer only when the skb ends and may match EXPR.
 *
 * Included twice by nt.bpf.c: before core.bpf.h (configuration, the per-CPU
 * scratch records are built in, NT_SUBMIT, which every packet record's
 * emitter uses instead of bpf_ringbuf_submit) and after the emitters (the
 * implementation).
 *
 * The hot path (a hop of a buffered skb): the emitter builds its record in a
 * per-CPU scratch slot (nt_reserve, core.bpf.h: no ring buffer reservation),
 * NT_SUBMIT finds the skb's slot (a per-CPU hint: the slot of the skb last
 * found on this CPU, checked against the slot's own key and state; else the
 * hash nt_keep_idx, skb address -> slot), the slot itself is an array
 * element (the verifier inlines that lookup: an address computation), and
 * the record is copied in, 8 bytes at a time, its
 * EXPR flags gathered from the scratch copy.  Nothing touches the ring until
 * the skb ends and may match.  Scratch slots: NT_KEEP_NSCR per CPU, taken in
 * turn; a program holds at most 3 at once (a META being parsed, a LINK or
 * FREE, a second META), so a program that interrupts another on the same CPU
 * (or runs while it is preempted) cannot reuse a slot still held unless it
 * takes NT_KEEP_NSCR - 3 = 13 records itself (a hop takes at most 4).
 *
 * Buffers: an array of NT_KEEP_ENTRIES (4096) slots of 5,376 bytes (21 MiB of
 * kernel memory), memory-mapped by the recorder (BPF_F_MMAPABLE: it reads
 * handed-over and idle buffers in place, no copy through the bpf syscall);
 * free slots in a queue map (nt_keep_free, filled by the recorder at load); a
 * hash skb -> slot (4-byte values: a new packet copies 4 bytes into the map,
 * not its buffer).  A slot: a byte ring of NT_KEEP_RING (4 KiB) holding the
 * skb's records as they are (24 to 96 bytes; a record starting near the end
 * runs into NT_KEEP_MAXREC spare bytes, so every record is contiguous), the
 * virtual start of each of the last 256 records (a record is intact while it
 * starts within NT_KEEP_RING of the end: appending is a copy and two stores,
 * no loop; the overwritten oldest ones are the "cut"), the first META kept
 * aside, and flags gathered while appending (an IP packet, drop seen,
 * verdicts, rule handles and function ids of EXPR, "unsafe").  Why the
 * records themselves rather than compact hop slots: they keep their exact
 * format (the log and the analyzer see what a full recording writes), one
 * copy per record, no second encoding to keep in sync with records.h; FUNC /
 * FREE, the bulk, take 24 bytes (170 per skb before the oldest are cut).
 *
 * Decision when the skb ends (its FREE or DROP record): the kernel discards
 * (that record too: no ring traffic at all; the slot goes back to the queue)
 * only what the analyzer's packet model would discard for sure: an skb that
 * is a packet on its own (LINK records, a shared data buffer, fragments,
 * filter withdrawals and idle gaps make it "unsafe") and that matched no
 * predicate of EXPR even conservatively (any drop, verdict, rule handle,
 * function, first to last record > slow).  Otherwise the slot is handed to
 * user space: its number goes into nt_keep_done under the time and CPU of the
 * record that ends it, which goes through the ring as usual; the recorder,
 * reading that record, reads the slot, puts its records first
 * (nft-record/record_keep.c) and gives the slot back to the queue; the
 * user-space engine (keep.c, the analyzer's model) decides exactly as before.
 * A LINK hands over both skbs' buffers, their later records pass straight to
 * the ring (nt_keep_pass), as do those of skbs that found no free slot
 * (counted).  Buffers of skbs that never end are taken by user space after
 * 10 s idle (the model's expiry) and at the end.  Discarded packets, their
 * cut records, after-free records (model.c md_after_free) are counted per CPU
 * (nt_keep_cnt).  No flush loop in BPF: the verifier follows nt_keep_put once
 * per call site, a loop there multiplied its work.
 *
 * Every helper and map type used exists on 5.10 (bounded loops, queue maps,
 * mmapable arrays; no bpf_loop, no atomics with a fetch).
 */
#ifndef NT_KEEP_DECL
#define NT_KEEP_DECL

#define NT_KEEP_RING 4096       /* bytes per skb (power of 2) */
#define NT_KEEP_MAXREC 96       /* largest buffered record (META) */
#define NT_KEEP_ENTRIES 4096    /* open skbs buffered at once */
#define NT_KEEP_NSTART 256      /* record starts remembered (> NT_KEEP_RING / 24) */
#define NT_KEEP_NRULES 8
#define NT_KEEP_NFUNCS 8

/* Set by user space before load (nft-record/record_keep.c). */
const volatile __u32 nt_keep_on = 0;       /* kernel-side keep active */
const volatile __u32 nt_keep_drop = 0;     /* predicate drop */
const volatile __u32 nt_keep_verdicts = 0; /* bit V: verdict=V (0..5) */
const volatile __u64 nt_keep_slow_ns = 0;  /* slow=, 0 = none */
const volatile __u64 nt_keep_rules[NT_KEEP_NRULES] = {};  /* rule handles, 0 = unused */
const volatile __u32 nt_keep_funcs[NT_KEEP_NFUNCS] = {};  /* function ids + 1, 0 = unused */

/* Bench only (bench/keep.sh ways floor-*, nft-record's environment
 * NT_BENCH_FLOOR): how much of the probes' cost is theirs alone, nothing is
 * recorded.  NT_FLOOR_ATTACH: every packet program returns at once (the
 * probe's entry and an empty run); NT_FLOOR_LOOKUP: function and tracepoint
 * probes find their skb and look its state up (nt_skbs, a miss: nothing is
 * tracked), the others return at once; NT_FLOOR_TRACK: the whole tracking,
 * every record built (a scratch record with --keep-kernel), none kept or sent
 * (NT_SUBMIT drops it). */
#define NT_FLOOR_ATTACH 1
#define NT_FLOOR_LOOKUP 2
#define NT_FLOOR_TRACK 3
const volatile __u32 nt_floor = 0;

#define NT_KEEP_NSCR 16         /* scratch records per CPU (power of 2) */

/* 1: the caller sends the record to the ring; 0: it was buffered.  REC is
 * a scratch record (nt_keep_scratch).  Inlined into nt_submit, its one
 * caller: a subprogram of its own was one more frame on every chain (6.1
 * rounds each to 32 bytes): the program, nt_submit (16 -> 32) and this (104
 * -> 128) made nt_nft_do_chain 384 + 32 + 128 = 544 > 512 with --filter (the
 * filter's 128-byte scratch in the program's frame) and the kernel keep. */
static __always_inline int nt_keep_put(const void *rec, __u32 size);

/* Instead of bpf_ringbuf_submit(P, nt_rb_flags()) for a packet's record:
 * nt_submit (core.bpf.h), one BPF subprogram, buffers it or submits it. */
static __noinline int nt_submit(void *p, __u32 size);
#define NT_SUBMIT(p) nt_submit((p), sizeof(*(p)))

/* Per-CPU scratch records: with the kernel-side keep on, a packet's record is
 * built here (nt_reserve, core.bpf.h) instead of in a ring reservation; taken
 * in turn (see the top of this file for why a slot is not reused while held). */
struct nt_keep_scr {
	__u32 n;
	__u32 cslot;   /* the slot of skb CKEY when last found on this CPU */
	__u64 ckey;    /* (nt_keep_find_c: a hint, checked against the slot) */
	__u64 rec[NT_KEEP_NSCR][NT_KEEP_MAXREC / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_keep_scr);
} nt_keep_scr SEC(".maps");

/* A scratch record of SIZE bytes (NULL when larger than any buffered one). */
static __always_inline void *nt_keep_scratch(__u32 size)
{
	struct nt_keep_scr *s;
	__u32 k = 0;

	if (size > NT_KEEP_MAXREC)
		return NULL;
	s = bpf_map_lookup_elem(&nt_keep_scr, &k);
	if (!s)
		return NULL;
	return s->rec[s->n++ & (NT_KEEP_NSCR - 1)];
}

#else
#ifndef NT_KEEP_IMPL
#define NT_KEEP_IMPL

#define NT_KEEP_MASK (NT_KEEP_RING - 1)

/* nt_keep_buf.flags */
#define NT_KB_IP 0x01      /* an IPv4 / IPv6 META: a packet to the analyzer */
#define NT_KB_MATCH 0x02   /* a predicate may match: flush */
#define NT_KB_UNSAFE 0x04  /* not a packet on its own: flush, user space decides */
#define NT_KB_GHOST 0x10   /* records of an skb just freed (the model ignores them) */
#define NT_KB_NOMETA 0x20  /* opened by nftables steps, no META yet: user space decides */

/* nt_keep_buf.state (user space reads it in the mapped array) */
#define NT_KS_FREE 0  /* in the queue (or never used) */
#define NT_KS_OPEN 1  /* the buffer of skb KEY (nt_keep_idx) */
#define NT_KS_HANDED 2 /* handed to user space (nt_keep_done): it gives it back */

struct nt_keep_buf {
	__u64 key;               /* the skb */
	__u32 state, slot;       /* NT_KS_*, its own index */
	__u64 first_ts, last_ts;
	__u32 w, pad0;           /* virtual end of the records */
	__u32 cut;               /* (user space) */
	__u32 meta_w;            /* virtual position of the first META */
	__u32 flags;             /* NT_KB_* */
	__u32 has_meta, nrec;    /* nrec: records appended */
	__u32 ltuple, ll4x;      /* the last IP META's identity (after-free check) */
	__u16 lipid;
	__u8 ll4, pad;
	__u8 meta[NT_KEEP_MAXREC]; /* the first META, kept aside */
	__u32 starts[NT_KEEP_NSTART]; /* virtual start of record i at [i % NT_KEEP_NSTART] */
	__u8 data[NT_KEEP_RING + NT_KEEP_MAXREC];
};
_Static_assert(sizeof(struct nt_keep_buf) % 8 == 0, "slots are 8-byte aligned");

/* the buffers (1 entry when off: user space) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NT_KEEP_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct nt_keep_buf);
} nt_keep_slots SEC(".maps");

/* free slots (the recorder pushes them all after load) */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, NT_KEEP_ENTRIES);
	__type(value, __u32);
} nt_keep_free SEC(".maps");

/* skb address -> its slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NT_KEEP_ENTRIES);
	__type(key, __u64);
	__type(value, __u32);
} nt_keep_idx SEC(".maps");

/* slots handed to user space, under the time and CPU of the record that made
 * them go (the skb's end, a LINK: its parent's buffer with PARENT 1, its own
 * with 0); the recorder takes them when it reads that record */
struct nt_keep_dkey {
	__u64 ts;
	__u32 cpu, parent;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NT_KEEP_ENTRIES);
	__type(key, struct nt_keep_dkey);
	__type(value, __u32);
} nt_keep_done SEC(".maps");

/* skbs whose records pass straight to the ring: linked ones, and those that
 * found the map full (their records must not start a buffer half-way) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} nt_keep_pass SEC(".maps");

/* the last packet that ended at an address: a META of the same packet right
 * after its free is the analyzer's "after free" (model.c md_after_free) */
struct nt_keep_freed {
	__u64 ts;
	__u32 tuple, l4_extra;
	__u16 ip_id;
	__u8 dying, l4;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct nt_keep_freed);
} nt_keep_freed SEC(".maps");

/* per-CPU counters (nft-record/record_keep.c sums them) */
#define NT_KC_DISCARDED 0  /* packets ended without a match: nothing written */
#define NT_KC_CUT 1        /* records cut from those */
#define NT_KC_FLUSHED 2    /* buffers handed to user space (it decides) */
#define NT_KC_FULL 3       /* packets not buffered: the map was full */
#define NT_KC_LOST 4       /* buffers lost: nt_keep_done was full */
#define NT_KC_GHOST 5      /* after-free records discarded (not packets) */
#define NT_KC__N 6
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NT_KC__N);
	__type(key, __u32);
	__type(value, __u64);
} nt_keep_cnt SEC(".maps");

static __always_inline void nt_keep_count(__u32 k, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&nt_keep_cnt, &k);

	if (v)
		*v += n;
}

/* Size of a buffered record by type, 0 = never buffered.  A table, not a
 * switch: the verifier follows one path through it, not one per type (a
 * switch in the cut loop below made it explore every combination). */
const volatile __u8 nt_keep_sizes[16] = {
	[NT_EV_FUNC] = sizeof(struct nt_ev_func), [NT_EV_META] = sizeof(struct nt_ev_meta),
	[NT_EV_NFT_CHAIN] = sizeof(struct nt_ev_nft_chain), [NT_EV_NFT_RULE] = sizeof(struct nt_ev_nft_rule),
	[NT_EV_DROP] = sizeof(struct nt_ev_drop), [NT_EV_LINK] = sizeof(struct nt_ev_link),
	[NT_EV_FREE] = sizeof(struct nt_ev_free), [NT_EV_DEV] = sizeof(struct nt_ev_dev),
};

static __always_inline __u32 nt_keep_size(__u8 type)
{
	return nt_keep_sizes[type & 15];
}
_Static_assert(sizeof(struct nt_ev_meta) == NT_KEEP_MAXREC, "META is the largest buffered record");

static __always_inline __u32 nt_keep_tuple(const struct nt_ev_meta *m)
{
	const __u32 *a = (const void *)m->saddr;
	__u32 s = 2166136261u;

#pragma unroll
	for (int i = 0; i < 8; i++)
		s = (s ^ a[i]) * 16777619u;
	return (s ^ ((__u32)m->sport << 16 | m->dport)) * 16777619u ^ m->l4proto;
}

/* Records of B overwritten by newer ones (only buffers that wrapped: a loop,
 * at the skb's end only). */
static __always_inline __u32 nt_keep_cut(struct nt_keep_buf *b)
{
	__u32 lim = b->w - NT_KEEP_RING, n = b->nrec, i;

	if (b->w <= NT_KEEP_RING)
		return 0;
	/* the intact ones are among the last NT_KEEP_NSTART */
	for (i = 0; i < NT_KEEP_NSTART && i < n; i++)
		if ((__s32)(b->starts[(n - 1 - i) & (NT_KEEP_NSTART - 1)] - lim) < 0)
			break;
	return n - i;
}

/* Whoever deletes skb KEY's index entry owns its slot: the kernel at the
 * skb's end or a LINK, or the recorder taking an idle buffer
 * (nft-record/record_keep.c kkeep_age).  0: the slot is the caller's. */
static __always_inline int nt_keep_own(__u64 key)
{
	return bpf_map_delete_elem(&nt_keep_idx, &key);
}

/* Slot B (owned, nt_keep_own) back to the free queue. */
static __always_inline void nt_keep_free_slot(struct nt_keep_buf *b)
{
	__u32 slot = b->slot;

	b->state = NT_KS_FREE;
	b->key = 0;
	bpf_map_push_elem(&nt_keep_free, &slot, BPF_ANY);
}

/* Hand buffer B of skb KEY to user space under record (TS, CPU) (PARENT: the
 * parent's buffer at a LINK), forget it: the recorder, reading that record
 * from the ring, takes the buffer and puts its records before it
 * (nft-record/record_keep.c nt_record_keep_fetch).  Nothing to do when the
 * recorder took it meanwhile (idle): its records reach the ring from there. */
static __always_inline void nt_keep_hand(__u64 key, struct nt_keep_buf *b, __u64 ts, __u32 cpu,
					 __u32 parent)
{
	struct nt_keep_dkey dk = { .ts = ts, .cpu = cpu, .parent = parent };
	__u32 slot = b->slot;

	if (nt_keep_own(key))
		return;
	b->state = NT_KS_HANDED;
	if (bpf_map_update_elem(&nt_keep_done, &dk, &slot, BPF_NOEXIST)) {
		nt_keep_count(NT_KC_LOST, 1); /* its records: user space never sees them */
		nt_keep_free_slot(b);
		return;
	}
	nt_keep_count(NT_KC_FLUSHED, 1);
}

/* The buffer of skb KEY, or NULL */
static __always_inline struct nt_keep_buf *nt_keep_find(__u64 key)
{
	__u32 *slot = bpf_map_lookup_elem(&nt_keep_idx, &key);
	struct nt_keep_buf *b;

	if (!slot)
		return NULL;
	b = bpf_map_lookup_elem(&nt_keep_slots, slot);
	return b && b->key == key ? b : NULL;
}

/* The buffer of skb KEY, or NULL, the per-CPU hint first: consecutive hops
 * of one skb on a CPU (most of them) find its slot without the hash lookup.
 * The hint is only a slot number: it counts when that slot is open for KEY
 * (state, key: a slot is open for one skb at a time, nt_keep_idx maps that
 * skb to it), whatever happened on other CPUs since. */
static __always_inline struct nt_keep_buf *nt_keep_find_c(__u64 key)
{
	struct nt_keep_scr *s;
	struct nt_keep_buf *b;
	__u32 k = 0;

	s = bpf_map_lookup_elem(&nt_keep_scr, &k);
	if (!s)
		return nt_keep_find(key);
	if (s->ckey == key) {
		b = bpf_map_lookup_elem(&nt_keep_slots, &s->cslot);
		if (b && b->key == key && b->state == NT_KS_OPEN)
			return b;
	}
	b = nt_keep_find(key);
	if (b) {
		s->ckey = key;
		s->cslot = b->slot;
	}
	return b;
}

/* The model's window after a packet's end (model.c md_after_free,
 * model/model_int.h FREED_NS, DYING_NS): a record at time TS at the address
 * whose packet ended as F said may be that packet's after-free record when
 * TS is at most 10 ms after the end, 200 ms when it ended at a FREE record
 * (the model: while its kfree_skbmem record is still to come, when that is
 * traced).  The META ghost check (nt_keep_new) and the chain exit with no
 * buffer (nt_keep_put) both ask this. */
static __always_inline int nt_keep_freed_recent(const struct nt_keep_freed *f, __u64 ts)
{
	return ts >= f->ts && ts - f->ts <= (f->dying ? 200000000ull : 10000000ull);
}

/* A new buffer for skb KEY at its record H: its META M (NULL: nftables steps
 * of an skb that has no buffer; see nt_keep_put). */
static __always_inline struct nt_keep_buf *nt_keep_new(__u64 key, const struct nt_ev_hdr *h,
						       const struct nt_ev_meta *m)
{
	struct nt_keep_freed *f = bpf_map_lookup_elem(&nt_keep_freed, &key);
	struct nt_keep_buf *b;
	__u32 slot;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&nt_keep_pass, &key))
		return 0;
	if (bpf_map_pop_elem(&nt_keep_free, &slot))
		goto full;
	b = bpf_map_lookup_elem(&nt_keep_slots, &slot);
	if (!b)
		goto full;
	__builtin_memset(b, 0, __builtin_offsetof(struct nt_keep_buf, meta));
	b->key = key;
	b->slot = slot;
	b->first_ts = b->last_ts = h->ts_ns;
	if (m && f && m->l3 != NT_L3_NONE && nt_keep_freed_recent(f, m->h.ts_ns) &&
	    f->tuple == nt_keep_tuple(m) && f->ip_id == m->ip_id &&
	    (!f->l4 || !(m->l4proto == NT_IPPROTO_TCP || m->l4proto == NT_IPPROTO_ICMP ||
			 m->l4proto == NT_IPPROTO_ICMPV6) || f->l4_extra == m->l4_extra))
		b->flags = NT_KB_GHOST;
	if (!m)
		b->flags = NT_KB_NOMETA;
	if (bpf_map_update_elem(&nt_keep_idx, &key, &slot, BPF_NOEXIST)) {
		b->key = 0;
		bpf_map_push_elem(&nt_keep_free, &slot, BPF_ANY);
		goto full;
	}
	b->state = NT_KS_OPEN;
	if (f && m)
		bpf_map_delete_elem(&nt_keep_freed, &key);
	return b;
full:
	nt_keep_count(NT_KC_FULL, 1);
	bpf_map_update_elem(&nt_keep_pass, &key, &one, BPF_ANY);
	return 0;
}

/* The skb of B (KEY) ended with record H: 1 = its buffer goes to user space
 * (before H, which the caller submits), 0 = discarded (H too). */
static __always_inline int nt_keep_end(__u64 key, struct nt_keep_buf *b, const struct nt_ev_hdr *h)
{
	struct nt_keep_freed f = {};
	__u32 fl = b->flags;

	if (nt_keep_slow_ns && b->last_ts - b->first_ts > nt_keep_slow_ns)
		fl |= NT_KB_MATCH;
	if (fl & NT_KB_NOMETA) /* steps that ended with no packet: as the model sees it */
		fl |= NT_KB_UNSAFE;
	if (b->has_meta) {
		/* the identity of its last IP META, as the model remembers it */
		f.ts = h->ts_ns;
		f.dying = h->type == NT_EV_FREE;
		f.tuple = b->ltuple;
		f.ip_id = b->lipid;
		f.l4_extra = b->ll4x;
		f.l4 = b->ll4;
		bpf_map_update_elem(&nt_keep_freed, &key, &f, BPF_ANY);
	}
	if ((fl & (NT_KB_UNSAFE | NT_KB_MATCH)) && !(fl & NT_KB_GHOST)) {
		nt_keep_hand(key, b, h->ts_ns, h->cpu, 0);
		return 1;
	}
	if (nt_keep_own(key))
		return 1; /* the recorder took it (idle): H follows it through the ring */
	if (fl & NT_KB_GHOST) {
		nt_keep_count(NT_KC_GHOST, 1);
	} else if (fl & NT_KB_IP) {
		nt_keep_count(NT_KC_DISCARDED, 1);
		nt_keep_count(NT_KC_CUT, nt_keep_cut(b));
	}
	nt_keep_free_slot(b);
	return 0;
}

/* Record REC (SIZE bytes, a scratch record) at the end of buffer B: a copy, 8
 * bytes at a time (every record's size is a multiple of 8; SIZE is a constant
 * at each call, the verifier follows only the copies it makes). */
static __always_inline void nt_keep_copy(struct nt_keep_buf *b, const void *rec, __u32 size)
{
	__u64 *d = (void *)&b->data[b->w & NT_KEEP_MASK];
	const __u64 *r = rec;

#pragma unroll
	for (int i = 0; i < NT_KEEP_MAXREC / 8; i++)
		if (i * 8 < size)
			d[i] = r[i];
}

static __always_inline int nt_keep_put(const void *rec, __u32 size)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_keep_buf *b;
	__u64 key = h->skb;
	__u32 nw;
	int end;

	if (size > NT_KEEP_MAXREC || !key || !nt_keep_size(h->type))
		return 1;
	/* SIZE is a constant at each call: the verifier follows only the
	 * branches of records of that size */
	end = (size == sizeof(struct nt_ev_free) && h->type == NT_EV_FREE) ||
	      (size == sizeof(struct nt_ev_drop) && h->type == NT_EV_DROP);
	if (size == sizeof(struct nt_ev_link) && h->type == NT_EV_LINK) {
		const struct nt_ev_link *l = rec;
		__u64 parent = l->parent;
		__u8 one = 1;

		/* a packet of several skbs: the model joins them, user space
		 * decides; the parent's records go before the LINK */
		b = parent ? nt_keep_find(parent) : 0;
		if (b)
			nt_keep_hand(parent, b, h->ts_ns, h->cpu, 1);
		if (parent)
			bpf_map_update_elem(&nt_keep_pass, &parent, &one, BPF_ANY);
		bpf_map_update_elem(&nt_keep_pass, &key, &one, BPF_ANY);
		b = nt_keep_find(key);
		if (b)
			nt_keep_hand(key, b, h->ts_ns, h->cpu, 0);
		return 1;
	}
	b = nt_keep_find_c(key);
	if (!b) {
		/* a chain's exit at an address whose packet ended less than
		 * the model's window ago (on 6.12 the exit after nft_do_chain
		 * freed a dropped skb) is that packet's after-free record, in
		 * no journey (model.c md_after_free): dropped and counted */
		if (size == sizeof(struct nt_ev_nft_chain) && h->type == NT_EV_NFT_CHAIN &&
		    ((const struct nt_ev_nft_chain *)rec)->phase == NT_CHAIN_EXIT) {
			struct nt_keep_freed *f = bpf_map_lookup_elem(&nt_keep_freed, &key);

			if (f && nt_keep_freed_recent(f, h->ts_ns)) {
				nt_keep_count(NT_KC_GHOST, 1);
				return 0;
			}
		}
		/* a buffer starts at a META, or at nftables steps of an skb
		 * without one (a packet's steps before its META): they wait in
		 * a buffer the next META joins, so that packet is kept or
		 * discarded with them, as the model joins them.  Sent to the
		 * ring instead, user space would give them to the next packet
		 * it sees there, which the kernel may have discarded packets
		 * before (a kept journey with other packets' steps) */
		if (size == sizeof(struct nt_ev_meta) && h->type == NT_EV_META)
			b = nt_keep_new(key, h, rec);
		else if ((size == sizeof(struct nt_ev_nft_chain) && h->type == NT_EV_NFT_CHAIN) ||
			 (size == sizeof(struct nt_ev_nft_rule) && h->type == NT_EV_NFT_RULE))
			b = nt_keep_new(key, h, 0);
		if (!b)
			goto pass;
	}
	if (h->ts_ns - b->last_ts > 5000000000ull) /* the model's idle expiry may split it */
		b->flags |= NT_KB_UNSAFE;
	b->last_ts = h->ts_ns;
	nw = b->w + size;
	if (!end) { /* the end itself goes through the ring (after the buffer) */
		/* no room made: a record is intact while its start is within
		 * NT_KEEP_RING of the end (older ones are cut); the starts
		 * tell user space where the intact ones are */
		b->starts[b->nrec & (NT_KEEP_NSTART - 1)] = b->w;
		nt_keep_copy(b, rec, size);
	}
	/* what the record says about EXPR */
	if (size == sizeof(struct nt_ev_meta) && h->type == NT_EV_META) {
		const struct nt_ev_meta *m = rec;

		b->flags &= ~NT_KB_NOMETA;
		if (m->l3 != NT_L3_NONE) {
			b->flags |= NT_KB_IP;
			b->ltuple = nt_keep_tuple(m);
			b->lipid = m->ip_id;
			b->ll4x = m->l4_extra;
			b->ll4 = m->l4proto == NT_IPPROTO_TCP || m->l4proto == NT_IPPROTO_ICMP ||
				 m->l4proto == NT_IPPROTO_ICMPV6;
			if (!b->has_meta) {
				__u64 *d = (void *)b->meta;
				const __u64 *r = rec;

#pragma unroll
				for (int i = 0; i < NT_KEEP_MAXREC / 8; i++)
					d[i] = r[i];
				b->has_meta = 1;
				b->meta_w = b->w;
			}
		}
		if (m->frag & NT_FRAG_IS)
			b->flags |= NT_KB_UNSAFE; /* the model joins fragments */
	} else if (size == sizeof(struct nt_ev_drop) && h->type == NT_EV_DROP) {
		if (nt_keep_drop)
			b->flags |= NT_KB_MATCH;
		if (h->flags & NT_F_SHARED)
			b->flags |= NT_KB_UNSAFE;
	} else if (size == sizeof(struct nt_ev_free) && h->type == NT_EV_FREE) {
		if (h->flags & (NT_F_SHARED | NT_F_DISCARD))
			b->flags |= NT_KB_UNSAFE;
	} else if (size == sizeof(struct nt_ev_nft_chain) || size == sizeof(struct nt_ev_nft_rule)) {
		__s32 v;
		__u64 handle = 0;

		if (size == sizeof(struct nt_ev_nft_chain)) {
			v = ((const struct nt_ev_nft_chain *)rec)->verdict;
		} else {
			v = ((const struct nt_ev_nft_rule *)rec)->verdict;
			handle = ((const struct nt_ev_nft_rule *)rec)->rule_handle;
		}
		if (v == NT_V_DROP && nt_keep_drop)
			b->flags |= NT_KB_MATCH;
		if (v >= 0 && v < 32 && (nt_keep_verdicts >> v & 1))
			b->flags |= NT_KB_MATCH;
#pragma unroll
		for (int i = 0; i < NT_KEEP_NRULES; i++)
			if (handle && nt_keep_rules[i] == handle)
				b->flags |= NT_KB_MATCH;
	}
	if ((size == sizeof(struct nt_ev_func) || size == sizeof(struct nt_ev_drop)) && nt_keep_funcs[0] &&
	    (h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE)) {
#pragma unroll
		for (int i = 0; i < NT_KEEP_NFUNCS; i++)
			if (nt_keep_funcs[i] && nt_keep_funcs[i] == h->id + 1)
				b->flags |= NT_KB_MATCH;
	}
	if (end)
		return nt_keep_end(key, b, h);
	b->w = nw;
	b->nrec++;
	return 0;
pass:
	if (end) {
		/* the end of a packet user space decides: its time, for a
		 * chain exit after it (above); no identity, so no META after
		 * it is taken for it.  Its cost, not measured alone: one LRU
		 * hash update per such end (linked skbs: a TCP segment and its
		 * clone are two; skbs that found no slot), whatever the skb
		 * carries, for an exit that only kernels whose nft_do_chain
		 * frees a dropped skb (6.12 on) produce: a switch set at load,
		 * or writing it only for an skb that entered a chain, would
		 * spare it elsewhere */
		struct nt_keep_freed f = { .ts = h->ts_ns, .dying = h->type == NT_EV_FREE };

		bpf_map_update_elem(&nt_keep_freed, &key, &f, BPF_ANY);
		bpf_map_delete_elem(&nt_keep_pass, &key);
	}
	return 1;
}

#endif
#endif
