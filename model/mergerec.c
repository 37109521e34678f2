// SPDX-License-Identifier: GPL-2.0
/* mergerec.c - the kept records of a packet joining another (model.c's
 * pkt_merge: a fragment joining its datagram's journey).  Records that all
 * come after the journey's are appended to its buffer, which grows by
 * doubling; only records that interleave are merged into a new buffer.
 * Merging every time copied the journey's whole buffer per fragment: 20 k
 * fragments into one journey of 65536 kept records took 3 s of memmove
 * (issue #16). */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"

/* B's records after A's (A's last activity is not after B's first record). */
static void append(struct nt_model *m, struct nt_packet *a, const struct nt_packet *b)
{
	size_t need = a->ev_len + b->ev_len;

	if (need > a->ev_cap) {
		size_t cap = a->ev_cap ? a->ev_cap : 256;
		uint8_t *n;

		while (cap < need)
			cap *= 2;
		if (m->kept_bytes - a->ev_cap + cap > m->lim.max[NT_LIM_KEPT_BYTES])
			cap = need; /* fits: merge_records checked it */
		n = realloc(a->ev, cap);
		if (!n) {
			m->oom = 1;
			return;
		}
		m->kept_bytes += cap - a->ev_cap;
		a->ev = n;
		a->ev_cap = cap;
	}
	memcpy(a->ev + a->ev_len, b->ev, b->ev_len);
	a->ev_len = need;
	a->n_kept += b->n_kept;
	a->kept_last_ts = b->kept_last_ts > a->kept_last_ts ? b->kept_last_ts : a->kept_last_ts;
}

/* Records of A and B (each in time order) merged into A's buffer. */
void merge_records(struct nt_model *m, struct nt_packet *a, const struct nt_packet *b)
{
	uint8_t *n;
	size_t i = 0, j = 0, o = 0;

	if (!b->ev_len)
		return;
	if (a->n_kept + b->n_kept > m->lim.max[NT_LIM_PACKET_RECORDS] ||
	    m->kept_bytes + a->ev_len + b->ev_len > m->lim.max[NT_LIM_KEPT_BYTES]) {
		a->not_kept += b->n_kept;
		nt_limit_hit(&m->lim, a->n_kept + b->n_kept > m->lim.max[NT_LIM_PACKET_RECORDS] ?
			     NT_LIM_PACKET_RECORDS : NT_LIM_KEPT_BYTES, b->n_kept);
		return;
	}
	if (!a->ev_len || ((const struct nt_ev_hdr *)b->ev)->ts_ns >= a->kept_last_ts) {
		append(m, a, b);
		return;
	}
	n = malloc(a->ev_len + b->ev_len);
	if (!n) {
		m->oom = 1;
		return;
	}
	while (i < a->ev_len || j < b->ev_len) {
		const struct nt_ev_hdr *x = i < a->ev_len ? (const void *)(a->ev + i) : NULL;
		const struct nt_ev_hdr *y = j < b->ev_len ? (const void *)(b->ev + j) : NULL;
		const struct nt_ev_hdr *t = !y || (x && x->ts_ns <= y->ts_ns) ? x : y;
		size_t len = nt_ev_len(t);

		if (!len)
			break;
		memcpy(n + o, t, len);
		o += len;
		if (t == x)
			i += len;
		else
			j += len;
	}
	m->kept_bytes -= a->ev_cap;
	free(a->ev);
	a->ev = n;
	a->ev_len = o;
	a->ev_cap = a->ev_len;
	m->kept_bytes += a->ev_cap;
	a->n_kept += b->n_kept;
	a->kept_last_ts = b->kept_last_ts > a->kept_last_ts ? b->kept_last_ts : a->kept_last_ts;
}
