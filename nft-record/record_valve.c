// SPDX-License-Identifier: GPL-2.0
/* record_valve.c - `nft-record --max-events-per-s N`, the safety valve, in the
 * recorder core.  The kernel side sheds whole packets (bpf/valve.bpf.h, token
 * bucket common/valve.h): each CPU's bucket fills at N / (online CPUs) events
 * per second.  Here: that rate into the BPF object, and the exact counts of
 * what was shed (per-CPU map nt_shed, summed) into the log as COUNT records
 * 7 (packets shed) and 8 (their probe hits, events shed), cumulative per file
 * (--rotate: every file counts from 0), and into the summary. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common/valve.h"
#include "nft-record/record_int.h"
#include "nt.skel.h"

void nt_record_valve_setup(struct rec *r)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (!r->o->max_events_per_s)
		return;
	r->valve_cpu_rate = nt_valve_cpu_rate(r->o->max_events_per_s, online > 0 ? (int)online : 1);
	r->skel->rodata->nt_valve_rate = r->valve_cpu_rate;
	/* function probes see a packet's free path after its end (bpf/valve.bpf.h) */
	r->skel->rodata->nt_valve_ended = r->fb != NULL;
}

/* nt_shed[K] summed over CPUs; 0 when unreadable */
static uint64_t shed_sum(struct rec *r, uint32_t k)
{
	static uint64_t vals[MAX_CPUS];
	uint64_t sum = 0;

	if (bpf_map__lookup_elem(r->skel->maps.nt_shed, &k, sizeof(k), vals,
				 sizeof(uint64_t) * r->ncpus, 0))
		return r->shed[k];
	for (int c = 0; c < r->ncpus; c++)
		sum += vals[c];
	return sum;
}

/* COUNT records of the shed counters that changed (every nonzero one with
 * FORCE), through the merge queue like every record. */
void nt_record_valve_counts(struct rec *r, uint64_t ts, int force)
{
	static const uint32_t ids[2] = { NT_CNT_SHED, NT_CNT_SHED_EVENTS };

	if (!r->o->max_events_per_s || !r->skel)
		return;
	for (uint32_t k = 0; k < 2; k++) {
		r->shed[k] = shed_sum(r, k);
		nt_record_write_count(r, ids[k], r->shed[k] - r->shed_base[k], ts, force);
	}
}

/* --rotate: the next file counts from 0 */
void nt_record_valve_rotated(struct rec *r)
{
	memcpy(r->shed_base, r->shed, sizeof(r->shed_base));
	r->cnt_written[NT_CNT_SHED] = r->cnt_written[NT_CNT_SHED_EVENTS] = 0;
}

void nt_record_valve_summary(const struct rec *r)
{
	if (r->o->max_events_per_s)
		nt_record_say(r, "nft-record: --max-events-per-s %llu (%llu per CPU): shed %llu packets, %llu events\n",
			      (unsigned long long)r->o->max_events_per_s,
			      (unsigned long long)r->valve_cpu_rate, (unsigned long long)r->shed[0],
			      (unsigned long long)r->shed[1]);
}
