/* SPDX-License-Identifier: GPL-2.0 */
/* model_int.h - the model's state, shared by model.c (packets, records) and
 * model_meta.c (metadata blocks, lookups).  Private to model/. */
#ifndef NT_MODEL_INT_H
#define NT_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "model/model.h"
#include "model/u64map.h"

#define MAX_FUNC_ID (1u << 20)       /* FUNCS entries with larger ids are ignored */
#define FUNC_DENSE_MIN 4096           /* ids below max(this, 2 x FUNCS entries): direct table */
#define MAX_UNKNOWN_FUNCS 4096        /* record ids missing from FUNCS named "func#N"; more: "func#?" */
#define MAX_DROP_REASON 4096
#define NT_NFPROTO_INET 1
#define NT_META_KINDS 32                /* metadata block types counted apart (larger: the last) */
#define NT_LRU_NONE UINT32_MAX

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct ksym {
	uint64_t addr;
	uint64_t size;               /* KSYMS "size" (0: unknown) */
	const char *name;
};

#define NOPKT UINT32_MAX
struct nt_model;
/* skbvec.c: the skb states of each packet */
void skv_add(struct nt_model *m, struct nt_packet *p, uint32_t idx);
void skv_move(struct nt_model *m, struct nt_packet *p, struct nt_packet *q);
/* mergerec.c: B's kept records into A's (time order) */
void merge_records(struct nt_model *m, struct nt_packet *a, const struct nt_packet *b);

/* State of one live skb (model.c). */
struct skbst {
	uint64_t skb;
	uint32_t pkt;            /* its packet's slot; NOPKT: none yet (only waiting steps) */
	uint32_t pkt_gen;        /* that slot's gen when attached (stale when it differs) */
	uint32_t ifindex, netns; /* device / namespace it is on (META, DEV) */
	uint64_t last_ts;
	int has_meta, is_frag, was_frag;
	struct nt_ev_meta meta;  /* its latest META */
	uint8_t *pend;           /* nftables trace records waiting for its next kernel record */
	uint32_t pend_len, pend_cap;
	int reuse;               /* an inferred free waits for the next record */
	struct nt_ev_free reuse_rec;
};

/* A skb freed a moment ago (model.c): records of its freeing that come after
 * the free record (function mode: skb_release_data, kfree_skbmem ... after
 * skb:consume_skb) and the recorder's META of the same packet are not a new
 * packet on the address. */
#define FREED_RING 4096
#define FREED_NS (10ull * 1000 * 1000) /* 10 ms */
/* A packet that ended before its skb's memory was freed (a drop, consume_skb,
 * a free-role function ahead of kfree_skbmem) in a log that traces
 * kfree_skbmem: until that record the address cannot hold another skb, so its
 * records (and the recorder's META of the same packet) belong to that free
 * however late they come (QEMU TCG: 15 ms seen between skb:kfree_skb and
 * skb_release_head_state); bounded by DYING_NS in case kfree_skbmem's record
 * is lost or the memory goes another way (the NAPI skb cache). */
#define DYING_NS (200ull * 1000 * 1000) /* 200 ms */
struct freed {
	uint64_t skb, ts;
	int dying;               /* its kfree_skbmem record is still to come */
	uint64_t id;             /* its packet's id and slot (a lingering packet, see below) */
	uint32_t slot;
	struct nt_ev_meta meta;
	int has_meta;
};

/* A packet whose last skb was freed while another skb still held its data
 * buffer (NT_F_SHARED: a ping / raw socket's clone no probe saw) lingers
 * LINGER_NS of record time before it completes: the clone, linked to the
 * freed skb (LINK kind head), joins it.  At most LINGER_MAX linger at once
 * (the oldest completes early). */
#define LINGER_MAX 4096
#define LINGER_NS (500ull * 1000 * 1000) /* 500 ms */
struct linger {
	uint64_t id, until;
	uint32_t slot;
};

