// SPDX-License-Identifier: GPL-2.0
/*
 * flame.c - nft-analyze flame (flame.h).
 *
 * Memory: one counter per distinct stack (bounded by functions x layers x
 * verdicts and the rules), plus the records of the packets still open.
 * Weight of a record in --time mode: ns to the next record of the same skb.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nft-analyze/cmds.h"

#define CMD "nft-analyze flame"
#include "model/output.h"
#include "common/sat.h"
#include "common/strtab.h"
#include "model/walk.h"
#include "common/tool.h"
#include "nft-analyze/cli.h"

#define MAX_SKBS 64

struct fopts {
	const char *log, *out, *title;
	int svg, time, by_verdict;
	unsigned width;
	struct nt_limits lim;
};

#define NROOTS 13 /* verdict roots: NONE, -5..5, other */

struct fctx {
	struct fopts *o;
	struct nt_walk *walk;
	struct nt_strtab *stacks;
	uint64_t *w;
	size_t nw;
	uint32_t *fcache;     /* [NROOTS][ncache] stack id + 1 of a function record */
	uint32_t ncache;
	int oom;
};

/* Frame names: ';' separates frames and the count follows the last space,
 * so ';' in names becomes ','; the names were escaped (nt_esc_t: no control
 * character, valid UTF-8). */
static void frame_clean(char *s)
{
	for (; *s; s++)
		if (*s == ';')
			*s = ',';
}

static uint32_t add_stack_id(struct fctx *c, uint32_t id, uint64_t weight)
{
	if (id >= c->nw) {
		size_t n = c->nw ? c->nw * 2 : 256;
		uint64_t *nw;

		while (n <= id)
			n *= 2;
		nw = realloc(c->w, n * sizeof(*nw));
		if (!nw) {
			c->oom = 1;
			return 0;
		}
		memset(nw + c->nw, 0, (n - c->nw) * sizeof(*nw));
		c->w = nw;
		c->nw = n;
	}
	nt_sat_acc(&c->w[id], weight); /* --time weights come from log timestamps */
	return id;
}

static uint32_t add_stack(struct fctx *c, const char *stack, uint64_t weight)
{
	uint32_t id = nt_strtab_id(c->stacks, stack);

	if (id == UINT32_MAX) {
		c->oom = 1;
		return 0;
	}
	return add_stack_id(c, id, weight);
}

/* Stack of record H (without the verdict root); empty when H is not shown. */
static int stack_of(char *buf, size_t len, const struct nt_model *m, const struct nt_ev_hdr *h)
{
	char a[4400], b[5200], v[600];

	if (h->type == NT_EV_FUNC) {
		const struct nt_func_info *fi = nt_model_func(m, h->id);

		snprintf(a, sizeof(a), "%s", nt_esc_t(fi->layer_name));
		snprintf(b, sizeof(b), "%s", nt_esc_t(fi->name));
	} else if (h->type == NT_EV_NFT_RULE) {
		const struct nt_ev_nft_rule *r = (const void *)h;
		const char *text = nt_model_rule_text(m, r->chain_key, r->rule_handle);

		nt_fmt_chain(a, sizeof(a), m, r->chain_key);
		nt_fmt_rule_verdict(v, sizeof(v), m, r);
		if (r->kind == NT_RULE_KIND_POLICY)
			snprintf(b, sizeof(b), "policy [%s]", v);
		else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN)
			snprintf(b, sizeof(b), "return");
		else if (text) /* escaped, cut (--max-rule-text) */
			snprintf(b, sizeof(b), "%s [%s]", nt_rule_text_t(m, text), v);
		else
			snprintf(b, sizeof(b), "rule #%" PRIu64 " [%s]", r->rule_handle, v);
		frame_clean(a);
		frame_clean(b);
		snprintf(buf, len, "nftables;%s;%s", a, b);
		return 1;
	} else {
		return 0;
	}
	frame_clean(a);
	frame_clean(b);
	snprintf(buf, len, "%s;%s", a, b);
	return 1;
}

