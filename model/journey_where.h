/* SPDX-License-Identifier: GPL-2.0 */
/* journey_where.h - where a journey's line happened ("[dev rc1, netns r]",
 * JSON "dev" / "netns" / "ns"), memoized: most lines of a packet repeat the
 * place of the line before.  Private to journey.c. */
#ifndef NT_JOURNEY_WHERE_H
#define NT_JOURNEY_WHERE_H

#include <stddef.h>
#include <stdint.h>
#include "common/escape.h"
#include "model/model.h"
#include "model/output.h"

/* IFINDEX's name in NETNS, or "if<N>" in BUF (LEN >= 13), "?" */
const char *nt_jr_dev_label(const struct nt_model *m, uint32_t netns, uint32_t ifindex, char *buf,
			    size_t len);
/* "  [dev rc1, netns r]" (nothing when both are 0) */
void nt_jr_tb_where(struct nt_tb *b, const struct nt_model *m, uint32_t ifindex, uint32_t netns);
/* The last "  [dev ..., netns ...]" nt_jr_tb_where() wrote (valid during
 * one nt_journey_print_text(): a model's names can change between packets) */
#define WHERE_NAME_MAX 64 /* longer names are not memoized */
struct nt_jr_where_memo {
	const struct nt_model *m;
	uint32_t ifindex, netns;
	int valid;
	size_t len;
	char s[2 * NT_ESC_UNIT_MAX * WHERE_NAME_MAX + 48];
};
extern __thread struct nt_jr_where_memo nt_jr_where_memo;

/* that text when it was for IFINDEX / NETNS, *LEN bytes; else NULL */
static inline const char *nt_jr_tb_where_memo(const struct nt_model *m, uint32_t ifindex, uint32_t netns,
					      size_t *len)
{
	const struct nt_jr_where_memo *w = &nt_jr_where_memo;

	if (!(w->valid && w->m == m && w->ifindex == ifindex && w->netns == netns))
		return NULL;
	*len = w->len;
	return w->s;
}
/* the members "dev", "netns", "ns" */
void nt_jr_jw_where(struct nt_jw *w, const struct nt_model *m, uint32_t ifindex, uint32_t netns);
/* those members as JSON text (the memo, *LEN bytes), NULL when a name is too
 * long to be memoized: then nt_jr_jw_where_long() */
const char *nt_jr_jw_where_text(const struct nt_jw *w, const struct nt_model *m, uint32_t ifindex,
				uint32_t netns, size_t *len);
void nt_jr_jw_where_long(struct nt_jw *w, const struct nt_model *m, uint32_t ifindex, uint32_t netns);
/* forget the text (JSON 0) or JSON (1) memo: names may change between packets */
void nt_jr_where_reset(int json);

#endif
