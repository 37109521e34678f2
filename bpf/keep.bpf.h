/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keep.bpf.h - kernel-side tail-based keep (`nft-record --keep EXPR`, function
 * mode): the records of each traced skb are held in a bounded per-skb buffer
 * and reach the ring buffer only when the skb ends and may match EXPR.
 *
 * Included twice by nt.bpf.c: before core.bpf.h (configuration and
 * NT_SUBMIT, which every packet record's emitter uses instead of
 * bpf_ringbuf_submit) and after the emitters (the implementation).
 *
 * Structure: a hash map skb address -> struct nt_keep_buf, preallocated
 * (NT_KEEP_ENTRIES 4096 x 5,368 bytes = 21 MiB of kernel memory, + 1,024
 * hand-over entries, 5.2 MiB): a byte ring of NT_KEEP_RING (4 KiB) holding the
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
 * (that record too: no ring traffic at all) only what the analyzer's packet
 * model would discard for sure: an skb that is a packet on its own (LINK
 * records, a shared data buffer, fragments, filter withdrawals and idle gaps
 * make it "unsafe") and that matched no predicate of EXPR even
 * conservatively (any drop, verdict, rule handle, function, first to last
 * record > slow).  Otherwise the buffer is handed to user space: moved to
 * nt_keep_done under the time and CPU of the record that ends it, which goes
 * through the ring as usual; the recorder, reading that record, takes the
 * buffer and puts its records first (nft-record/record_keep.c), and the
 * user-space engine (keep.c, the analyzer's model) decides exactly as
 * before.  A LINK hands over both skbs' buffers, their later records pass
 * straight to the ring (nt_keep_pass), as do those of skbs that found the map
 * full (counted).  Buffers of skbs that never end are taken by user space
 * after 10 s idle (the model's expiry) and at the end.  Discarded packets,
 * their cut records, after-free records (model.c md_after_free) are counted
 * per CPU (nt_keep_cnt).  No flush loop in BPF: the verifier follows
 * nt_keep_put once per call site, a loop there multiplied its work.
 *
 * Every helper used exists on 5.10 (bounded loops, no bpf_loop).
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

/* 1: the caller submits the record to the ring; 0: it was buffered (the
 * caller discards its reservation). */
static __noinline int nt_keep_put(__u64 rec, __u32 size);

/* Instead of bpf_ringbuf_submit(P, nt_rb_flags()) for a packet's record:
 * nt_submit (core.bpf.h), one BPF subprogram, buffers it or submits it. */
static __noinline int nt_submit(void *p, __u32 size);
#define NT_SUBMIT(p) nt_submit((p), sizeof(*(p)))

#else
#ifndef NT_KEEP_IMPL
#define NT_KEEP_IMPL

#define NT_KEEP_MASK (NT_KEEP_RING - 1)

/* nt_keep_buf.flags */
#define NT_KB_IP 0x01      /* an IPv4 / IPv6 META: a packet to the analyzer */
#define NT_KB_MATCH 0x02   /* a predicate may match: flush */
#define NT_KB_UNSAFE 0x04  /* not a packet on its own: flush, user space decides */
#define NT_KB_GHOST 0x10   /* records of an skb just freed (the model ignores them) */

struct nt_keep_buf {
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NT_KEEP_ENTRIES); /* 1 when off (user space) */
	__type(key, __u64);
	__type(value, struct nt_keep_buf);
} nt_keep_bufs SEC(".maps");

/* buffers handed to user space, under nt_keep_done_key() of the record
 * that made them go (the skb's end, a LINK); the recorder takes them when it
 * reads that record */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct nt_keep_buf);
} nt_keep_done SEC(".maps");

/* a zeroed header to create entries from (the value is too big for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_keep_buf);
} nt_keep_zero SEC(".maps");

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

/* The key of the buffer handed to user space at record (TS, CPU): the
 * recorder, reading that record from the ring, takes the buffer and puts its
 * records before it (nft-record/record_keep.c nt_record_keep_fetch). */
static __always_inline __u64 nt_keep_done_key(__u64 ts, __u32 cpu)
{
	return ts ^ ((__u64)cpu << 56);
}

/* Hand buffer B of skb KEY to user space under record (TS, CPU), forget it. */
static __always_inline void nt_keep_hand(__u64 key, struct nt_keep_buf *b, __u64 ts, __u32 cpu)
{
	__u64 dk = nt_keep_done_key(ts, cpu);

	if (bpf_map_update_elem(&nt_keep_done, &dk, b, BPF_ANY))
		nt_keep_count(NT_KC_LOST, 1); /* its records: user space never sees them */
	else
		nt_keep_count(NT_KC_FLUSHED, 1);
	bpf_map_delete_elem(&nt_keep_bufs, &key);
}