/* Count record H of a packet with verdict V (root frame ROOT). */
static void count(struct fctx *c, const struct nt_model *m, const struct nt_ev_hdr *h, int32_t v,
		  const char *root, uint64_t weight)
{
	char stack[10000], full[10100];
	uint32_t *slot = NULL;

	if (h->type == NT_EV_FUNC) {
		int r = !c->o->by_verdict ? 0 : v == NT_V_NONE ? 0 : v >= -5 && v <= 5 ? v + 6 : NROOTS - 1;

		if (!c->fcache && nt_model_func_count(m)) {
			c->ncache = nt_model_func_count(m);
			c->fcache = calloc((size_t)NROOTS * c->ncache, sizeof(*c->fcache));
		}
		if (c->fcache && h->id < c->ncache) {
			slot = &c->fcache[(size_t)r * c->ncache + h->id];
			if (*slot) {
				add_stack_id(c, *slot - 1, weight);
				return;
			}
		}
	}
	if (!stack_of(stack, sizeof(stack), m, h))
		return;
	snprintf(full, sizeof(full), "%s%s%s", c->o->by_verdict ? root : "", c->o->by_verdict ? ";" : "",
		 stack);
	if (slot)
		*slot = add_stack(c, full, weight) + 1;
	else
		add_stack(c, full, weight);
}

