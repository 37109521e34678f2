/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.bpf.h - maps, configuration and the event emitters shared by every
 * program of bpf/nt.bpf.c (tracepoints, function probes, nftables probes).
 *
 * Per event: one LRU lookup of the skb (needed: first sight emits the packet
 * metadata and applies the filter), one ring buffer reservation.  No string
 * copies on the hot path.
 */
#ifndef NT_CORE_BPF_H
#define NT_CORE_BPF_H

#define NT_ETH_P_IP 0x0800
#define NT_ETH_P_IPV6 0x86DD
#define NT_IPPROTO_ICMP 1
#define NT_IPPROTO_TCP 6
#define NT_IPPROTO_UDP 17
#define NT_IPPROTO_ICMPV6 58

/* Set by user space before load (skeleton rodata). */
const volatile struct nt_filter nt_cfg = {};
const volatile __u32 nt_tracked_max = 0; /* unused hint */

/* Events to user space.  Size set by user space (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} nt_events SEC(".maps");

/* Ring buffer reservation failures, per CPU (read by user space, stored as
 * NT_EV_LOSS records). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nt_lost SEC(".maps");

/* nt_skb_state.match */
#define NT_MATCH_NO 0      /* filtered out (or not a packet): nothing recorded */
#define NT_MATCH_YES 1     /* traced */
#define NT_MATCH_PENDING 2 /* traced, but the capture filter needs headers it has
			    * not got yet (locally built skb): a FREE with
			    * NT_F_DISCARD withdraws it if the filter then fails */

/* State per tracked skb address. */
struct nt_skb_state {
	__u32 sig;      /* hash of the headers last emitted (nt_meta_sig) */
	__u32 ident;    /* packet identity (nt_meta_ident) */
	__u32 ifindex;  /* device and namespace last emitted (META / DEV) */
	__u32 netns;
	__u64 head;     /* skb->head when last parsed */
	__u8 match;     /* NT_MATCH_* */
	__u8 hdrless;   /* seen before it had IP headers: gaining them is not a reuse */
	__u8 isfrag:1,  /* a fragment: becoming the reassembled packet is not a reuse */
	     nohdr:1,   /* untraced only for want of headers and socket at first
			 * sight: NT_TRACK_HDRS points look again */
	     ended:1;   /* ended by consume_skb / kfree_skb, memory not yet freed
			 * (nt_valve_ended): its free path records nothing */
	__u8 shed;      /* match NO: the valve shed this packet (valve.bpf.h); no
			 * later filter decision traces it, its hits are counted */
	__u32 dident;   /* identity of the datagram (nt_dgram_ident) */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nt_skb_state);
} nt_skbs SEC(".maps");

/*
 * Data buffers of traced packets: skb->head -> the packet's first skb and its
 * identity.  A new skb address whose head is here and whose headers give the
 * same identity is a clone of that packet made where no probe saw it (e.g. the
 * copy a raw socket queues): LINK kind HEAD instead of a new packet.  An
 * entry goes when the last skb holding the buffer is freed (dataref).
 */
struct nt_head_state {
	__u64 root;
	__u32 ident;
	__u32 sig;
	__u8 match;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nt_head_state);
} nt_heads SEC(".maps");

static __always_inline void nt_count_loss_inline(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&nt_lost, &k);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

/* a subprogram: every reservation's failure path calls it (but those of
 * nt_reserve_ring_leaf) */
static __noinline int nt_count_loss(void)
{
	nt_count_loss_inline();
	return 0;
}

/* Ring buffer notification.  A wakeup costs an irq_work - a self-IPI, a VM
 * exit in a guest - and a context switch of the reader.  The kernel's own
 * policy (flags 0: wake when the reader has read everything, i.e. once per
 * drain) kept the reader close behind but cost ~20 k IPIs a second at
 * 0.5 M events/s.  Now, while the ring holds less than nt_wakeup_bytes
 * (user space: a quarter of the ring; 0 = the kernel's policy), a record
 * wakes the reader at most once every NT_WAKE_GAP_NS (all CPUs together; a
 * race only wakes twice): a reader woken every millisecond is as close
 * behind for a ring of megabytes, at most 1,000 IPIs a second.  Past it (the
 * reader is behind: descheduled, starved) every record wakes it, as before:
 * that costs the traffic, which then slows down instead of overrunning the
 * ring.  User space also polls every 20 ms (nft-record/record_loop.c).
 * Discards never wake (BPF_RB_NO_WAKEUP everywhere). */
