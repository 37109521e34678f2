// SPDX-License-Identifier: GPL-2.0
/* stacks.c - the model's kernel stacks (STACKS blocks, formats/stacks.h): the
 * union of every block, bounded (model.h nt_model_stack); frames are named by
 * nt_model_symbolize() from the KSYMS blocks (model_meta.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/stacks.h"
#include "model/model_int.h"

/* Bounds: --max-stacks (common/limits.h, default 65536) distinct stacks, and
 * 64 frames per stack on average for all of them together (32 MiB with the
 * default); a stack past either is not kept, counted in the limit. */
#define FRAMES_PER_STACK 64u
#define BOUND_MAX (1u << 28)
struct stack_ent {
	uint32_t first, n;           /* frames[first .. first + n) */
};

struct nt_stacks {
	struct stack_ent *st;
	uint32_t nst, st_cap;
	uint64_t *frames;
	uint32_t nframes, frames_cap;
	struct u64map ids;           /* stack id -> index in st */
};

static struct nt_stacks *stk_get(struct nt_model *m)
{
	if (!m->stk) {
		m->stk = calloc(1, sizeof(*m->stk));
		if (m->stk && map_init(&m->stk->ids, 64)) {
			free(m->stk);
			m->stk = NULL;
		}
	}
	return m->stk;
}

void stacks_free(struct nt_model *m)
{
	if (!m->stk)
		return;
	free(m->stk->st);
	free(m->stk->frames);
	map_free(&m->stk->ids);
	free(m->stk);
	m->stk = NULL;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem, uint32_t max)
{
	uint32_t c = *cap ? *cap : 64;
	void *n;

	if (need > max) /* first: a cap grown past a lower max does not raise it */
		return -E2BIG;
	if (need <= *cap)
		return 0;
	while (c < need)
		c = c > max / 2 ? max : c * 2;
	n = realloc(*p, (size_t)c * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

int stacks_meta(struct nt_model *m, const void *payload, size_t len)
{
	struct nt_stacks *s = stk_get(m);
	struct ntl_stacks_iter it;
	uint64_t fr[NT_STACK_MAX_FRAMES];
	unsigned int n;
	uint32_t id, max_st, max_fr;
	int rc;

	if (!s) {
		m->oom = 1; /* exit 1, never a partial result (issue #16) */
		return 0;
	}
	max_st = m->lim.max[NT_LIM_STACKS] < BOUND_MAX ? (uint32_t)m->lim.max[NT_LIM_STACKS] : BOUND_MAX;
	max_fr = max_st * FRAMES_PER_STACK;
	ntl_stacks_iter_init(&it, payload, len);
	while ((rc = ntl_stacks_next(&it, &id, fr, &n)) == 1) {
		int e;

		if (map_find(&s->ids, id))
			continue; /* defined before: the first definition holds */
		if ((e = grow((void **)&s->st, &s->st_cap, s->nst + 1, sizeof(*s->st), max_st)) ||
		    (e = grow((void **)&s->frames, &s->frames_cap, s->nframes + n, sizeof(*s->frames),
			      max_fr)) ||
		    (e = map_put(&s->ids, id, s->nst) ? -ENOMEM : 0)) {
			if (e == -ENOMEM) {
				m->oom = 1;
				return 0;
			}
			m->t.stacks_dropped++; /* past the bounds: counted */
			nt_limit_hit(&m->lim, NT_LIM_STACKS, 1);
			continue;
		}
		memcpy(s->frames + s->nframes, fr, n * sizeof(*fr));
		s->st[s->nst].first = s->nframes;
		s->st[s->nst].n = n;
		s->nst++;
		s->nframes += n;
	}
	return rc < 0 ? -EINVAL : 0;
}

const uint64_t *nt_model_stack(const struct nt_model *m, uint32_t id, uint32_t *n)
{
	const uint32_t *v = m->stk && id ? map_find(&m->stk->ids, id) : NULL;

	if (!v) {
		*n = 0;
		return NULL;
	}
	*n = m->stk->st[*v].n;
	return m->stk->frames + m->stk->st[*v].first;
}