/* A new buffer for skb KEY at its META M. */
static __always_inline struct nt_keep_buf *nt_keep_new(__u64 key, const struct nt_ev_meta *m)
{
	struct nt_keep_freed *f = bpf_map_lookup_elem(&nt_keep_freed, &key);
	struct nt_keep_buf *z, *b;
	__u32 zk = 0;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&nt_keep_pass, &key))
		return 0;
	z = bpf_map_lookup_elem(&nt_keep_zero, &zk);
	if (!z)
		return 0;
	__builtin_memset(z, 0, __builtin_offsetof(struct nt_keep_buf, meta));
	z->first_ts = z->last_ts = m->h.ts_ns;
	if (f && m->l3 != NT_L3_NONE && m->h.ts_ns >= f->ts &&
	    m->h.ts_ns - f->ts <= (f->dying ? 200000000ull : 10000000ull) &&
	    f->tuple == nt_keep_tuple(m) && f->ip_id == m->ip_id &&
	    (!f->l4 || !(m->l4proto == NT_IPPROTO_TCP || m->l4proto == NT_IPPROTO_ICMP ||
			 m->l4proto == NT_IPPROTO_ICMPV6) || f->l4_extra == m->l4_extra))
		z->flags = NT_KB_GHOST;
	if (bpf_map_update_elem(&nt_keep_bufs, &key, z, BPF_NOEXIST)) {
		nt_keep_count(NT_KC_FULL, 1);
		bpf_map_update_elem(&nt_keep_pass, &key, &one, BPF_ANY);
		return 0;
	}
	b = bpf_map_lookup_elem(&nt_keep_bufs, &key);
	if (b)
		bpf_map_delete_elem(&nt_keep_freed, &key);
	return b;
}

/* The skb of B (KEY) ended with record H: 1 = its buffer goes to user space
 * (before H, which the caller submits), 0 = discarded (H too). */
static __always_inline int nt_keep_end(__u64 key, struct nt_keep_buf *b, const struct nt_ev_hdr *h)
{
	struct nt_keep_freed f = {};
	__u32 fl = b->flags;

	if (nt_keep_slow_ns && b->last_ts - b->first_ts > nt_keep_slow_ns)
		fl |= NT_KB_MATCH;
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
		nt_keep_hand(key, b, h->ts_ns, h->cpu);
		return 1;
	}
	if (fl & NT_KB_GHOST) {
		nt_keep_count(NT_KC_GHOST, 1);
	} else if (fl & NT_KB_IP) {
		nt_keep_count(NT_KC_DISCARDED, 1);
		nt_keep_count(NT_KC_CUT, nt_keep_cut(b));
	}
	bpf_map_delete_elem(&nt_keep_bufs, &key);
	return 0;
}