const volatile __u64 nt_wakeup_bytes = 0;
#define NT_WAKE_GAP_NS 1000000ull
__u64 nt_wake_ns = 0;

static __always_inline __u64 nt_rb_wake(void)
{
	__u64 now;

	if (!nt_wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&nt_events, BPF_RB_AVAIL_DATA) >= nt_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	now = bpf_ktime_get_ns();
	if (now - nt_wake_ns < NT_WAKE_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	nt_wake_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* Submit flags of a packet's record, which costs one event of the CPU's
 * --max-events-per-s bucket (valve.bpf.h).  The nftables trace messages
 * (nlmsg.bpf.h) use nt_rb_wake: the kernel makes them for every packet and
 * they carry nothing the valve could decide on (user space drops those of
 * shed packets); charged, they would starve the sampling. */
static __always_inline __u64 nt_rb_flags(void)
{
	nt_valve_charge_cpu();
	return nt_rb_wake();
}

/*
 * NT_SUBMIT (keep.bpf.h): the packet's record P of SIZE bytes, reserved in
 * the ring (nt_reserve), or, with the kernel-side keep on, built in a per-CPU
 * scratch record: that goes into the skb's keep buffer or, when the skb is not
 * buffered, to the ring (bpf_ringbuf_output, one copy).  One BPF subprogram,
 * not a copy at every emitter: what a recording does not use (keep, valve:
 * read-only data) the verifier then removes in one piece instead of once per
 * emitter, which was most of its time per program (one program per function
 * with fentry).  The verifier follows a static subprogram at each call with
 * the caller's values, so SIZE stays a constant for nt_keep_put.
 */
static __noinline int nt_submit(void *p, __u32 size)
{
	if (nt_floor == NT_FLOOR_TRACK) { /* bench: built, never kept nor sent */
		if (!nt_keep_on)
			bpf_ringbuf_discard(p, 0);
		return 0;
	}
	if (nt_keep_on) {
		if (!nt_keep_put(p, size)) {
			nt_valve_charge_cpu();
			return 0;
		}
		if (bpf_ringbuf_output(&nt_events, p, size, nt_rb_flags()))
			nt_count_loss();
		return 0;
	}
	bpf_ringbuf_submit(p, nt_rb_flags());
	return 0;
}

/* Set by user space when the recording stops (nft-record/record.c): from then
 * on nothing is recorded, so the log can be drained and closed at once while
 * the probes are detached afterwards (minutes for thousands of fentry
 * trampolines on 6.1: one ftrace RCU-tasks grace period each). */
volatile __u32 nt_off = 0;

/* A reservation in the ring (records that never go through NT_SUBMIT). */
static __always_inline void *nt_reserve_ring(__u32 size)
{
	void *p;

	if (nt_off)
		return NULL; /* stopped: not a loss */
	p = bpf_ringbuf_reserve(&nt_events, size, 0);

	if (!p)
		nt_count_loss();
	return p;
}

/* The same in the subprograms with the largest frames (nt_bytes_hit,
 * nt_ct_hit): the loss counted inline, no nt_count_loss level below them
 * (nt_meta_emit: the combined stack). */
static __always_inline void *nt_reserve_ring_leaf(__u32 size)
{
	void *p;

	if (nt_off)
		return NULL;
	p = bpf_ringbuf_reserve(&nt_events, size, 0);
	if (!p)
		nt_count_loss_inline();
	return p;
}

/* A packet's record (sent with NT_SUBMIT or dropped with NT_DISCARD): in the
 * ring, or a scratch record with the kernel-side keep (keep.bpf.h). */
static __always_inline void *nt_reserve(__u32 size)
{
	if (nt_keep_on)
		return nt_off ? NULL : nt_keep_scratch(size);
	return nt_reserve_ring(size);
}

/* Drop record P of nt_reserve unsent. */
#define NT_DISCARD(p)                                      \
	do {                                               \
		if (!nt_keep_on)                           \
			bpf_ringbuf_discard((p), BPF_RB_NO_WAKEUP); \
	} while (0)

static __always_inline void nt_fill_hdr(struct nt_ev_hdr *h, __u8 type, __u8 flags, __u32 id,
					__u64 skb)
{
	h->type = type;
	h->flags = flags;
	h->cpu = bpf_get_smp_processor_id();
	h->id = id;
	h->ts_ns = bpf_ktime_get_ns();
	h->skb = skb;
}

#include "meta.bpf.h"

/*
 * The optional parts are BPF subprograms (__noinline), each in the program
 * once whatever the number of callers; off (read-only data), their body is
 * one piece of dead code for the verifier to remove, not one per caller.
 */
/* conntrack of traced packets (ct.bpf.h, --conntrack) */
static __noinline int nt_ct_hit(struct sk_buff *skb, __u32 func_id);
/* kernel stacks (stack.bpf.h, --stack all) */
static __always_inline void nt_stack_hit(void *ctx, __u64 skb, __u32 func_id);
static __always_inline void nt_ct_forget(struct sk_buff *skb);
/* packet bytes (bytes.bpf.h, --capture-bytes) */
static __always_inline void nt_bytes_meta(struct sk_buff *skb, const struct nt_ev_meta *m);
static __always_inline void nt_bytes_forget(struct sk_buff *skb);
static __always_inline void nt_bytes_dev(__u64 skb, __u32 func_id, __u32 ifindex, __u32 netns);

/* SKB starts a new packet or is freed: the conntrack and bytes state of its
 * address goes (ct.bpf.h, bytes.bpf.h; each only when on). */
static __noinline int nt_forget(struct sk_buff *skb)
{
	nt_ct_forget(skb);
	nt_bytes_forget(skb);
	return 0;
}

/* nt_track flags */
#define NT_TRACK_RECHECK 1 /* re-parse headers; emit META again if they changed */
#define NT_TRACK_HEAD 2    /* a first sight may be a copy of a traced packet made
			    * unseen (same data buffer and identity): LINK kind
			    * HEAD to that packet */
#define NT_TRACK_LINKONLY 4 /* socket-level points: a first sight is traced only
			     * as such a copy, never as a packet of its own */
#define NT_TRACK_HDRS 8  /* headers complete here (netfilter hooks, IP local
			  * output): a nohdr skb (nt_skb_state) is parsed again */

/* Emit a header-only record (NT_EV_FUNC / NT_EV_FREE). */
static __always_inline void nt_emit_simple(__u8 type, __u8 flags, __u32 id, __u64 skb)
{
	struct nt_ev_hdr *h = nt_reserve(sizeof(*h));

	if (!h)
		return;
	nt_fill_hdr(h, type, flags, id, skb);
	NT_SUBMIT(h);
}

static __always_inline void nt_emit_dev(__u32 func_id, __u64 skb, __u32 ifindex, __u32 netns)
{
	struct nt_ev_dev *d = nt_reserve(sizeof(*d));

	if (!d)
		return;
	nt_fill_hdr(&d->h, NT_EV_DEV, 0, func_id, skb);
	d->ifindex = ifindex;
	d->netns = netns;
	NT_SUBMIT(d);
	nt_bytes_dev(skb, func_id, ifindex, netns); /* a new namespace: bytes again */
}

/* DEV record when a traced skb is on another device / namespace than last
 * emitted (before the record of this hop). */
static __always_inline void nt_dev_note(struct nt_skb_state *st, struct sk_buff *skb,
					__u32 func_id, __u32 ifindex, __u32 netns)
{
	if (!netns || (ifindex == st->ifindex && netns == st->netns))
		return;
	st->ifindex = ifindex;
	st->netns = netns;
	nt_emit_dev(func_id, (__u64)skb, ifindex, netns);
}

static __always_inline void nt_dev_check(struct nt_skb_state *st, struct sk_buff *skb,
					 __u32 func_id)
{
	__u32 ifindex, netns;

	if (!st->match)
		return;
	nt_skb_dev(skb, &ifindex, &netns);
	nt_dev_note(st, skb, func_id, ifindex, netns);
}

/* Remember the data buffer of a traced packet (its first skb KEY). */
static __noinline int nt_head_put(__u64 head, __u64 key, const struct nt_skb_state *st)
{
	struct nt_head_state h = { .root = key, .ident = st->ident, .sig = st->sig,
				   .match = st->match };

	if (head && st->match)
		bpf_map_update_elem(&nt_heads, &head, &h, BPF_ANY);
	return 0;
}

/* SKB (traced, state ST) is being freed: forget its data buffer unless
 * another skb still holds it (skb_shared_info.dataref, low 16 bits). */
static __always_inline void nt_head_release(struct sk_buff *skb, const struct nt_skb_state *st)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u32 end = BPF_CORE_READ(skb, end);
	int dataref = 0;
	__u64 h = (__u64)head;

	if (!head || h != st->head)
		return;
	if (bpf_probe_read_kernel(&dataref, sizeof(dataref),
				  head + end + bpf_core_field_offset(struct skb_shared_info, dataref)))
		return;
	if ((dataref & 0xffff) <= 1)
		bpf_map_delete_elem(&nt_heads, &h);
}

