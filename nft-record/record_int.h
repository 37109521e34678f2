/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_int.h - state of one recording, shared by the recorder core's files
 * (private to nft-record/record*.c):
 *   record.c        nt_record_run(): the phases in order
 *   record_setup.c  setup: checks, namespaces, filter, functions, BPF object,
 *                   attach, teardown
 *   record_meta.c   metadata blocks: HEADER, FUNCS, KSYMS, the snapshots, TRAILER
 *   record_loop.c   the epoll loop: ring buffer, trace sockets, correlation,
 *                   merge queue (mergeq.c), losses, status line, consumers
 */
#ifndef NT_RECORD_INT_H
#define NT_RECORD_INT_H

#include <signal.h>
#include <stdint.h>

#include "common/kallsyms.h"
#include "formats/logw.h"
#include "nft-discover/discover.h"
#include "nft-record/attach.h"
#include "nft-record/backend.h"
#include "nft-record/capfilter.h"
#include "nft-record/corr.h"
#include "nft-record/hostid.h"
#include "nft-record/kstacks.h"
#include "nft-record/keep.h"
#include "nft-record/mergeq.h"
#include "nft-record/netns.h"
#include "nft-record/nftrace.h"
#include "nft-record/record.h"
#include "nft-record/rotate.h"
#include "nft-record/rulewatch.h"
#include "nft-record/ringrd.h"

#define DEFAULT_MAX_FUNCS 50
#define DEFAULT_RINGBUF (8u << 20)
#define KSYM_SET_BITS 13
#define KSYM_PENDING 512
#define PKT_SET_BITS 16
#define MAX_CPUS 1024
#define NT_STACK_MAP_ENTRIES 4096  /* distinct stacks of a recording (--stack) */

#define MERGEQ_LEN 32768           /* records waiting for the merge (10 MB: 304-byte slots) */
/* A record is in the ring within microseconds of its time stamp (the BPF
 * program reserves, stamps and commits it at once), so once the ring has been
 * read to its end every CPU has delivered what it stamped before the read
 * began - up to this slack (a program interrupted between stamp and commit). */
#define WATERMARK_SLACK_NS (2ull * 1000 * 1000)

struct rec {
	const struct nt_record_opts *o;
	struct nt_bpf *skel;
	struct nt_ringrd *ring;
	struct ntl_writer *w;
	struct nt_netns ns[NT_MAX_NETNS + 1];
	int nns;
	struct nt_nftrace tr[NT_MAX_NETNS + 1];
	int ntr;
	struct nt_chains *chains;
	struct nt_corr *corr;
	struct nt_capfilter flt;
	const struct nt_backend *fb;     /* function backend or NULL */
	struct nt_funcs all, sel;
	int sel_shallow;                 /* sel.v is a shallow copy of all.v entries */
	struct nt_ksyms *ksyms;
	uint64_t ksym_set[1u << KSYM_SET_BITS];
	uint64_t ksym_pending[KSYM_PENDING];
	int nksym_pending;
	uint64_t pkt_set[1u << PKT_SET_BITS];
	uint64_t packets, events, bpf_events, write_errors;
	uint64_t lost_rb[MAX_CPUS];      /* per CPU, last written: ring buffer records */
	uint64_t lost_nl[MAX_CPUS];      /* per CPU, last written: nftrace messages */
	uint64_t lost_st[MAX_CPUS];      /* per CPU, last written: kernel stacks (--stack) */
	uint64_t lost_rb_total, lost_nl_total, lost_st_total;
	uint64_t probe_miss, probe_miss_base; /* BPF runs the kernel skipped (probemiss.h): last read, file start */
	uint64_t cnt_written[NT_CNT_SHED_EVENTS + 1]; /* COUNT counters (NT_CNT_*), last written */
	uint64_t nlmsgs, nlmsg_bad;      /* nftrace messages from the ring, unparsable */
	uint64_t progress;               /* every source delivered what is older */
	uint32_t alloc_func_id;          /* FUNCS id of the allocator probes (function mode) */
	int ncpus;
	uint64_t start_ns, end_ns;
	uint64_t rec_ns;            /* end of the attach: the recording proper starts */
	int max_eff;                /* function limit applied (0 = none) */
	uint64_t bpf_rules;         /* nft rule steps from the BPF probes */
	char out_path[512];
	int err;                         /* first fatal error in a callback */
	int hook_stop;                   /* a consumer asked to stop */
	int status_tty;
	struct nt_attach_report rep_tp, rep_fn;
	char backend_why[600];
	uint64_t unknown_chain_refresh_ns;
	struct nt_mergeq mq;
	struct nt_kstacks stk;           /* --stack (kstacks.c) */
	uint32_t stack_entries;          /* size of the BPF stack map */
	char own_table[NT_NAME_LEN];
	size_t nreasons;
	int nft_listen;
	/* host identity and the last clock reference written (HEADER / CLOCK) */
	struct nt_hostid host;
	uint64_t clock_mono, clock_real;
	struct nt_keep *keep;              /* --keep, NULL = every record */
	struct nt_reorder *keep_ro;        /* --keep: the analyzer's reorder window before it */
	uint64_t keep_ro_nomem, keep_ro_written; /* records the window could not take (LOSS user) */
	struct nt_keep_expr keep_expr;     /* netns names resolved */
	uint64_t keep_written[4];          /* keep counters last written */
	uint64_t keep_base[4], keep_ro_base; /* their values when the current file began */
	int kkeep;                         /* --keep decided in the kernel (bpf/keep.bpf.h) */
	uint64_t kkeep_cnt[6];             /* its per-CPU counters, summed (NT_KC_*) */
	uint64_t kkeep_aged;               /* its buffers replayed from user space (never ended) */
	uint64_t kkeep_cut;                /* records cut from the buffers handed to user space */
	void *kkeep_slots;                 /* its buffers, mapped (nt_record_keep_loaded) */
	/* --rotate (record_rotate.c): counters of the current file start at these */
	struct nt_rotor rot;
	int rotating;
	uint64_t lost_rb_base[MAX_CPUS], lost_nl_base[MAX_CPUS], lost_st_base[MAX_CPUS];
	uint64_t files_done, files_removed;
	/* --max-events-per-s (record_valve.c): packets [0] and events [1] shed,
	 * summed over CPUs: last read, value when the file began (cnt_written: last written) */
	uint64_t shed[2], shed_base[2];
	uint64_t valve_cpu_rate;         /* events/s per CPU (BPF nt_valve_rate) */
	/* ruleset changes during the recording (record_rules.c) */
	struct nt_rulewatch rw;
	int rw_on;
	uint64_t rw_change_ns, rw_retry_ns, rw_snapshots, rw_failed;
	int debug_ring;                  /* NT_DEBUG_RING set */
};

