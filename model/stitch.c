// SPDX-License-Identifier: GPL-2.0
/* stitch.c - journeys across hosts from the wire (stitch.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/stitch.h"
#include "model/stitch_int.h"
#include "model/u64map.h"

#define MAX_CAND NT_ST_MAX_CAND
#define MAX_SKBS 16
#define NONE NT_ST_NONE


struct spkt {
	uint32_t src;
	uint64_t id;
	uint32_t parent;    /* union-find */
	uint32_t journey;   /* after solve: 0 = alone */
};

struct dvec {
	int64_t *v;
	uint32_t n, cap;
};

struct nt_stitch {
	int nsrc, nhost;
	int *src_host;
	struct obs *in, *eg;
	size_t nin, capin, neg, capeg;
	struct spkt *pk;
	uint32_t npk;
	size_t cappk;
	struct u64map pkmap;          /* src << 40 | id -> pk index + 1 */
	struct dvec *d;               /* [a * nhost + b]: anchor delays a -> b */
	int64_t *theta;               /* [a * nhost + b]: offset of b's clock to a's */
	int64_t *lo, *hi;             /* window of one-way delays */
	uint8_t *have;                /* the pair has an offset */
	int64_t *host_off;
	uint32_t *jparts;             /* parts per journey (index = journey id) */
	uint32_t njourneys;
	size_t capjparts, cappairs;
	struct nt_stitch_counts c;
	struct nt_stitch_pair *pairs;
	int npairs;
	uint64_t max_obs;             /* nt_stitch_set_max() */
	int full;                     /* the bound was reached: nothing more observed */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return mix64(h);
}

static uint64_t mix_bytes(uint64_t h, const uint8_t *p, int n)
{
	for (int i = 0; i < n; i += 8) {
		uint64_t v = 0;

		memcpy(&v, p + i, n - i >= 8 ? 8 : (size_t)(n - i));
		h = mix(h, v);
	}
	return h;
}

static uint64_t flow_hash(const struct nt_ev_meta *m)
{
	int al = m->l3 == NT_L3_IPV4 ? 4 : 16;
	uint64_t h = mix(0x5eed, (uint64_t)m->l3 << 8 | m->l4proto);

	h = mix_bytes(h, m->saddr, al);
	h = mix_bytes(h, m->daddr, al);
	return mix(h, (uint64_t)m->sport << 16 | m->dport) | 1;
}

/* the headers as they are on the wire */
static uint64_t wire_key(const struct nt_ev_meta *m)
{
	uint64_t h = flow_hash(m);

	if (m->l3 == NT_L3_IPV4 && m->ip_id)
		h = mix(h, 0x1d00000000ull | m->ip_id);
	h = mix(h, m->l4_extra);
	if (m->frag & NT_FRAG_IS)
		h = mix(h, (uint64_t)m->frag_id << 16 | m->frag);
	return h | 1;
}

/* receive path / transmit path records by function name (tracepoints of
 * every recording, and the usual function names of function tracing) */
static int fclass(const char *name)
{
	if (strstr(name, "netif_receive_skb") || strstr(name, "netif_rx") ||
	    strstr(name, "gro_receive") || strstr(name, "eth_type_trans"))
		return 1;
	if (strstr(name, "xmit") || strstr(name, "dev_queue"))
		return 2;
	return 0;
}

struct nt_stitch *nt_stitch_new(int nsrc, const int *src_host, int nhost)
{
	struct nt_stitch *s = calloc(1, sizeof(*s));
	size_t np = (size_t)nhost * (size_t)nhost;

	if (!s)
		return NULL;
	s->nsrc = nsrc;
	s->nhost = nhost;
	s->src_host = calloc((size_t)nsrc, sizeof(*s->src_host));
	s->d = calloc(np, sizeof(*s->d));
	s->theta = calloc(np, sizeof(*s->theta));
	s->lo = calloc(np, sizeof(*s->lo));
	s->hi = calloc(np, sizeof(*s->hi));
	s->have = calloc(np, 1);
	s->host_off = calloc((size_t)nhost, sizeof(*s->host_off));
	if (!s->src_host || !s->d || !s->theta || !s->lo || !s->hi || !s->have || !s->host_off ||
	    map_init(&s->pkmap, 1024)) {
		nt_stitch_free(s);
		return NULL;
	}
	memcpy(s->src_host, src_host, (size_t)nsrc * sizeof(*s->src_host));
	s->max_obs = UINT64_MAX;
	return s;
}