/* NT_F_SHARED when SKB (traced, about to be freed) is the skb its data buffer
 * is known by and another skb still holds that buffer: a clone no probe saw
 * (the one a ping or raw socket queued) may show up later at socket level,
 * linked to SKB (LINK kind HEAD) after SKB's free. */
static __always_inline __u8 nt_shared_flag(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);
	struct nt_head_state *hs;
	unsigned char *head;
	int dataref = 0;
	__u32 end;
	__u64 h;

	if (!st || !st->match)
		return 0;
	head = BPF_CORE_READ(skb, head);
	h = (__u64)head;
	if (!head || h != st->head)
		return 0;
	hs = bpf_map_lookup_elem(&nt_heads, &h);
	if (!hs || hs->root != key)
		return 0;
	end = BPF_CORE_READ(skb, end);
	if (bpf_probe_read_kernel(&dataref, sizeof(dataref),
				  head + end + bpf_core_field_offset(struct skb_shared_info, dataref)))
		return 0;
	return (dataref & 0xffff) > 1 ? NT_F_SHARED : 0;
}

/*
 * SKB is seen with another identity than recorded (address reused without a
 * free probe) or is being allocated anew: end the packet that was traced at
 * this address (FREE with FLAGS, before anything of the new one in ring
 * order) and forget the address.
 */
