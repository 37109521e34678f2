// SPDX-License-Identifier: GPL-2.0
/* record_rules.c - a new RULESET snapshot inside the current file when rules
 * or chains change during a recording, so the rule text of the log always
 * matches the rules in force.  rulewatch.c listens to NFNLGRP_NFTABLES in every
 * recorded namespace and classifies the messages: changes of tables, chains,
 * rules, sets, objects or flowtables ask for a snapshot; set element updates
 * (fail2ban, kube-proxy) and the recorders' own nft_record_* tables do not.
 * Snapshots are rate-limited (NT_RULES_MIN_INTERVAL_NS, changes in between
 * coalesced).  Every RULESET block of the recorder carries "mono_ns" (valid
 * from: the first change it covers, the snapshot time for the first block of
 * a file) and "generation" (transactions with a change so far); readers apply
 * to each nft step the latest snapshot at or before its time
 * (model/model_meta.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-record/record_int.h"
#include "nft-record/snapshot.h"

#define NT_RULES_MIN_INTERVAL_NS 1000000000ull  /* at most one re-snapshot a second */
#define NT_RULES_RETRY_NS 200000000ull          /* a failed listing: again after this */

/* Before the first snapshot: changes from then on are seen.  A failure is
 * said in one line; the recording goes on with the rule text of its start. */
void nt_record_rules_open(struct rec *r)
{
	char err[300];

	if (nt_rulewatch_open(&r->rw, r->ns, r->nns, NT_TRACE_TABLE_PREFIX, NT_RULES_MIN_INTERVAL_NS,
			      err, sizeof(err))) {
		nt_rulewatch_close(&r->rw);
		fprintf(stderr, "nft-record: %s: rule changes during the recording will not be snapshotted\n",
			err);
		return;
	}
	r->rw_on = 1;
}

void nt_record_rules_close(struct rec *r)
{
	if (r->rw_on)
		nt_rulewatch_close(&r->rw);
	r->rw_on = 0;
}

/* RS (the snapshot's JSON object, malloc'ed) with "mono_ns" and "generation"
 * first; RS is freed.  NULL on failure. */
char *nt_record_rules_stamp(char *rs, uint64_t mono_ns, uint64_t generation)
{
	char head[96];
	size_t hl, rl;
	char *out;

	if (!rs || rs[0] != '{') {
		free(rs);
		return NULL;
	}
	hl = (size_t)snprintf(head, sizeof(head), "{\"mono_ns\":\"%llu\",\"generation\":%llu%s",
			      (unsigned long long)mono_ns, (unsigned long long)generation,
			      rs[1] == '}' ? "" : ",");
	rl = strlen(rs + 1);
	out = malloc(hl + rl + 1);
	if (out) {
		memcpy(out, head, hl);
		memcpy(out + hl, rs + 1, rl + 1);
	}
	free(rs);
	return out;
}

/* The loop's check (every pass): read the notifications; a snapshot when one
 * is due.  0, or a write error (the recording stops). */
int nt_record_rules_check(struct rec *r, uint64_t now)
{
	struct nt_chains *chains = NULL;
	char err[600], *rs;
	int pending = r->rw.st.struct_pending, e;

	if (!r->rw_on || !r->w)
		return 0;
	nt_rulewatch_read(&r->rw);
	if (!pending && r->rw.st.struct_pending)
		r->rw_change_ns = now; /* the first change the next snapshot covers */
	if (!nt_rw_due(&r->rw.st, now) || now < r->rw_retry_ns)
		return 0;
	rs = nt_snapshot_ruleset(r->ns, r->nns, NT_TRACE_TABLE_PREFIX, &chains, err, sizeof(err));
	if (!rs) { /* a listing fails while others change the ruleset: again soon */
		nt_chains_free(chains);
		r->rw_retry_ns = now + NT_RULES_RETRY_NS;
		r->rw_failed++;
		return 0;
	}
	e = nt_record_write_text(r, NTL_B_RULESET,
				 nt_record_rules_stamp(rs, r->rw_change_ns, r->rw.st.generation));
	if (e)
		return e;
	/* the chain table of the chain definitions follows the rules in force */
	if (chains) {
		nt_chains_free(r->chains);
		r->chains = chains;
	}
	nt_rw_snapshotted(&r->rw.st, now);
	r->rw_snapshots++;
	return 0;
}

void nt_record_rules_summary(const struct rec *r)
{
	if (r->rw_on && (r->rw_snapshots || r->rw_failed || r->rw.overruns))
		nt_record_say(r, "nft-record: ruleset changed during the recording: %llu new snapshots (generation %llu; %llu set element updates not snapshotted; %llu listings failed, %llu notification overruns)\n",
			      (unsigned long long)r->rw_snapshots,
			      (unsigned long long)r->rw.st.generation,
			      (unsigned long long)r->rw.st.elem_changes,
			      (unsigned long long)r->rw_failed, (unsigned long long)r->rw.overruns);
}