/* A flow: packets of one 5-tuple and their replies (model.c). */
#define FLOW_KEYS 6
struct flow {
	uint64_t first_id;       /* id of its first packet; 0: free entry */
	uint64_t last_ts;
	uint64_t keys[FLOW_KEYS];
	uint32_t nkeys, next_free;
};

struct nt_model {
	struct nt_model_opts o;
	struct nt_model_totals t;
	struct arena_chunk *arena;
	/* functions: infos by slot (nt_func_info.slot); id -> slot + 1 through a
	 * direct table for ids < dense_max (sized by the FUNCS block), a hash
	 * for larger ids, so a hostile id costs one entry, not a table up to it */
	struct nt_func_info *funcs;
	uint32_t nfuncs, funcs_cap;
	uint32_t *by_id;
	uint32_t nby_id, dense_max;
	struct u64map func_sparse;   /* id + 1 -> slot */
	uint32_t nunknown;           /* "func#N" entries made for record ids */
	int32_t unknown_slot;        /* the shared "func#?" entry, -1 until needed */
	const char *layers[NT_MODEL_MAX_LAYERS];
	int nlayers;
	/* chains */
	struct nt_ev_nft_chaindef *chains;
	uint32_t nchains, chains_cap;
	struct u64map chain_map;     /* key -> index + 1 */
	/* ruleset: hash(netns,family,table,chain,handle) and hash(table,chain,handle) */
	const char **rule_texts;     /* versions of rule texts (meta_ruleset) */
	uint64_t *rule_from;         /* version valid from (RULESET "mono_ns") */
	uint32_t *rule_prev;         /* the rule's previous version, UINT32_MAX: none */
	uint32_t nrules, rules_cap;
	/* rule text lookups remembered (nt_model_rule_text_at): (chain, handle)
	 * -> version index; valid while rule_gen is the generation they were
	 * taken in (a chain defined, a rule version added: rule_gen++) */
	uint64_t rule_gen;
	struct { uint64_t chain_key, handle, gen; uint32_t v; } rule_memo[16];
	uint64_t rs_bytes;           /* bytes of the versions kept (strings limit) */
	struct u64map rule_exact, rule_loose;
	/* interfaces, drop reasons */
	struct u64map ifmap;         /* netns << 32 | ifindex -> string index */
	const char **strs;
	uint32_t nstrs, strs_cap;
	const char *reasons[MAX_DROP_REASON];
	cJSON *header;
	struct u64map nsmap;         /* netns inode -> string index (HEADER options.netns) */
	struct ksym *ksyms;          /* KSYMS blocks, sorted by address */
	uint32_t nksyms, ksyms_cap;
	/* packets */
	struct nt_packet *pool;
	uint32_t pool_len, pool_cap;
	uint32_t *free_slots;
	uint32_t nfree;
	struct u64map skb_map;       /* skb -> index in sk (struct skbst) */
	struct skbst *sk;            /* state of the live skbs */
	uint32_t nsk, sk_cap, sk_free; /* sk_free: first free entry + 1 (list through .pkt) */
	struct u64map frag_map;      /* fragment group key -> packet slot */
	struct u64map flow_map;      /* flow tuple key -> flow index << 1 | direction */
	struct flow *flows;
	uint32_t nflows, flows_cap, flow_free;
	int sockq_layer;             /* layer index of "Socket queue", -1 until used */
	struct freed *freed;         /* ring of FREED_RING recently freed skbs */
	uint32_t freed_next;
	struct u64map freed_map;     /* skb -> index in freed */
	int skbmem_traced;           /* FUNCS names kfree_skbmem (see DYING_NS) */
	uint32_t skbmem_id;          /* ... with this function id */
	struct linger *linger;       /* FIFO of LINGER_MAX lingering packets */
	uint32_t linger_head, linger_n;
	uint64_t linger_ts;          /* set while a NT_F_SHARED free ends an skb: its time */
	int64_t pending_release;     /* slot completed by the previous record, -1 none */
	uint64_t serial;             /* nt_model_serial() */
	int64_t cur;                 /* slot of the last record's packet, -1 none */
	uint64_t idle_ns;
	uint64_t next_sweep;         /* record time of the next expiry sweep */
	struct u64map loss_map;      /* (source, cpu, id) -> index in loss */
	uint64_t *loss;              /* last cumulative count per loss_map key */
	uint32_t nloss, loss_cap;
	uint64_t jcut_skb, jcut;     /* COUNT NT_CNT_KEEP_JCUT: for the next packet of that skb */
	/* limits (common/limits.h) and what they cost */
	struct nt_limits lim;
	int oom;                     /* an allocation failed */
	uint32_t lru_head, lru_tail; /* open packets, least recently active first */
	uint64_t nstale;             /* skb states naming a released slot (stale_add) */
	uint64_t kept_bytes;         /* capacity of the packets' record buffers */
	uint32_t meta_blocks[NT_META_KINDS];  /* metadata blocks seen per type */
	uint64_t meta_bytes[NT_META_KINDS];   /* bytes of metadata kept per type */
	uint64_t meta_bytes_total;
	uint64_t meta_hash[NT_META_KINDS];    /* of the last block of a replacing type */
	uint64_t meta_len[NT_META_KINDS];
	struct arena_chunk *rs_arena;         /* the rule texts of every RULESET version */
	struct arena_chunk *if_arena;         /* the IFACES names (replaced by the next) */
	const char **ifn;                     /* interface names (ifmap values index them) */
	uint32_t nifn, ifn_cap;
	struct nt_stacks *stk;       /* stacks.c: the STACKS blocks (NULL: none yet) */
	struct nt_ctconns *ctc;      /* ctconn.c: conntrack states per connection */
};

