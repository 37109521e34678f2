/* SPDX-License-Identifier: GPL-2.0 */
/* evcode2.h - EVENTS block coding 2 (FORMAT.md "EVENTS coding 2"): byte
 * planes, a move-to-front table of skb ids and record bodies coded against
 * the previous body of the same type and skb.  Private to logw.c / logr.c. */
#ifndef NT_EVCODE2_H
#define NT_EVCODE2_H

#include <stddef.h>
#include <stdint.h>

#define NTL_EV_CODING2 2
#define NTL_C2_SLOTS 64   /* skb move-to-front table size (index 255 = a new skb) */
#define NTL_C2_NEW 255
#define NTL_C2_SLOT_TYPES 32 /* types 0..31 remember their latest body per skb */

/* State of one block's coding (reset per block: every block decodes on its
 * own).  About 10 KiB: allocated once per writer / reader. */
struct ntl_c2_state {
	uint64_t skb[NTL_C2_SLOTS];
	uint8_t order[NTL_C2_SLOTS];     /* slot ids, most recent first */
	unsigned int nslots;
	uint32_t last[NTL_C2_SLOTS][NTL_C2_SLOT_TYPES]; /* per slot and type: body offset + 1 (0 = none) */
	uint32_t any[256];                /* per type: latest body offset + 1 */
};

/* Bytes coding 2 may need for ROWS_LEN bytes of N records (output bound). */
static inline size_t ntl_c2_bound(size_t rows_len, size_t n)
{
	return rows_len + n + 2 + 2 * 255 + 4 + 64;
}

/* Write the coding 2 payload of N records (ROWS: records back to back, as
 * the writer appended them; sizes as this tree's nt_ev_size()) into OUT
 * (ntl_c2_bound() bytes).  Returns the payload length. */
size_t ntl_c2_encode(const uint8_t *rows, uint32_t rows_len, uint32_t n, uint8_t *out,
		     struct ntl_c2_state *st);

/* Decode the coding 2 columns IN (LEN bytes, after the type table; SIZE:
 * record size per type, 0 absent, 0xFFFF variable) into the coding 1
 * columns (u32 N | type | flags | cpu | id | ts_delta | skb_xor | bodies)
 * in *OUT (grown with realloc, *CAP bytes).  Returns the coding 1 length, or
 * 0 with WHY set (static text) when the columns are inconsistent. */
size_t ntl_c2_decode(const uint8_t *in, size_t len, const uint16_t size[256], uint8_t **out,
		     size_t *cap, struct ntl_c2_state *st, const char **why);

#endif