static __always_inline void nt_end(struct sk_buff *skb, __u32 func_id, __u8 flags)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);

	if (!st)
		return;
	if (st->ended && !flags)
		return; /* freed (its packet ended before): until the memory is reused */
	if (st->match)
		nt_emit_simple(NT_EV_FREE, flags, func_id, key);
	if (!flags && st->match)
		nt_head_release(skb, st);
	bpf_map_delete_elem(&nt_skbs, &key);
	nt_forget(skb);
}

/* A new packet (ST->match set by the filter) at NOW: the valve records it
 * whole or sheds it whole (valve.bpf.h). */
static __noinline int nt_valve_decide(struct nt_skb_state *st, __u64 now)
{
	st->shed = 0;
	if (st->match && !nt_valve_admit_cpu(now)) {
		st->match = NT_MATCH_NO;
		st->shed = 1;
	}
	return 0;
}

/* First sight of SKB (no state): M (parsed on nt_track's stack) decides
 * whether the skb is a packet and traced; *EMIT set: M is to be emitted
 * (after everything recorded here). */
static __always_inline int nt_first(struct sk_buff *skb, __u32 func_id, __u32 flags,
				    struct nt_ev_meta *m, int fm, const struct nt_meta_ids *ids,
				    int *emit)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state nst = {};
	__u64 head = (__u64)BPF_CORE_READ(skb, head);

	nst.sig = ids->sig;
	nst.ident = ids->ident;
	nst.dident = ids->dident;
	nst.ifindex = m->ifindex;
	nst.netns = m->netns;
	nst.head = head;
	if ((flags & NT_TRACK_LINKONLY) && m->l3 == NT_L3_NONE) {
		return 0;
	}
	if (m->l3 == NT_L3_NONE) {
		__u16 fam = nt_skb_family(skb);

		/* headers not built yet (local output before the IP layer):
		 * a packet only if an IPv4 / IPv6 socket made it - netlink,
		 * unix, packet-socket or ARP skbs are never packets */
		if (fam == NT_AF_INET || fam == NT_AF_INET6) {
			nst.hdrless = 1;
			nst.match = nt_cfg.flags ? NT_MATCH_PENDING : NT_MATCH_YES;
			/* pending: the valve asks once the filter decided */
			if (nst.match == NT_MATCH_YES)
				nt_valve_decide(&nst, m->h.ts_ns);
		} else if (!fam) {
			/* raw IPv6: __ip6_append_data sets the protocol and
			 * network header before header (stale bytes) and owner:
			 * looked at again in its output hook (NT_TRACK_HDRS) */
			nst.nohdr = 1;
		}
	} else {
		if (flags & NT_TRACK_HEAD) {
			struct nt_head_state *hs = bpf_map_lookup_elem(&nt_heads, &head);
			__u16 fam = nt_skb_family(skb);

			/* a buffer whose last skb was freed unseen may be
			 * reused: without an IPv4 id or a sequence (IPv6 UDP)
			 * the identity says little, the headers must be equal */
			if (hs && hs->ident == nst.ident && hs->root != key && hs->match &&
			    (hs->sig == nst.sig || m->ip_id || m->l4_extra) &&
			    (!fam || fam == NT_AF_INET || fam == NT_AF_INET6)) {
				struct nt_ev_link *l;

				/* a copy of a traced packet's skb made unseen */
				nst.match = NT_MATCH_YES;
				bpf_map_update_elem(&nt_skbs, &key, &nst, BPF_ANY);
				l = nt_reserve(sizeof(*l));
				if (l) {
					nt_fill_hdr(&l->h, NT_EV_LINK, 0, func_id, key);
					l->h.ts_ns = m->h.ts_ns;
					l->parent = hs->root;
					l->kind = NT_LINK_HEAD;
					l->pad = 0;
					NT_SUBMIT(l);
				}
				/* headers changed since: META after the LINK */
				if (hs->sig != nst.sig)
					*emit = 1;
				else if (m->netns)
					nt_emit_dev(func_id, key, m->ifindex, m->netns);
				return NT_MATCH_YES;
			}
			if (flags & NT_TRACK_LINKONLY) {
				return 0; /* nothing stored: not a packet seen here */
			}
		}
		nst.match = fm ? NT_MATCH_YES : NT_MATCH_NO;
		nt_valve_decide(&nst, m->h.ts_ns);
		nst.isfrag = !!(m->frag & NT_FRAG_IS);
		nt_head_put(head, key, &nst);
	}
	bpf_map_update_elem(&nt_skbs, &key, &nst, BPF_ANY);
	if (!nst.match) {
		if (nst.shed)
			nt_shed_event();
		return 0;
	}
	*emit = 1;
	return nst.match;
}

