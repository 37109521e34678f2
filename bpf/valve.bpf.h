/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valve.bpf.h - the safety valve (`nft-record --max-events-per-s N`): load is
 * shed in the kernel by sampling whole packets.
 *
 * One token bucket per CPU (common/valve.h), filled at nt_valve_rate events
 * per second (N / online CPUs, set by user space; 0 = off: the verifier drops
 * every use).  Where a new packet is first tracked (core.bpf.h nt_first, and a
 * new packet on a reused address in nt_recheck) nt_valve_decide asks the
 * bucket of the CPU: admitted, the packet is traced whole; otherwise it is
 * remembered as shed (nt_skb_state.shed): never traced, its later hops cost a
 * map lookup and a counter, no ring record, and no later filter decision
 * takes it back (no half-recorded packets).  Every record submitted to the
 * ring costs one event of the CPU's bucket (nt_rb_flags).
 *
 * Counted exactly, per CPU (atomic adds: programs of one CPU may nest), read
 * by user space into COUNT records 7 (packets shed) and 8 (events shed: probe
 * hits of shed packets, each of which would have written at least one
 * record): nt_shed[0] packets, nt_shed[1] events.
 */
#ifndef NT_VALVE_BPF_H
#define NT_VALVE_BPF_H

#include "common/valve.h"

const volatile __u64 nt_valve_rate = 0; /* events/s per CPU, 0 = no valve */
/* With function probes (user space sets it with the valve): a packet ended by
 * consume_skb / kfree_skb keeps its state, marked ended, until its memory is
 * freed or reused (nt_end), so the probes of its free path (skb_release_data
 * ... kfree_skbmem) do not make it a new packet the valve decides on again. */
const volatile __u8 nt_valve_ended = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_valve_bucket);
} nt_valve SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} nt_shed SEC(".maps");

static __always_inline void nt_shed_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&nt_shed, &which);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* A probe hit of a shed packet (a record it did not write).  A subprogram:
 * its callers are many, its body dead code without the valve. */
static __noinline int nt_shed_event(void)
{
	if (nt_valve_rate)
		nt_shed_count(1);
	return 0;
}

/* A record went into the ring: one event of this CPU's bucket. */
static __always_inline void nt_valve_charge_cpu(void)
{
	__u32 k = 0;
	struct nt_valve_bucket *b;

	if (!nt_valve_rate)
		return;
	b = bpf_map_lookup_elem(&nt_valve, &k);
	if (b)
		nt_valve_charge(b);
}

/* A new packet first seen at NOW: 1 record it, 0 shed it (counted). */
static __always_inline int nt_valve_admit_cpu(__u64 now)
{
	__u32 k = 0;
	struct nt_valve_bucket *b;

	if (!nt_valve_rate)
		return 1;
	b = bpf_map_lookup_elem(&nt_valve, &k);
	if (!b || nt_valve_admit(b, now, nt_valve_rate))
		return 1;
	nt_shed_count(0);
	return 0;
}

#endif