extern volatile sig_atomic_t nt_record_stop_sig;

uint64_t nt_mono_ns(void);
void nt_record_say(const struct rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* record_setup.c: NT_EXIT_* codes, messages printed */
int nt_record_setup(struct rec *r);
int nt_record_attach(struct rec *r);
void nt_record_teardown(struct rec *r);

/* record_meta.c */
int nt_record_write_text(struct rec *r, uint16_t type, char *s);   /* takes s */
void nt_record_ksym_note(struct rec *r, uint64_t addr);
int nt_record_write_ksyms(struct rec *r, int initial);
int nt_record_metadata(struct rec *r);     /* every block before the records */
int nt_record_trailer(struct rec *r, int clean, const struct nt_corr_stats *cs);
/* A CLOCK block when FORCE, a minute after the last clock reference, or when
 * the realtime - monotonic offset moved by more than 1 ms (clock step). */
int nt_record_write_clock(struct rec *r, int force);

/* record_loop.c */
int nt_record_emit(void *ctx, const void *rec, size_t len);
int nt_record_corr_emit(void *ctx, const void *rec, size_t len);
int nt_record_corr_chain(void *ctx, uint32_t netns, uint8_t family, const char *table,
			 const char *chain, struct nt_ev_nft_chaindef *def);
int nt_record_on_ring_event(void *ctx, void *data, size_t size);
uint64_t nt_record_stacks_lost(struct rec *r);
int nt_record_pump(struct rec *r, int final);
void nt_record_write_counters(struct rec *r, int force);
void nt_record_write_losses(struct rec *r, int force); /* counters + merge queue out (--rotate) */
int nt_record_loop(struct rec *r);

/* record_valve.c: --max-events-per-s */
void nt_record_valve_setup(struct rec *r);      /* before the BPF object loads */
/* record_loop.c: a COUNT record when the counter changed (or at the end) */
void nt_record_write_count(struct rec *r, uint32_t counter, uint64_t value, uint64_t ts, int force);
void nt_record_valve_counts(struct rec *r, uint64_t ts, int force);
void nt_record_valve_rotated(struct rec *r);
void nt_record_valve_summary(const struct rec *r);

/* record_rules.c: a RULESET snapshot when rules or chains change */
void nt_record_rules_open(struct rec *r);
void nt_record_rules_close(struct rec *r);
char *nt_record_rules_stamp(char *rs, uint64_t mono_ns, uint64_t generation); /* takes rs */
int nt_record_rules_check(struct rec *r, uint64_t now);
void nt_record_rules_summary(const struct rec *r);

/* record_keep.c */
int nt_record_sorted_emit(void *ctx, const void *rec, size_t len);
int nt_record_keep_setup(struct rec *r);
void nt_record_keep_counts(struct rec *r, int force);
void nt_record_keep_finish(struct rec *r);
void nt_record_keep_free(struct rec *r);
void nt_record_keep_rotated(struct rec *r);
void nt_record_keep_bpf(struct rec *r); /* before the BPF object loads */
void nt_record_keep_fetch(struct rec *r, const struct nt_ev_hdr *h);
int nt_record_keep_loaded(struct rec *r);
int nt_record_keep_refused(struct rec *r, int err); /* 0: load again without it */
int nt_record_keep_nft_failed(struct rec *r, const char *what); /* 0: load again without it */

/* record_rotate.c */
int nt_record_rotate_init(struct rec *r, const char *default_name);
int nt_record_rotate(struct rec *r, uint64_t now);
int nt_record_rotate_check(struct rec *r, uint64_t now);
void nt_record_rotate_summary(const struct rec *r);

#endif