/* The same packet with new headers (it gained them, was fragmented or
 * reassembled): META M (*EMIT) when it is traced. */
static __always_inline int nt_same_packet_meta(struct sk_buff *skb, __u64 key, __u64 head,
					       struct nt_skb_state *st, struct nt_ev_meta *m, int *emit)
{
	if (!st->match) {
		return 0;
	}
	st->ifindex = m->ifindex;
	st->netns = m->netns;
	nt_head_put(head, key, st);
	*emit = 1;
	return st->match;
}

/* Re-check of a known skb (state ST) against M (parsed on nt_track's
 * stack): META (*EMIT) when the headers changed, end / start packets. */
static __always_inline int nt_recheck(struct sk_buff *skb, __u32 func_id, struct nt_skb_state *st,
				      struct nt_ev_meta *m, int fm, const struct nt_meta_ids *ids,
				      int *emit)
{
	__u64 key = (__u64)skb;
	__u64 head = (__u64)BPF_CORE_READ(skb, head);
	__u32 sig, ident;

	sig = ids->sig;
	ident = ids->ident;
	/* an untraced packet on another device / namespace: the filter asks again */
	if ((st->sig == sig && (st->match || st->hdrless ||
				(m->ifindex == st->ifindex && m->netns == st->netns))) ||
	    (st->hdrless && m->l3 == NT_L3_NONE)) {
		st->sig = sig;
		if (st->match)
			nt_dev_note(st, skb, func_id, m->ifindex, m->netns);
		return st->match;
	}
	if (st->hdrless) {
		/* the same packet gaining its headers, not a reuse */
		st->hdrless = 0;
		st->isfrag = !!(m->frag & NT_FRAG_IS);
		st->sig = sig;
		st->ident = ident;
		st->dident = ids->dident;
		st->head = head;
		if (st->match == NT_MATCH_PENDING) {
			st->match = fm ? NT_MATCH_YES : NT_MATCH_NO;
			/* the filter kept it: now the valve decides; a shed
			 * packet's pending records are withdrawn like those of
			 * a packet the filter left out (its only record) */
			nt_valve_decide(st, m->h.ts_ns);
			if (!st->match) {
				nt_emit_simple(NT_EV_FREE, NT_F_DISCARD, func_id, key);
				return 0;
			}
		}
		return nt_same_packet_meta(skb, key, head, st, m, emit);
	}
	if (!st->isfrag && (m->frag & NT_FRAG_IS) && !(m->frag & NT_FRAG_OFF_MASK) &&
	    st->dident == ids->dident) {
		/* fragmented (ip_do_fragment reuses the skb as the first
		 * fragment): the same packet, not a reuse */
		st->isfrag = 1;
		st->sig = sig;
		st->ident = ident;
		st->head = head;
		return nt_same_packet_meta(skb, key, head, st, m, emit);
	}
	if (st->isfrag && !(m->frag & NT_FRAG_IS) && m->l3 != NT_L3_NONE) {
		/* the fragment that completed the queue became the reassembled
		 * packet (skb_morph): the same packet, not a reuse */
		st->isfrag = 0;
		st->sig = sig;
		st->ident = ident;
		st->dident = ids->dident;
		st->head = head;
		return nt_same_packet_meta(skb, key, head, st, m, emit);
	}
	if (st->ident != ident) {
		/* address reused by a new packet: end the old one (FREE before
		 * the new META in ring order), then the new one is a first
		 * sight (the filter applies again) */
		__u32 was = st->match;
		struct nt_ev_hdr *f;

		st->ident = ident;
		st->dident = ids->dident;
		st->sig = sig;
		st->head = head;
		st->ifindex = m->ifindex;
		st->netns = m->netns;
		st->match = m->l3 == NT_L3_NONE ? NT_MATCH_NO :
			    fm ? NT_MATCH_YES : NT_MATCH_NO;
		st->nohdr = m->l3 == NT_L3_NONE; /* headers later: look again */
		nt_valve_decide(st, m->h.ts_ns);
		st->isfrag = !!(m->frag & NT_FRAG_IS);
		f = was ? nt_reserve(sizeof(*f)) : 0;
		if (f) {
			nt_fill_hdr(f, NT_EV_FREE, NT_F_INFERRED, func_id, key);
			f->ts_ns = m->h.ts_ns - 1;
			NT_SUBMIT(f);
		}
		nt_head_put(head, key, st);
		*emit = !!st->match;
		return st->match;
	}
	/* the same packet, headers changed (NAT ...); one the filter left out
	 * is asked again (a DNATed flow the filter names by its new address,
	 * or it entered the namespace / device the filter names): new to the valve */
	st->sig = sig;
	if (!st->match && !st->shed && m->l3 != NT_L3_NONE && fm) {
		st->match = NT_MATCH_YES;
		nt_valve_decide(st, m->h.ts_ns);
		st->head = head;
		nt_head_put(head, key, st);
	}
	st->ifindex = m->ifindex;
	st->netns = m->netns;
	if (!st->match) {
		return 0;
	}
	*emit = 1;
	return st->match;
}

