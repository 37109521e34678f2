// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - the recorder core: one recording, phase by phase (record.h):
 *   setup     checks, namespaces, filter, functions, BPF object, log file
 *             (record_setup.c)
 *   metadata  HEADER, FUNCS, KSYMS, RULESET, IFACES, DROP_REASONS (record_meta.c)
 *   attach    correlation, ring buffer, probes, nftrace tables (record_setup.c)
 *   loop      records until stopped (record_loop.c)
 *   trailer   drain, TRAILER, summary; then teardown
 * What consumes the records live (--stream, --serve) is a struct
 * nt_record_hooks client; the core knows nothing else of it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common/bpf_shared.h"
#include "nft-record/record_int.h"
#include "nt.skel.h"

volatile sig_atomic_t nt_record_stop_sig;

uint64_t nt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void nt_record_say(const struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	nt_record_stop_sig = sig;
}

/* Phase 5: the programs record nothing more (nt_off); drain what is in
 * flight and close the log now, detach afterwards (teardown): the log is
 * whole while thousands of fentry trampolines take minutes to go.  LOOP_ERR:
 * what the loop returned. */
static int finish(struct rec *r, int loop_err)
{
	const struct nt_record_opts *o = r->o;
	struct nt_corr_stats cs;
	int ret;

	if (!r->w) { /* --rotate could not open the next file (said): nothing to close */
		r->skel->bss->nt_off = 1;
		return NT_EXIT_RUNTIME;
	}
	r->skel->bss->nt_off = 1;
	usleep(20000); /* records reserved before the flag get committed */
	nt_record_pump(r, 1);
	for (int i = 0; i < r->ntr; i++)
		nt_nftrace_close(&r->tr[i]);
	nt_record_write_counters(r, 1);
	nt_mergeq_out(&r->mq, UINT64_MAX);
	nt_record_keep_finish(r);
	nt_record_rotate_summary(r);
	nt_record_write_ksyms(r, 0);
	nt_record_write_clock(r, 1);
	r->end_ns = nt_mono_ns();
	nt_corr_get_stats(r->corr, &cs);
	if (r->status_tty)
		fprintf(stderr, "\r\033[K");
	ret = nt_record_trailer(r, loop_err == 0 && !r->err, &cs);
	if (ret)
		return ret;
	if (o->hooks && o->hooks->progress) {
		struct stat st;
		struct nt_record_progress p = {
			.events = r->events, .packets = r->packets, .lost_ringbuf = r->lost_rb_total,
			.lost_nftrace = r->lost_nl_total, .done = 1,
		};

		if (!stat(r->out_path, &st))
			p.output_bytes = st.st_size;
		o->hooks->progress(o->hooks->ctx, &p);
	}
	if (!o->quiet) {
		struct stat st;
		double secs = (r->end_ns - r->rec_ns) / 1e9;
		char filtered[128] = "";

		if (cs.filtered || cs.unmatched) /* not written: no packet --filter kept */
			snprintf(filtered, sizeof(filtered), ", %llu of packets %s left out, %llu unmatched",
				 (unsigned long long)cs.filtered,
				 o->max_events_per_s ? "--filter / --max-events-per-s" : "--filter",
				 (unsigned long long)cs.unmatched);

		stat(r->out_path, &st);
		fprintf(stderr,
			"nft-record: %llu events (%.0f/s), %llu packets, %llu nft trace steps (%llu from BPF, %llu unmatched%s), lost %llu (ring %llu, nftrace ring %llu), %llu late, %lld bytes, %.1f s -> %s\n",
			(unsigned long long)r->events, secs > 0 ? r->events / secs : 0,
			(unsigned long long)r->packets, (unsigned long long)(cs.rules + r->bpf_rules),
			(unsigned long long)r->bpf_rules, (unsigned long long)cs.uncorrelated, filtered,
			(unsigned long long)(r->lost_rb_total + r->lost_nl_total),
			(unsigned long long)r->lost_rb_total, (unsigned long long)r->lost_nl_total,
			(unsigned long long)r->mq.late, (long long)st.st_size, secs, r->out_path);
		nt_record_valve_summary(r);
		if (r->probe_miss)
			fprintf(stderr, "nft-record: the kernel skipped %llu runs of the probes (a probe already running on the CPU): hops or nft steps of traced packets may be missing (LOSS probe)\n",
				(unsigned long long)r->probe_miss);
		nt_record_rules_summary(r);
		if (o->stack_mode != NT_STACK_OFF)
			fprintf(stderr, "nft-record: kernel stacks: %llu distinct, lost %llu, unreadable %llu\n",
				(unsigned long long)r->stk.stored,
				(unsigned long long)nt_record_stacks_lost(r),
				(unsigned long long)r->stk.unreadable);
	}
	if (loop_err || r->err) {
		fprintf(stderr, "nft-record: stopped on error: %s\n",
			r->err ? "writing the log failed" : strerror(-loop_err));
		return NT_EXIT_RUNTIME;
	}
	return NT_EXIT_OK;
}

int nt_record_run(const struct nt_record_opts *o)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	if (!r) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	r->o = o;
	nt_hostid_read(&r->host, o->host_label, NULL, NULL);
	ret = nt_record_setup(r);
	if (!ret) {
		nt_record_rules_open(r); /* rule changes from the first snapshot on */
		ret = nt_record_metadata(r);
	}
	if (!ret) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		ret = nt_record_attach(r);
	}
	if (!ret)
		ret = finish(r, nt_record_loop(r));
	if (r->w)
		ntl_writer_abort(r->w);
	nt_record_rules_close(r);
	nt_record_teardown(r);
	free(r);
	return ret;
}