static __noinline int nt_keep_put(__u64 rec, __u32 size)
{
	struct nt_ev_hdr h;
	struct nt_keep_buf *b;
	__u64 key;
	__u32 nw;
	int end;

	if (size > NT_KEEP_MAXREC || bpf_probe_read_kernel(&h, sizeof(h), (void *)rec))
		return 1;
	key = h.skb;
	if (!key || !nt_keep_size(h.type))
		return 1;
	/* SIZE is a constant at each call: the verifier follows only the
	 * branches of records of that size */
	end = (size == sizeof(struct nt_ev_free) && h.type == NT_EV_FREE) ||
	      (size == sizeof(struct nt_ev_drop) && h.type == NT_EV_DROP);
	if (size == sizeof(struct nt_ev_link) && h.type == NT_EV_LINK) {
		__u64 parent = 0;
		__u8 one = 1;

		/* a packet of several skbs: the model joins them, user space
		 * decides; the parent's records go before the LINK */
		bpf_probe_read_kernel(&parent, sizeof(parent), (void *)(rec + __builtin_offsetof(struct nt_ev_link, parent)));
		b = parent ? bpf_map_lookup_elem(&nt_keep_bufs, &parent) : 0;
		if (b)
			nt_keep_hand(parent, b, h.ts_ns, h.cpu);
		if (parent)
			bpf_map_update_elem(&nt_keep_pass, &parent, &one, BPF_ANY);
		bpf_map_update_elem(&nt_keep_pass, &key, &one, BPF_ANY);
		b = bpf_map_lookup_elem(&nt_keep_bufs, &key);
		if (b)
			nt_keep_hand(key, b, h.ts_ns, h.cpu);
		return 1;
	}
	b = bpf_map_lookup_elem(&nt_keep_bufs, &key);
	if (!b) {
		struct nt_ev_meta m;

		if (size != sizeof(m) || h.type != NT_EV_META || bpf_probe_read_kernel(&m, sizeof(m), (void *)rec))
			goto pass;
		b = nt_keep_new(key, &m);
		if (!b)
			goto pass;
	}
	if (h.ts_ns - b->last_ts > 5000000000ull) /* the model's idle expiry may split it */
		b->flags |= NT_KB_UNSAFE;
	b->last_ts = h.ts_ns;
	nw = b->w + size;
	if (!end) { /* the end itself goes through the ring (after the buffer) */
		/* no room made: a record is intact while its start is within
		 * NT_KEEP_RING of the end (older ones are cut); the starts
		 * tell user space where the intact ones are */
		b->starts[b->nrec & (NT_KEEP_NSTART - 1)] = b->w;
		if (bpf_probe_read_kernel(&b->data[b->w & NT_KEEP_MASK],
					  size <= NT_KEEP_MAXREC ? size : NT_KEEP_MAXREC, (void *)rec))
			return 1;
	}
	/* what the record says about EXPR */
	if (size == sizeof(struct nt_ev_meta) && h.type == NT_EV_META) {
		__u8 l3 = 0;
		__u16 frag = 0;

		bpf_probe_read_kernel(&l3, 1, (void *)(rec + __builtin_offsetof(struct nt_ev_meta, l3)));
		bpf_probe_read_kernel(&frag, 2, (void *)(rec + __builtin_offsetof(struct nt_ev_meta, frag)));
		if (l3 != NT_L3_NONE) {
			struct nt_ev_meta m;

			b->flags |= NT_KB_IP;
			if (!bpf_probe_read_kernel(&m, sizeof(m), (void *)rec)) {
				b->ltuple = nt_keep_tuple(&m);
				b->lipid = m.ip_id;
				b->ll4x = m.l4_extra;
				b->ll4 = m.l4proto == NT_IPPROTO_TCP || m.l4proto == NT_IPPROTO_ICMP ||
					 m.l4proto == NT_IPPROTO_ICMPV6;
			}
		}
		if (frag & NT_FRAG_IS)
			b->flags |= NT_KB_UNSAFE; /* the model joins fragments */
		if (!b->has_meta && l3 != NT_L3_NONE) {
			bpf_probe_read_kernel(b->meta, sizeof(b->meta), (void *)rec);
			b->has_meta = 1;
			b->meta_w = b->w;
		}
	} else if (size == sizeof(struct nt_ev_drop) && h.type == NT_EV_DROP) {
		if (nt_keep_drop)
			b->flags |= NT_KB_MATCH;
		if (h.flags & NT_F_SHARED)
			b->flags |= NT_KB_UNSAFE;
	} else if (size == sizeof(struct nt_ev_free) && h.type == NT_EV_FREE) {
		if (h.flags & (NT_F_SHARED | NT_F_DISCARD))
			b->flags |= NT_KB_UNSAFE;
	} else if (size == sizeof(struct nt_ev_nft_chain) || size == sizeof(struct nt_ev_nft_rule)) {
		__s32 v = NT_V_NONE;
		__u64 handle = 0;

		if (size == sizeof(struct nt_ev_nft_chain)) {
			bpf_probe_read_kernel(&v, 4, (void *)(rec + __builtin_offsetof(struct nt_ev_nft_chain, verdict)));
		} else {
			bpf_probe_read_kernel(&v, 4, (void *)(rec + __builtin_offsetof(struct nt_ev_nft_rule, verdict)));
			bpf_probe_read_kernel(&handle, 8, (void *)(rec + __builtin_offsetof(struct nt_ev_nft_rule, rule_handle)));
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
	    (h.type == NT_EV_FUNC || h.type == NT_EV_DROP || h.type == NT_EV_FREE)) {
#pragma unroll
		for (int i = 0; i < NT_KEEP_NFUNCS; i++)
			if (nt_keep_funcs[i] && nt_keep_funcs[i] == h.id + 1)
				b->flags |= NT_KB_MATCH;
	}
	if (end)
		return nt_keep_end(key, b, &h);
	b->w = nw;
	b->nrec++;
	return 0;
pass:
	if (end)
		bpf_map_delete_elem(&nt_keep_pass, &key);
	return 1;
}

#endif
#endif