/* Emit the META M that nt_track parsed on its stack: reserved only now, so a
 * hit whose headers did not change (most hits of a packet path point) never
 * touches the ring - no reservation under the ring's lock, no discarded
 * record for the reader to step over.  Inlined at nt_track's one emission
 * point, not a subprogram: M lives in the program's own frame, the largest
 * one (312-352 bytes), and the verifier refuses a chain of calls whose
 * frames add up to more than 512 bytes - 6.1's rounds each frame up to 32
 * bytes, at least 32 (newer kernels: JITed frames to 16, an empty one 0), and
 * counts every call in the code, dead or not.  With nt_meta_emit and
 * nt_meta_submit as subprograms above nt_bytes_hit (120) and nt_count_loss,
 * 6.1 refused every packet program with --capture-bytes: 544.  Now the
 * deepest chains are the program and nt_skb_meta_fill, nt_bytes_hit /
 * nt_ct_hit (both count their losses inline: nt_reserve_ring_leaf) or
 * nt_submit (nt_keep_put inlined) + nt_count_loss: 448-480 bytes on 6.1,
 * nt_nft_do_chain 512 with --filter (test_bpfstack checks the bound). */
static __always_inline void nt_meta_emit(struct sk_buff *skb, const struct nt_ev_meta *m)
{
	struct nt_ev_meta *r = nt_reserve(sizeof(*r));

	if (!r)
		return;
	__builtin_memcpy(r, m, sizeof(*r));
	NT_SUBMIT(r);
	nt_bytes_meta(skb, m); /* + bytes (bytes.bpf.h), from M: still on nt_track's stack */
}