/* nt_model_oom() without a call (the walk asks it per record) */
static inline int md_oom(const struct nt_model *m)
{
	return m->oom;
}

/* The info of function ID when it is in the direct table and placed in a
 * layer (the common case, no call); NULL: func_layer_of_record() or
 * nt_model_func() decide. */
static inline const struct nt_func_info *md_func_placed(const struct nt_model *m, uint32_t id)
{
	const struct nt_func_info *f;

	if (id >= m->nby_id || !m->by_id[id])
		return NULL;
	f = &m->funcs[m->by_id[id] - 1];
	return f->layer >= 0 ? f : NULL;
}

/* model.c */
void model_pkt_complete(struct nt_model *m, struct nt_packet *p, int incomplete);
void model_pkt_release(struct nt_model *m, uint32_t slot);
/* linger.c */
int model_linger_start(struct nt_model *m, struct nt_packet *p);
void model_linger_expire(struct nt_model *m, uint64_t now);
struct nt_packet *model_linger_find(struct nt_model *m, uint64_t skb, uint64_t ts);
/* A copy of S in arena A; NULL when out of memory (M->oom set by the callers). */
const char *arena_strdup(struct arena_chunk **a, const char *s);
void arena_free(struct arena_chunk **a);
/* arena_strdup(), or "?" with m->oom set */
const char *model_strdup(struct nt_model *m, struct arena_chunk **a, const char *s);
int strs_add(struct nt_model *m, const char *s, uint32_t *idx);
/* stacks.c */
int stacks_meta(struct nt_model *m, const void *payload, size_t len);
void stacks_free(struct nt_model *m);
/* ctconn.c */
void ctconn_note(struct nt_model *m, const struct nt_packet *p, const struct nt_ev_ct *c);
void ctconn_free(struct nt_model *m);
/* model_meta.c */
int64_t func_of_record(struct nt_model *m, uint32_t id);
int func_layer_of_record(struct nt_model *m, uint32_t id);
int model_layer_intern(struct nt_model *m, const char *name);

#endif