void nt_stitch_set_max(struct nt_stitch *s, uint64_t max)
{
	s->max_obs = max;
}

void nt_stitch_free(struct nt_stitch *s)
{
	if (!s)
		return;
	if (s->d)
		for (size_t i = 0; i < (size_t)s->nhost * (size_t)s->nhost; i++)
			free(s->d[i].v);
	free(s->d);
	free(s->theta);
	free(s->lo);
	free(s->hi);
	free(s->have);
	free(s->host_off);
	free(s->src_host);
	free(s->in);
	free(s->eg);
	free(s->pk);
	free(s->jparts);
	free(s->pairs);
	map_free(&s->pkmap);
	free(s);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	return nt_grow(p, cap, need, elem, 256, 0);
}

static int add_obs(struct nt_stitch *s, int egress, const struct nt_ev_meta *m, int64_t wall,
		   uint32_t pk)
{
	struct obs *o;
	size_t *n = egress ? &s->neg : &s->nin, *cap = egress ? &s->capeg : &s->capin;
	struct obs **v = egress ? &s->eg : &s->in;

	if (grow((void **)v, cap, *n + 1, sizeof(**v)))
		return -ENOMEM;
	o = &(*v)[(*n)++];
	memset(o, 0, sizeof(*o));
	o->key = wire_key(m);
	o->flow = m->l4proto == 6 && !(m->frag & NT_FRAG_IS) ? flow_hash(m) : 0;
	o->wall = wall;
	o->seq = m->l4_extra;
	o->len = m->len;
	o->pk = pk;
	o->host = (uint32_t)s->src_host[s->pk[pk].src];
	o->match = NONE;
	if (egress)
		s->c.egress++;
	else
		s->c.ingress++;
	return 0;
}

struct skbst {
	uint64_t skb;
	const struct nt_ev_meta *meta;       /* latest */
	const struct nt_ev_meta *tx_meta;    /* at its last transmit record */
	uint64_t tx_ts;
	int rx_after_tx;
};

static struct skbst *skb_of(struct skbst *v, int *n, uint64_t skb)
{
	for (int i = 0; i < *n; i++)
		if (v[i].skb == skb)
			return &v[i];
	if (*n == MAX_SKBS)
		return NULL;
	v[*n] = (struct skbst){ .skb = skb };
	return &v[(*n)++];
}

static int64_t wall_of(const struct nt_clock *c, uint64_t ts)
{
	uint64_t w = c ? nt_clock_wall(c, ts) : 0;

	return (int64_t)(w ? w : ts);
}

int nt_stitch_packet(struct nt_stitch *s, int src, const struct nt_model *m,
		     const struct nt_clock *c, const struct nt_packet *p)
{
	struct skbst sk[MAX_SKBS];
	int nsk = 0, seen_tx = 0, have_in = 0, nobs;
	const struct nt_ev_meta *in_meta = NULL;
	uint64_t in_ts = 0;
	uint32_t pk;

	if (!p->has_meta || !p->id || !p->ev_len)
		return 0;
	for (size_t off = 0; off + sizeof(struct nt_ev_hdr) <= p->ev_len;) {
		const struct nt_ev_hdr *h = (const void *)(p->ev + off);
		size_t sz = nt_ev_size(h->type);
		struct skbst *b;
		int cls;

		if (!sz)
			break;
		off += sz;
		b = skb_of(sk, &nsk, h->skb);
		if (!b)
			continue;
		if (h->type == NT_EV_META) {
			b->meta = (const void *)h;
			continue;
		}
		if (h->type == NT_EV_LINK) {
			struct skbst *par = skb_of(sk, &nsk, ((const struct nt_ev_link *)h)->parent);

			if (par && !b->meta)
				b->meta = par->meta;
			continue;
		}
		if (h->type != NT_EV_FUNC || (h->flags & NT_F_RET))
			continue;
		cls = fclass(nt_model_func(m, h->id)->name);
		if (cls == 1) {
			if (!seen_tx && !have_in) {
				have_in = 1;
				in_meta = b->meta;
				in_ts = h->ts_ns;
			}
			if (b->tx_meta)
				b->rx_after_tx = 1;
		} else if (cls == 2) {
			seen_tx = 1;
			b->tx_meta = b->meta;
			b->tx_ts = h->ts_ns;
			b->rx_after_tx = 0;
		}
	}
	nobs = have_in;
	for (int i = 0; i < nsk; i++)
		nobs += sk[i].tx_meta && !sk[i].rx_after_tx;
	if (!nobs)
		return 0;
	if (s->full || s->nin + s->neg + nobs > s->max_obs) {
		s->full = 1; /* the first observations only: later packets are alone */
		s->c.not_observed++;
		return 0;
	}
	if (grow((void **)&s->pk, &s->cappk, s->npk + 1, sizeof(*s->pk)))
		return -ENOMEM;
	pk = s->npk++;
	s->pk[pk] = (struct spkt){ .src = (uint32_t)src, .id = p->id, .parent = pk };
	if (map_put(&s->pkmap, (uint64_t)src << 40 | p->id, pk + 1))
		return -ENOMEM;
	s->c.packets++;
	if (have_in && add_obs(s, 0, in_meta ? in_meta : &p->meta, wall_of(c, in_ts), pk))
		return -ENOMEM;
	for (int i = 0; i < nsk; i++)
		if (sk[i].tx_meta && !sk[i].rx_after_tx &&
		    add_obs(s, 1, sk[i].tx_meta, wall_of(c, sk[i].tx_ts), pk))
			return -ENOMEM;
	return 0;
}