/*
 * Before a first sight is parsed: is SKB possibly an IP packet?  Not when its
 * protocol is another one (ARP ...; remembered as not traced: a re-check point
 * looks again), nor when it has no protocol and belongs to a socket of
 * another family (netlink, unix, packet).  A fresh skb with neither a
 * protocol nor a socket yet (allocated, owner not set) is not decided: no
 * state, the next hit looks again.
 */
static __always_inline int nt_maybe_packet(struct sk_buff *skb, __u32 flags)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol)), fam;
	__u64 key = (__u64)skb;
	struct nt_skb_state no = {};

	if (proto == NT_ETH_P_IP || proto == NT_ETH_P_IPV6)
		return 1;
	if (!proto) {
		fam = nt_skb_family(skb);
		if (fam == NT_AF_INET || fam == NT_AF_INET6)
			return 1;
		if (!fam)
			return 0;
	}
	if (!(flags & NT_TRACK_LINKONLY))
		bpf_map_update_elem(&nt_skbs, &key, &no, BPF_ANY);
	return 0;
}

/*
 * Look SKB up; on first sight parse it, apply the filter and emit NT_EV_META;
 * on a re-check emit META when its headers changed; DEV when its device /
 * namespace changed.  Returns non-zero (NT_MATCH_YES / PENDING) when the skb
 * is traced (the caller emits its record), 0 otherwise.
 */
