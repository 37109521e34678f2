/* SPDX-License-Identifier: GPL-2.0 */
/* evcode2.h - EVENTS block coding 2 (FORMAT.md "EVENTS coding 2"): byte
 * planes, a move-to-front table of skb ids and record bodies coded against
 * the previous body of the same type and skb.  Private to logw.c / logr.c. */
#ifndef NT_EVCODE2_H
#define NT_EVCODE2_H

#include <stddef.h>
#include <stdint.h>

#define NTL_EV_CODING2 2
#define NTL_EV_CODING3 3 /* coding 2 with timestamps in clock ticks (formats/evts3.h) */
#define NTL_C2_SLOTS 64   /* skb move-to-front table size (index 255 = a new skb) */
#define NTL_C2_NEW 255
#define NTL_C2_SLOT_TYPES 32 /* types 0..31 remember their latest body per skb */
#define NTL_C3_TIDS 16384    /* coding 3: (skb, chain) -> trace id table */

/* State of one block's coding (reset per block: every block decodes on its
 * own).  About 210 KiB: allocated zeroed once per writer / reader. */
struct ntl_c2_state {
	uint64_t skb[NTL_C2_SLOTS];
	uint8_t order[NTL_C2_SLOTS];     /* slot ids, most recent first */
	unsigned int nslots;
	uint32_t last[NTL_C2_SLOTS][NTL_C2_SLOT_TYPES]; /* per slot and type: body offset + 1 (0 = none) */
	uint32_t any[256];                /* per type: latest body offset + 1 */
	/* coding 3: the trace id of the latest NFT_RULE of an (skb, chain key)
	 * in the block (direct-mapped by a hash of the pair, which also gives
	 * the entry's check value; an entry is valid when its gen is the
	 * block's) */
	struct {
		uint32_t check, tid, gen;
	} tids[NTL_C3_TIDS];
	uint32_t gen;
	/* the reader's: a block's record bodies as rows of deltas (malloc'd,
	 * free() it with the state) */
	uint8_t *drows;
	size_t drows_cap;
	/* the writer's, kept across blocks (each block stores its own) */
	uint64_t tick;                    /* coding 3: clock tick period found (32.32 ns), 0 none yet */
	unsigned int tick_tries;          /* blocks searched for it */
};

/* Bytes coding 2 or 3 may need for ROWS_LEN bytes of N records (output
 * bound; coding 3: 11 + 8 (new skb) + 61 / 8 (extra bits) + 1 per record) */
static inline size_t ntl_c2_bound(size_t rows_len, size_t n)
{
	return rows_len + 4 * n + 2 + 2 * 255 + 20 + 64;
}

/* Write the coding 2 payload of N records (ROWS: records back to back, as
 * the writer appended them; sizes as this tree's nt_ev_size()) into OUT
 * (ntl_c2_bound() bytes).  Returns the payload length. */
size_t ntl_c2_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
		     struct ntl_c2_state *st);

/* The same in coding 3 (FORMAT.md "EVENTS coding 3"); ST also keeps the
 * clock's tick period found in an earlier block. */
size_t ntl_c3_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
		     struct ntl_c2_state *st);

/* Decode the coding 2 columns IN (LEN bytes, after the type table; SIZE:
 * record size per type, 0 absent, 0xFFFF variable) into the records
 * themselves in *OUT (grown with realloc, *CAP bytes): every record whole
 * (absolute ts_ns and skb, its body as the block's type table sizes it),
 * starting at a multiple of 8 bytes (the bytes up to it zero), in order.
 * Returns 0 with *ROWS_LEN (bytes), *NREC (records) and *NVAR (records of
 * variable size among them) set, or -1 with WHY
 * set (static text) when the columns are inconsistent. */
int ntl_c2_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **out,
		  size_t *cap, size_t *rows_len, uint32_t *nrec, uint32_t *nvar,
		  struct ntl_c2_state *st, const char **why);
/* ... of coding 3 */
int ntl_c3_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **out,
		  size_t *cap, size_t *rows_len, uint32_t *nrec, uint32_t *nvar,
		  struct ntl_c2_state *st, const char **why);

#endif