/* ---- solve ---- */
static int cmp_key_host(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->wall < y->wall ? -1 : x->wall > y->wall;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* egress by (flow, host, seq) for the TCP ranges */
static const struct obs *sort_eg;

static int cmp_flow(const void *a, const void *b)
{
	const struct obs *x = &sort_eg[*(const uint32_t *)a], *y = &sort_eg[*(const uint32_t *)b];

	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->wall < y->wall ? -1 : x->wall > y->wall;
}

static int dpush(struct dvec *d, int64_t v)
{
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		int64_t *n = realloc(d->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->v = n;
		d->cap = cap;
	}
	d->v[d->n++] = v;
	return 0;
}

static int64_t pct(const struct dvec *d, double q)
{
	size_t i = (size_t)(q * (double)(d->n - 1));

	return d->v[i];
}

/* Anchors: keys sent exactly once by host a and received exactly once by
 * host b; offsets and windows per pair. */
static int offsets(struct nt_stitch *s)
{
	size_t i = 0, j = 0;
	int nh = s->nhost;

	while (i < s->neg && j < s->nin) {
		size_t i2 = i, j2 = j;

		if (s->eg[i].key < s->in[j].key) {
			i++;
			continue;
		}
		if (s->eg[i].key > s->in[j].key) {
			j++;
			continue;
		}
		while (i2 < s->neg && s->eg[i2].key == s->eg[i].key)
			i2++;
		while (j2 < s->nin && s->in[j2].key == s->in[j].key)
			j2++;
		/* runs [i, i2) and [j, j2) of one key, sorted by host */
		for (size_t a = i; a < i2; a++) {
			if ((a > i && s->eg[a - 1].host == s->eg[a].host) ||
			    (a + 1 < i2 && s->eg[a + 1].host == s->eg[a].host))
				continue; /* not once by this host */
			for (size_t b = j; b < j2; b++) {
				if ((b > j && s->in[b - 1].host == s->in[b].host) ||
				    (b + 1 < j2 && s->in[b + 1].host == s->in[b].host) ||
				    s->in[b].host == s->eg[a].host)
					continue;
				if (dpush(&s->d[s->eg[a].host * (size_t)nh + s->in[b].host],
					  s->in[b].wall - s->eg[a].wall))
					return -ENOMEM;
			}
		}
		i = i2;
		j = j2;
	}
	for (int a = 0; a < nh; a++)
		for (int b = 0; b < nh; b++) {
			struct dvec *ab = &s->d[(size_t)a * nh + b];

			if (ab->n)
				qsort(ab->v, ab->n, sizeof(*ab->v), cmp_i64);
		}
	for (int a = 0; a < nh; a++)
		for (int b = a + 1; b < nh; b++) {
			struct dvec *ab = &s->d[(size_t)a * nh + b], *ba = &s->d[(size_t)b * nh + a];
			int64_t th, spread = 0, lo, hi;
			struct nt_stitch_pair *pp;

			if (!ab->n && !ba->n)
				continue;
			if (ab->n && ba->n)
				th = (pct(ab, 0.05) - pct(ba, 0.05)) / 2;
			else if (ab->n)
				th = pct(ab, 0.05);
			else
				th = -pct(ba, 0.05);
			if (ab->n && pct(ab, 0.95) - pct(ab, 0.05) > spread)
				spread = pct(ab, 0.95) - pct(ab, 0.05);
			if (ba->n && pct(ba, 0.95) - pct(ba, 0.05) > spread)
				spread = pct(ba, 0.95) - pct(ba, 0.05);
			lo = -(spread > 500000 ? spread : 500000);
			hi = 4 * spread > 2000000 ? 4 * spread : 2000000;
			if (hi > 1000000000)
				hi = 1000000000;
			s->theta[(size_t)a * nh + b] = th;
			s->theta[(size_t)b * nh + a] = -th;
			s->lo[(size_t)a * nh + b] = s->lo[(size_t)b * nh + a] = lo;
			s->hi[(size_t)a * nh + b] = s->hi[(size_t)b * nh + a] = hi;
			s->have[(size_t)a * nh + b] = s->have[(size_t)b * nh + a] = 1;
			if (grow((void **)&s->pairs, &s->cappairs, (size_t)s->npairs + 1, sizeof(*s->pairs)))
				return -ENOMEM;
			pp = &s->pairs[s->npairs++];
			*pp = (struct nt_stitch_pair){ a, b, th, ab->n, ba->n, lo, hi };
		}
	return 0;
}

static uint32_t uf_find(struct nt_stitch *s, uint32_t x)
{
	while (s->pk[x].parent != x) {
		s->pk[x].parent = s->pk[s->pk[x].parent].parent;
		x = s->pk[x].parent;
	}
	return x;
}

int nt_stitch_solve(struct nt_stitch *s)
{
	uint32_t *byflow = NULL, *cand = NULL, *ncand = NULL, *eg_next = NULL;
	uint8_t *isrange = NULL;
	struct nt_st_find find = { 0 };
	int err = -ENOMEM;

	if (s->neg)
		qsort(s->eg, s->neg, sizeof(*s->eg), cmp_key_host);
	if (s->nin)
		qsort(s->in, s->nin, sizeof(*s->in), cmp_key_host);
	if (offsets(s))
		goto out;
	/* TCP ranges: [seq, next seq of the same flow and host) within seq + len */
	byflow = malloc((s->neg ? s->neg : 1) * sizeof(*byflow));
	cand = malloc((s->nin ? s->nin : 1) * MAX_CAND * sizeof(*cand));
	ncand = calloc(s->nin ? s->nin : 1, sizeof(*ncand));
	isrange = calloc(s->nin ? s->nin : 1, 1);
	eg_next = malloc((s->neg ? s->neg : 1) * sizeof(*eg_next));
	if (!byflow || !cand || !ncand || !isrange || !eg_next)
		goto out;
	for (size_t i = 0; i < s->neg; i++)
		byflow[i] = (uint32_t)i;
	sort_eg = s->eg;
	qsort(byflow, s->neg, sizeof(*byflow), cmp_flow);
	for (size_t k = 0; k < s->neg; k++) {
		struct obs *x = &s->eg[byflow[k]];
		uint32_t end = x->seq + (x->len ? x->len : 1);

		if (k + 1 < s->neg) {
			const struct obs *y = &s->eg[byflow[k + 1]];

			if (y->flow == x->flow && y->host == x->host && y->seq != x->seq &&
			    (uint32_t)(y->seq - x->seq) < (uint32_t)(end - x->seq))
				end = y->seq;
		}
		x->end = end;
		if (x->flow && end - x->seq > find.lmax)
			find.lmax = end - x->seq;
	}
	/* round 1: candidates; one: stitched */
	find.eg = s->eg;
	find.neg = s->neg;
	find.byflow = byflow;
	find.nhost = s->nhost;
	find.theta = s->theta;
	find.lo = s->lo;
	find.hi = s->hi;
	find.have = s->have;
	for (size_t r = 0; r < s->nin; r++) {
		int range, n = nt_st_candidates(&find, &s->in[r], cand + r * MAX_CAND, &range);

		ncand[r] = (uint32_t)n;
		isrange[r] = (uint8_t)range;
	}
	/* eg_next[e]: the packet its stitched ingress belongs to (NONE) */
	for (int round = 0; round < 4; round++) {
		int changed = 0;

		for (size_t e = 0; e < s->neg; e++)
			eg_next[e] = NONE;
		for (size_t r = 0; r < s->nin; r++)
			if (ncand[r] == 1)
				eg_next[cand[r * MAX_CAND]] = s->in[r].pk;
		/* a candidate whose packet already went on into another
		 * candidate's packet is upstream of it: not this hop */
		for (size_t r = 0; r < s->nin; r++) {
			uint32_t *c = cand + r * MAX_CAND, keep = 0;

			if (ncand[r] < 2 || ncand[r] > MAX_CAND)
				continue;
			for (uint32_t i = 0; i < ncand[r]; i++) {
				int upstream = 0;

				for (uint32_t j = 0; j < ncand[r] && !upstream; j++)
					upstream = j != i && eg_next[c[i]] != NONE &&
						   eg_next[c[i]] == s->eg[c[j]].pk;
				if (!upstream)
					c[keep++] = c[i];
			}
			if (keep != ncand[r]) {
				ncand[r] = keep;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	/* two ingresses of one host by key from one egress: both ambiguous */
	for (size_t r = 0; r < s->nin; r++) {
		if (ncand[r] == 1)
			s->in[r].match = cand[r * MAX_CAND];
		else if (ncand[r] > 1)
			s->c.ambiguous++;
	}
	if (nt_st_dup_matches(s->in, s->nin, isrange))
		goto out;
	for (size_t r = 0; r < s->nin; r++)
		if (s->in[r].match == NONE - 1) {
			s->in[r].match = NONE;
			s->c.ambiguous++;
		}
	for (size_t r = 0; r < s->nin; r++) {
		uint32_t a, b;

		if (s->in[r].match == NONE)
			continue;
		s->c.matched++;
		s->c.by_range += isrange[r];
		a = uf_find(s, s->in[r].pk);
		b = uf_find(s, s->eg[s->in[r].match].pk);
		if (a != b)
			s->pk[a < b ? b : a].parent = a < b ? a : b;
	}
	/* journeys: roots of groups of two or more parts */
	{
		uint32_t *size = calloc(s->npk ? s->npk : 1, sizeof(*size));

		if (!size)
			goto out;
		for (uint32_t i = 0; i < s->npk; i++)
			size[uf_find(s, i)]++;
		for (uint32_t i = 0; i < s->npk; i++) {
			uint32_t root = uf_find(s, i);

			if (size[root] < 2)
				continue;
			if (!s->pk[root].journey) {
				if (grow((void **)&s->jparts, &s->capjparts, (size_t)s->njourneys + 2,
					 sizeof(*s->jparts))) {
					free(size);
					goto out;
				}
				s->pk[root].journey = ++s->njourneys;
				s->jparts[s->njourneys] = size[root];
				s->c.journeys++;
				s->c.parts += size[root];
			}
			s->pk[i].journey = s->pk[root].journey;
		}
		free(size);
	}
	/* host offsets to a reference: along the pairs with the most anchors */
	{
		int *done = calloc((size_t)s->nhost, sizeof(int));

		if (!done)
			goto out;
		for (int start = 0; start < s->nhost; start++) {
			if (done[start])
				continue;
			done[start] = 1;
			s->host_off[start] = 0;
			for (;;) { /* Prim: the best pair from the group to a new host */
				int ba = -1, bb = -1;
				uint64_t best = 0;

				for (int p = 0; p < s->npairs; p++) {
					const struct nt_stitch_pair *pp = &s->pairs[p];
					uint64_t w = pp->anchors_ab + pp->anchors_ba;

					if (done[pp->a] != done[pp->b] && w > best) {
						best = w;
						ba = done[pp->a] ? pp->a : pp->b;
						bb = done[pp->a] ? pp->b : pp->a;
					}
				}
				if (ba < 0)
					break;
				s->host_off[bb] = s->host_off[ba] + s->theta[(size_t)ba * s->nhost + bb];
				done[bb] = 1;
			}
		}
		free(done);
	}
	err = 0;
out:
	free(byflow);
	free(cand);
	free(ncand);
	free(isrange);
	free(eg_next);
	return err;
}

uint32_t nt_stitch_journey(const struct nt_stitch *s, int src, uint64_t id)
{
	uint32_t *v = map_find(&s->pkmap, (uint64_t)src << 40 | id);

	return v ? s->pk[*v - 1].journey : 0;
}

uint32_t nt_stitch_parts(const struct nt_stitch *s, uint32_t journey)
{
	return journey && journey <= s->njourneys ? s->jparts[journey] : 1;
}

int64_t nt_stitch_host_offset(const struct nt_stitch *s, int host)
{
	return host >= 0 && host < s->nhost ? s->host_off[host] : 0;
}

const struct nt_stitch_counts *nt_stitch_counts(const struct nt_stitch *s)
{
	return &s->c;
}

int nt_stitch_pairs(const struct nt_stitch *s, const struct nt_stitch_pair **pairs)
{
	*pairs = s->pairs;
	return s->npairs;
}