static __always_inline int nt_track(struct sk_buff *skb, __u32 func_id, __u32 flags)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st;
	struct nt_meta_ids ids;
	struct nt_ev_meta mm, *m = &mm;
	int fm, l3, r, emit = 0;

	st = bpf_map_lookup_elem(&nt_skbs, &key);
	if (st && st->ended) {
		/* its free path; a recheck point sees a new packet there (the
		 * memory reused by an allocator that is not probed) */
		if (!(flags & NT_TRACK_RECHECK))
			return 0;
		bpf_map_delete_elem(&nt_skbs, &key);
		st = NULL;
	}
	/* untraced skbs are rechecked too: an address freed without a free
	 * probe (TCP) and reused by a packet the filter wants must not stay
	 * filtered out; a header-less one is rechecked everywhere */
	if (st && !st->hdrless && !(flags & NT_TRACK_RECHECK) &&
	    !((flags & NT_TRACK_HDRS) && st->nohdr && !st->match)) {
		if (st->shed)
			nt_shed_event();
		nt_dev_check(st, skb, func_id);
		return st->match;
	}
	if (!st && !nt_maybe_packet(skb, flags))
		return 0;
	if (nt_off)
		return 0; /* stopped: nothing is recorded */
	__builtin_memset(m, 0, sizeof(*m));
	nt_fill_hdr(&m->h, NT_EV_META, 0, func_id, key);
	l3 = nt_skb_meta_fill(skb, m);
	ids.sig = nt_meta_sig(m); /* once: M is read-only from here */
	ids.ident = nt_meta_ident(m);
	ids.dident = nt_dgram_ident(m);
	/* looked up again: no map pointer (or its absence) lives across the
	 * header parsing, so the verifier follows the parsing once, not once
	 * for a known skb and once for a new one */
	st = bpf_map_lookup_elem(&nt_skbs, &key);
	if (st && l3 != NT_L3_NONE)
		st->nohdr = 0; /* decided on headers from now on */
	/* the filter's only call (one filter slot per program), where it may
	 * decide: a first sight with headers; a known skb whose headers changed
	 * that is pending (headers now built), untraced (NAT) or another packet
	 * on the address (its identity changed) */
	if (l3 == NT_L3_NONE)
		fm = 0;
	else if (!st)
		fm = !(flags & NT_TRACK_LINKONLY);
	else if (st->hdrless)
		fm = st->sig != ids.sig && st->match == NT_MATCH_PENDING;
	else if (!st->match)
		fm = st->sig != ids.sig || m->ifindex != st->ifindex || m->netns != st->netns;
	else
		fm = st->sig != ids.sig && st->ident != ids.ident;
	if (fm) {
		fm = nt_filter_match(skb, m);
		nt_forget(skb); /* conntrack, bytes: a new packet here */
	} else {
		fm = 1;
	}
	if (st) {
		r = nt_recheck(skb, func_id, st, m, fm, &ids, &emit);
		/* a shed packet's hop (or the first of a new one shed here) */
		if (!r && st->shed)
			nt_shed_event();
	} else {
		r = nt_first(skb, func_id, flags, m, fm, &ids, &emit);
	}
	/* the one emission point of META: last, as where it was decided */
	if (emit)
		nt_meta_emit(skb, m);
	return r;
}

/* Forget SKB (freed; the caller emitted its DROP / FREE): its address may be
 * reused by another packet, its data buffer too once no skb holds it. */
static __always_inline void nt_untrack(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);

	if (!st)
		return;
	if (st->match)
		nt_head_release(skb, st);
	if (nt_valve_ended) { /* --max-events-per-s, function probes: see valve.bpf.h */
		st->match = NT_MATCH_NO;
		st->shed = 0;
		st->ended = 1;
		return;
	}
	bpf_map_delete_elem(&nt_skbs, &key);
}

/* The common path of every skb probe (program context CTX): track (filter,
 * metadata) then FUNC (+ its STACKREF with --stack all). */
/* Bench (keep.bpf.h nt_floor): 1 when the program stops here (after SKB's
 * state lookup at NT_FLOOR_LOOKUP). */
static __always_inline int nt_floor_stop(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;

	if (nt_floor == NT_FLOOR_LOOKUP && skb)
		bpf_map_lookup_elem(&nt_skbs, &key);
	return nt_floor == NT_FLOOR_ATTACH || nt_floor == NT_FLOOR_LOOKUP;
}

static __always_inline void nt_hit(void *ctx, struct sk_buff *skb, __u32 func_id, __u32 track_flags)
{
	if (!skb || nt_floor_stop(skb))
		return;
	if (!nt_track(skb, func_id, track_flags))
		return;
	nt_emit_simple(NT_EV_FUNC, 0, func_id, (__u64)skb);
	nt_stack_hit(ctx, (__u64)skb, func_id);
	nt_ct_hit(skb, func_id);
}

#endif
