// SPDX-License-Identifier: GPL-2.0
/* record_rotate.c - `nft-record --rotate SIZE / --rotate-every DURATION /
 * --max-files N` in the recorder core (policy and names: rotate.c).  When the
 * current file is due, it gets its last counters, symbols, stacks and clock
 * reference and its TRAILER; the next file of the set is opened and gets
 * every metadata block again (HEADER with "rotation": {"set", "seq"}, FUNCS,
 * KSYMS, a new RULESET / IFACES / DROP_REASONS snapshot, the chain
 * definitions again as they are used), so any one file is analyzable alone.
 * Loss and COUNT counters start at 0 in every file (model/logset.c adds them
 * up over a set).  With --max-files the oldest file of this recorder's own
 * set is removed once the new one is whole. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nft-record/record_int.h"
#include "nft-record/snapshot.h"
#include "nt.skel.h"

int nt_record_rotate_init(struct rec *r, const char *default_name)
{
	const struct nt_record_opts *o = r->o;
	struct nt_rotate_opts ro = { .size = o->rotate_size, .every_ns = o->rotate_every_ns,
				     .max_files = o->max_files };
	int e;

	r->rotating = o->rotate_size || o->rotate_every_ns;
	if (!r->rotating)
		return 0;
	e = nt_rotor_init(&r->rot, &ro, o->output, default_name, NULL);
	if (e) {
		fprintf(stderr, "nft-record: --rotate: no random set id: %s\n", strerror(-e));
		return NT_EXIT_RUNTIME;
	}
	nt_rotor_next_path(&r->rot, r->out_path, sizeof(r->out_path));
	return 0;
}

/* The BPF side's chain definitions already emitted (function probes): forgotten,
 * so the new file gets them again. */
static void forget_bpf_chains(struct rec *r)
{
	int fd = r->skel ? bpf_map__fd(r->skel->maps.nt_nft_chains) : -1;
	uint64_t key, next;

	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

/* Close the current file and open the next one of the set.  NT_EXIT_*. */
int nt_record_rotate(struct rec *r, uint64_t now)
{
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = r->o->force, .block_bytes = 512 << 10 };
	struct nt_chains *old_chains;
	struct nt_corr_stats cs;
	const char *gone;
	int ret;

	/* the file's last counters, symbols, stacks, clock; its TRAILER */
	nt_record_write_losses(r, 1);
	nt_record_keep_counts(r, 1);
	nt_record_write_ksyms(r, 0);
	if (nt_kstacks_flush(&r->stk, r->w) && !r->err)
		r->err = -EIO;
	nt_record_write_clock(r, 1);
	r->end_ns = now;
	nt_corr_get_stats(r->corr, &cs);
	ret = nt_record_trailer(r, !r->err, &cs);
	if (ret)
		return ret;
	/* the next file counts from 0 and names everything again */
	memcpy(r->lost_rb_base, r->lost_rb, sizeof(r->lost_rb_base));
	memcpy(r->lost_nl_base, r->lost_nl, sizeof(r->lost_nl_base));
	memcpy(r->lost_st_base, r->lost_st, sizeof(r->lost_st_base));
	r->probe_miss_base = r->probe_miss;
	nt_record_valve_rotated(r);
	nt_record_keep_rotated(r);
	memset(r->ksym_set, 0, sizeof(r->ksym_set));
	r->nksym_pending = 0;
	if (r->stk.seen)
		memset(r->stk.seen, 0, (r->stk.max + 7) / 8);
	nt_corr_forget_chains(r->corr);
	forget_bpf_chains(r);
	nt_rotor_next_path(&r->rot, r->out_path, sizeof(r->out_path));
	if (ntl_writer_open(&r->w, r->out_path, &wo)) {
		fprintf(stderr, "\nnft-record: --rotate: %s\n", ntl_writer_open_error());
		return NT_EXIT_RUNTIME;
	}
	gone = nt_rotor_opened(&r->rot, now);
	r->start_ns = now;
	old_chains = r->chains;
	ret = nt_record_metadata(r); /* a new ruleset snapshot replaces the chain table */
	if (r->chains != old_chains)
		nt_chains_free(old_chains);
	if (ret) { /* said; a file without its metadata is not left as a log of the set */
		ntl_writer_abort(r->w);
		r->w = NULL;
		unlink(r->out_path);
		fprintf(stderr, "nft-record: --rotate: %s removed; the set ends with the file before\n",
			r->out_path);
		return ret;
	}
	if (gone) {
		if (unlink(gone) && errno != ENOENT)
			fprintf(stderr, "\nnft-record: --max-files: cannot remove %s: %s\n", gone, strerror(errno));
		else
			r->files_removed++;
	}
	r->files_done++;
	return 0;
}

void nt_record_rotate_summary(const struct rec *r)
{
	if (r->rotating)
		nt_record_say(r, "nft-record: rotation set %s: files %llu..%llu written, %llu removed (--max-files)\n",
			      r->rot.set, (unsigned long long)(r->files_removed + 1),
			      (unsigned long long)r->rot.seq, (unsigned long long)r->files_removed);
}

/* The loop's check (every pass): NT_EXIT_* or 0. */
int nt_record_rotate_check(struct rec *r, uint64_t now)
{
	if (!r->rotating || !r->w || !nt_rotor_due(&r->rot, ntl_writer_bytes(r->w), now))
		return 0;
	return nt_record_rotate(r, now);
}
