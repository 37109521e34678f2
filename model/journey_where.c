// SPDX-License-Identifier: GPL-2.0
/* journey_where.c - the places of a journey's lines, memoized (journey_where.h). */
#include <string.h>

#include "common/escape.h"
#include "model/journey_where.h"

const char *nt_jr_dev_label(const struct nt_model *m, uint32_t netns, uint32_t ifindex, char *buf,
			    size_t len)
{
	const char *n = nt_model_ifname(m, netns, ifindex);

	if (n)
		return n;
	if (len < 13)
		return "?";
	buf[0] = 'i';
	buf[1] = 'f';
	*nt_u64_put(buf + 2, ifindex) = 0; /* "if%u" */
	return buf;
}

/* "[dev rc1, netns r]" ("[netns r]" without a device, nothing unknown) of
 * the names DN (device, NULL: "ifN") and NN (namespace, NULL: its number) */
static void tb_where_names(struct nt_tb *b, uint32_t ifindex, uint32_t netns, const char *dn,
			   const char *nn)
{
	nt_tb_lit(b, "  [");
	if (ifindex) { /* nt_jr_dev_label() without snprintf */
		nt_tb_lit(b, "dev ");
		if (dn) {
			nt_tb_esc(b, dn);
		} else {
			nt_tb_lit(b, "if");
			nt_tb_u64(b, ifindex);
		}
		if (netns)
			nt_tb_lit(b, ", ");
	}
	if (netns) { /* ns_label() */
		nt_tb_lit(b, "netns ");
		if (nn)
			nt_tb_esc(b, nn);
		else
			nt_tb_u64(b, netns);
	}
	nt_tb_chr(b, ']');
}

/* The last "[dev ..., netns ...]" written: most lines of a packet repeat it.
 * Valid during one nt_journey_print_text() only (the model's names of a
 * device or namespace can change between packets). */
__thread struct nt_jr_where_memo nt_jr_where_memo;

void nt_jr_tb_where(struct nt_tb *b, const struct nt_model *m, uint32_t ifindex, uint32_t netns)
{
	const char *dn, *nn;
	size_t start;

	if (!ifindex && !netns)
		return;
	if (nt_jr_where_memo.valid && nt_jr_where_memo.m == m && nt_jr_where_memo.ifindex == ifindex &&
	    nt_jr_where_memo.netns == netns) {
		nt_tb_mem(b, nt_jr_where_memo.s, nt_jr_where_memo.len);
		return;
	}
	dn = ifindex ? nt_model_ifname(m, netns, ifindex) : NULL;
	nn = netns ? nt_model_netns_name(m, netns) : NULL;
	if ((dn && strnlen(dn, WHERE_NAME_MAX) == WHERE_NAME_MAX) ||
	    (nn && strnlen(nn, WHERE_NAME_MAX) == WHERE_NAME_MAX)) {
		tb_where_names(b, ifindex, netns, dn, nn);
		return;
	}
	/* at most sizeof(nt_jr_where_memo.s) bytes follow: no flush in between */
	if (b->cap - b->len < sizeof(nt_jr_where_memo.s))
		nt_tb_flush(b);
	start = b->len;
	tb_where_names(b, ifindex, netns, dn, nn);
	nt_jr_where_memo.m = m;
	nt_jr_where_memo.ifindex = ifindex;
	nt_jr_where_memo.netns = netns;
	nt_jr_where_memo.len = b->len - start;
	memcpy(nt_jr_where_memo.s, b->p + start, nt_jr_where_memo.len);
	nt_jr_where_memo.valid = 1;
}

static void jw_where_members(struct nt_jw *w, const struct nt_model *m, const char *dev,
			     uint32_t netns, const char *ns)
{
	nt_jw_str(w, "dev", dev);
	nt_jw_u64(w, "netns", netns);
	nt_jw_str(w, "ns", ns);
}

/* The last "dev", "netns", "ns" members written, as jw_where_members() wrote
 * them; valid during one nt_journey_json_key() (as nt_jr_where_memo). */
static __thread struct {
	const struct nt_model *m;
	uint32_t ifindex, netns;
	int valid, html;
	size_t len;
	char s[1024]; /* > 2 escaped names + keys + netns: never flushed (no FILE) */
} jw_where_memo;

/* The "dev", "netns", "ns" members of IFINDEX / NETNS as JSON text (the
 * memo, LEN bytes), or NULL when a name is too long to be memoized */
const char *nt_jr_jw_where_text(const struct nt_jw *w, const struct nt_model *m, uint32_t ifindex,
				 uint32_t netns, size_t *len)
{
	const char *dev, *ns;
	struct nt_jw mw;
	char a[32];

	if (!(jw_where_memo.valid && jw_where_memo.m == m && jw_where_memo.ifindex == ifindex &&
	      jw_where_memo.netns == netns && jw_where_memo.html == w->html)) {
		dev = ifindex ? nt_jr_dev_label(m, netns, ifindex, a, sizeof(a)) : NULL;
		ns = nt_model_netns_name(m, netns);
		if ((dev && strnlen(dev, WHERE_NAME_MAX) == WHERE_NAME_MAX) ||
		    (ns && strnlen(ns, WHERE_NAME_MAX) == WHERE_NAME_MAX))
			return NULL;
		/* bounded: at most sizeof(jw_where_memo.s) bytes */
		nt_jw_init_mem(&mw, jw_where_memo.s, sizeof(jw_where_memo.s), w->html);
		jw_where_members(&mw, m, dev, netns, ns);
		jw_where_memo.m = m;
		jw_where_memo.ifindex = ifindex;
		jw_where_memo.netns = netns;
		jw_where_memo.html = w->html;
		jw_where_memo.len = mw.len;
		jw_where_memo.valid = 1;
	}
	*len = jw_where_memo.len;
	return jw_where_memo.s;
}

/* the members of a name too long for the memo */
void nt_jr_jw_where_long(struct nt_jw *w, const struct nt_model *m, uint32_t ifindex, uint32_t netns)
{
	char a[32];

	jw_where_members(w, m, ifindex ? nt_jr_dev_label(m, netns, ifindex, a, sizeof(a)) : NULL, netns,
			 nt_model_netns_name(m, netns));
}

void nt_jr_jw_where(struct nt_jw *w, const struct nt_model *m, uint32_t ifindex, uint32_t netns)
{
	size_t len;
	const char *s = nt_jr_jw_where_text(w, m, ifindex, netns, &len);

	if (s)
		nt_jw_members_raw(w, s, len, 3);
	else
		nt_jr_jw_where_long(w, m, ifindex, netns);
}

void nt_jr_where_reset(int json)
{
	if (json)
		jw_where_memo.valid = 0;
	else
		nt_jr_where_memo.valid = 0;
}