static void on_packet(void *ctx, const struct nt_packet *p)
{
	struct fctx *c = ctx;
	const struct nt_model *m = c->walk->m;
	struct { uint64_t skb, ts; size_t off; int open; } pend[MAX_SKBS];
	int np = 0;
	char root[32];
	const struct nt_ev_hdr *h;

	snprintf(root, sizeof(root), "%s", nt_verdict_name(p->verdict));
	for (size_t off = 0; off + sizeof(*h) <= p->ev_len; off += nt_ev_len(h)) {
		uint64_t skb;
		int i;

		h = (const void *)(p->ev + off);
		if (!nt_ev_len(h))
			break;
		if (!c->o->time) {
			count(c, m, h, p->verdict, root, 1);
			continue;
		}
		/* time mode: the pending record of this skb (a clone's parent) ends here */
		skb = h->type == NT_EV_LINK ? ((const struct nt_ev_link *)h)->parent : h->skb;
		for (i = 0; i < np; i++)
			if (pend[i].skb == skb)
				break;
		if (i == np) {
			if (np == MAX_SKBS)
				i = MAX_SKBS - 1;
			else
				np++;
			pend[i].skb = skb;
			pend[i].open = 0;
		}
		if (h->type == NT_EV_META)
			continue;
		if (pend[i].open) {
			const struct nt_ev_hdr *ph = (const void *)(p->ev + pend[i].off);

			/* an inferred free has the time of the address reuse: no weight */
			if (h->ts_ns > pend[i].ts && !(h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)))
				count(c, m, ph, p->verdict, root, h->ts_ns - pend[i].ts);
			pend[i].open = 0;
		}
		if (h->type == NT_EV_FUNC || h->type == NT_EV_NFT_RULE) {
			pend[i].open = 1;
			pend[i].off = off;
			pend[i].ts = h->ts_ns;
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- SVG ---- */
struct node {
	const char *name;   /* points into a stack string */
	size_t nlen;
	uint64_t value;
	int child, sibling, depth;  /* indexes, -1 none */
	int parent, last;   /* last child: appending keeps the (sorted) input order */
	unsigned hash;      /* of (parent, name) */
};

/* The frame tree; a child is found through a hash of (parent, name), so the
 * tree is built in time linear in the frames (scanning the siblings was
 * quadratic: 200 000 functions of one layer took 44 s). */
struct tree {
	struct node *n;
	size_t len, cap;
	int *ht;            /* node index + 1, 0 = empty; open addressing */
	size_t htcap;       /* power of two, at most half full */
	int maxdepth;
};

static unsigned child_hash(int parent, const char *name, size_t nlen)
{
	unsigned h = 2166136261u ^ ((unsigned)parent * 0x9e3779b1u);

	for (size_t i = 0; i < nlen; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

static int ht_grow(struct tree *t)
{
	size_t cap = t->htcap ? t->htcap * 2 : 1024;
	int *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -1;
	for (size_t i = 1; i < t->len; i++) { /* node 0, the root, is nobody's child */
		size_t j = t->n[i].hash & (cap - 1);

		while (ht[j])
			j = (j + 1) & (cap - 1);
		ht[j] = (int)i + 1;
	}
	free(t->ht);
	t->ht = ht;
	t->htcap = cap;
	return 0;
}

static int tree_child(struct tree *t, int parent, const char *name, size_t nlen)
{
	unsigned h = child_hash(parent, name, nlen);
	size_t j;
	int c;

	if ((t->len + 1) * 2 > t->htcap && ht_grow(t))
		return -1;
	for (j = h & (t->htcap - 1); t->ht[j]; j = (j + 1) & (t->htcap - 1)) {
		const struct node *x = &t->n[t->ht[j] - 1];

		if (x->hash == h && x->parent == parent && x->nlen == nlen && !memcmp(x->name, name, nlen))
			return t->ht[j] - 1;
	}
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct node *n = realloc(t->n, cap * sizeof(*n));

		if (!n)
			return -1;
		t->n = n;
		t->cap = cap;
	}
	c = (int)t->len++;
	t->n[c] = (struct node){ name, nlen, 0, -1, -1, t->n[parent].depth + 1, parent, -1, h };
	t->ht[j] = c + 1;
	if (t->n[parent].child < 0)
		t->n[parent].child = c;
	else
		t->n[t->n[parent].last].sibling = c;
	t->n[parent].last = c;
	if (t->n[c].depth > t->maxdepth)
		t->maxdepth = t->n[c].depth;
	return c;
}

/* XML text of S[0..N) */
static void svg_esc(FILE *f, const char *s, size_t n)
{
	nt_esc_fwrite(f, NT_ESC_XML, s, n);
}

static unsigned hash_name(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

#define ROW 17
#define FONT_W 6.6

#define IS(n, s) ((n)->nlen == sizeof(s) - 1 && !memcmp((n)->name, s, sizeof(s) - 1))

/* Colours: warm by name hash; nftables frames and everything above them blue;
 * verdict roots (--by-verdict) green / red / grey. */
static void svg_node(FILE *f, const struct tree *t, int i, double x, double scale, unsigned height,
		     uint64_t total, const char *unit, int nft)
{
	const struct node *n = &t->n[i];
	double w = (double)n->value * scale;
	double y = (double)height - 24 - (double)(n->depth + 1) * ROW;
	unsigned h = hash_name(n->name, n->nlen);
	int r = 205 + (int)(h % 50), g = 60 + (int)((h >> 8) % 150), b = 30 + (int)((h >> 16) % 40);
	size_t fit;

	if (IS(n, "nftables"))
		nft = 1;
	if (nft) {
		r = 60 + (int)(h % 40);
		g = 120 + (int)((h >> 8) % 60);
		b = 200 + (int)((h >> 16) % 50);
	} else if (n->depth == 1 && (IS(n, "ACCEPT") || IS(n, "DROP") || IS(n, "NONE"))) {
		r = IS(n, "DROP") ? 214 : IS(n, "ACCEPT") ? 70 : 160;
		g = IS(n, "DROP") ? 80 : IS(n, "ACCEPT") ? 170 : 160;
		b = IS(n, "DROP") ? 80 : IS(n, "ACCEPT") ? 100 : 160;
	}
	if (w >= 0.1) {
		fprintf(f, "<g class=\"f\"><title>");
		svg_esc(f, n->name, n->nlen);
		fprintf(f, " (%" PRIu64 " %s, %.2f%%)</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" "
			"height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", n->value, unit,
			total ? 100.0 * (double)n->value / (double)total : 0.0, x, y, w, ROW - 1, r, g, b);
		fit = (size_t)((w - 6) / FONT_W);
		if (fit >= 3) {
			fprintf(f, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + ROW - 5);
			if (fit >= n->nlen) {
				svg_esc(f, n->name, n->nlen);
			} else {
				svg_esc(f, n->name, nt_utf8_prefix(n->name, n->nlen, fit - 2));
				fputs("..", f);
			}
			fputs("</text>", f);
		}
		fputs("</g>\n", f);
	}
	for (int c = n->child; c >= 0; c = t->n[c].sibling) {
		svg_node(f, t, c, x, scale, height, total, unit, nft);
		x += (double)t->n[c].value * scale;
	}
}

static int write_svg(FILE *f, struct fctx *c, const char **lines, uint32_t *ids, size_t n)
{
	struct tree t = { 0 };
	unsigned width = c->o->width, height;
	double scale;
	uint64_t total = 0;
	const char *unit = c->o->time ? "ns" : "records";

	t.cap = 256;
	t.n = malloc(t.cap * sizeof(*t.n));
	if (!t.n)
		return -ENOMEM;
	t.n[0] = (struct node){ "all", 3, 0, -1, -1, 0, -1, -1, 0 };
	t.len = 1;
	for (size_t i = 0; i < n; i++) {
		const char *s = lines[i], *e;
		uint64_t v = c->w[ids[i]];
		int cur = 0;

		nt_sat_acc(&t.n[0].value, v);
		nt_sat_acc(&total, v);
		for (;;) {
			e = strchr(s, ';');
			cur = tree_child(&t, cur, s, e ? (size_t)(e - s) : strlen(s));
			if (cur < 0) {
				free(t.n);
				free(t.ht);
				return -ENOMEM;
			}
			nt_sat_acc(&t.n[cur].value, v);
			if (!e)
				break;
			s = e + 1;
		}
	}
	height = (unsigned)(t.maxdepth + 1) * ROW + 70;
	scale = total ? (double)(width - 20) / (double)total : 0;
	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\">\n"
		"<style>text{font-family:monospace;font-size:11px;fill:#000}"
		".f:hover rect{stroke:#000;stroke-width:0.5}.t{font-size:15px;font-family:sans-serif}"
		".s{font-size:11px;font-family:sans-serif;fill:#444}</style>\n"
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"#f8f8f0\"/>\n"
		"<text class=\"t\" x=\"%u\" y=\"24\" text-anchor=\"middle\">", width, height, width, height,
		width, height, width / 2);
	nt_esc_fputs(f, NT_ESC_XML, c->o->title ? c->o->title : "nft-tracer flame graph");
	fprintf(f, "</text>\n<text class=\"s\" x=\"10\" y=\"%u\">total %" PRIu64 " %s; %zu stacks; "
		"frames: layer / function, nftables / chain / rule (blue); hover for counts</text>\n",
		height - 8, total, unit, n);
	svg_node(f, &t, 0, 10, scale, height, total, unit, 0);
	fputs("</svg>\n", f);
	free(t.n);
	free(t.ht);
	return 0;
}

/* ---- CLI ---- */
enum { O_SVG = 256, O_TIME, O_VERDICT, O_WIDTH, O_TITLE };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "write to FILE (default: stdout), atomically", 0 },
	{ "svg", O_SVG, NULL, 0, "draw the flamegraph as one self-contained SVG", 0 },
	{ "time", O_TIME, NULL, 0, "weight = ns to the skb's next record (default: record count)", 0 },
	{ "by-verdict", O_VERDICT, NULL, 0, "root frame = the packet's verdict (ACCEPT, DROP ...)", 0 },
	{ "width", O_WIDTH, "PX", 0, "SVG width (default 1200)", 0 },
	{ "title", O_TITLE, "TEXT", 0, "SVG title", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct fopts *o = state->input;
	char *end;
	unsigned long v;

	switch (key) {
	case 'o': o->out = arg; break;
	case O_SVG: o->svg = 1; break;
	case O_TIME: o->time = 1; break;
	case O_VERDICT: o->by_verdict = 1; break;
	case O_TITLE: o->title = arg; break;
	case O_WIDTH:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (end == arg || *end || errno || v < 200 || v > 100000)
			argp_error(state, "--width: '%s' is not a number from 200 to 100000", arg);
		o->width = (unsigned)v;
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->lim;
		break;
	default:
		return nt_cli_log_arg(state, key, arg, &o->log);
	}
	return 0;
}

static const char doc[] =
	"Folded stacks of the log, one line per stack: \"layer;function N\" and "
	"\"nftables;family table chain;rule text [VERDICT] N\" (N = records, or ns with --time), "
	"sorted by stack, for flamegraph.pl or speedscope; --svg draws the flamegraph itself."
	NT_CLI_EXIT_DOC("the output holds");

static const struct argp_child lim_children[] = {
	{ &nt_cli_limits_argp, 0, "Limits (reaching one: stderr says which, exit 3):", 1 }, { 0 }
};

int cmd_flame(int argc, char **argv)
{
	struct fopts o = { .width = 1200 };
	struct argp ap = { options, parse_opt, "LOG", doc, lim_children, NULL, NULL };
	struct fctx c = { .o = &o };
	struct nt_walk w = { 0 };
	struct nt_out out = { 0 };
	const char **lines = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;
	int st, rc = 0;
	char title[512];

	argp_err_exit_status = 2;
	nt_limits_init(&o.lim);
	if (argp_parse(&ap, argc, argv, 0, NULL, &o))
		return 2;
	c.stacks = nt_strtab_new();
	if (!c.stacks) {
		fprintf(stderr, "nft-analyze flame: out of memory\n");
		return 1;
	}
	w.path = o.log;
	w.keep_events = 1;
	w.on_packet = on_packet;
	w.ctx = &c;
	w.limits = &o.lim;
	c.walk = &w;
	st = nt_walk_log(&w);
	rc = nt_cli_walk_failed(CMD, &w, st);
	if (!rc && c.oom) {
		fprintf(stderr, "%s: out of memory\n", CMD);
		rc = NT_EXIT_RUNTIME;
	}
	if (rc)
		goto out;
	/* sorted stacks (id 0 is the empty string) */
	lines = malloc((nt_strtab_count(c.stacks) + 1) * sizeof(*lines));
	ids = malloc((nt_strtab_count(c.stacks) + 1) * sizeof(*ids));
	if (!lines || !ids) {
		fprintf(stderr, "nft-analyze flame: out of memory\n");
		rc = 1;
		goto out;
	}
	for (uint32_t i = 1; i < nt_strtab_count(c.stacks); i++)
		if (i < c.nw && c.w[i])
			lines[n++] = nt_strtab_str(c.stacks, i);
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++)
		ids[i] = nt_strtab_id(c.stacks, lines[i]);
	rc = nt_cli_out_open(&out, CMD, o.out);
	if (rc)
		goto out;
	if (o.svg) {
		if (!o.title) {
			const char *host = nt_model_header_str(w.m, "hostname");

			snprintf(title, sizeof(title), "nft-tracer flame graph: %s%s%s%s", o.log,
				 host ? " (" : "", host ? host : "", host ? ")" : "");
			o.title = title;
		}
		if (write_svg(out.f, &c, lines, ids, n)) {
			fprintf(stderr, "nft-analyze flame: out of memory\n");
			nt_out_close(&out, 0);
			rc = 1;
			goto out;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			fprintf(out.f, "%s %" PRIu64 "\n", lines[i], c.w[ids[i]]);
	}
	rc = nt_cli_out_done(&out, CMD, o.out, &w, st);
	rc = nt_cli_limits_done(o.log, w.m, rc);
out:
	free(lines);
	free(ids);
	free(c.w);
	free(c.fcache);
	nt_strtab_free(c.stacks);
	nt_model_free(w.m);
	return rc;
}
