// SPDX-License-Identifier: GPL-2.0
/* fmtmemo.c - memoized escaped function names for the printers (fmtmemo.h). */
#include <string.h>

#include "common/escape.h"
#include "model/fmtmemo.h"

#define MEMO_N 256          /* entries, by function slot (direct-mapped) */
#define MEMO_TEXT 200
#define MEMO_JSON 320

struct fmemo {
	uint64_t serial;     /* nt_model_serial() of the model the names are of */
	const char *name, *layer; /* (their addresses: never dereferenced) */
	int8_t state;        /* 0 empty; 1 text; 2 json; 3 json (html) — the form held */
	uint16_t len;
	char out[MEMO_JSON];
};

/* (thread-local: the walk's model thread is the only printer, tests may run others) */
static __thread struct fmemo memo[MEMO_N];

static inline struct fmemo *memo_of(const struct nt_func_info *f)
{
	return &memo[f->slot % MEMO_N];
}

static inline int memo_hit(const struct fmemo *e, uint64_t serial, const struct nt_func_info *f, int state)
{
	return e->state == state && e->serial == serial && e->name == f->name && e->layer == f->layer_name;
}

static inline void memo_key(struct fmemo *e, uint64_t serial, const struct nt_func_info *f)
{
	e->serial = serial;
	e->name = f->name;
	e->layer = f->layer_name;
	e->state = 0;
}

/* S escaped whole into O[0..cap): bytes written, or -1 when it did not fit */
static int esc_all(enum nt_esc_mode mode, char *o, size_t cap, const char *s)
{
	size_t n = strlen(s), used = 0, k = nt_esc_chunk(mode, o, cap, s, n, &used);

	return used == n ? (int)k : -1;
}

const char *nt_func_name_text(const struct nt_model *m, const struct nt_func_info *f, size_t *len)
{
	uint64_t serial = nt_model_serial(m);
	struct fmemo *e = memo_of(f);
	int k;

	if (!memo_hit(e, serial, f, 1)) {
		memo_key(e, serial, f);
		if ((k = esc_all(NT_ESC_TEXT, e->out, MEMO_TEXT, f->name)) < 0)
			return NULL; /* (a name too long for the memo) */
		e->len = (uint16_t)k;
		e->state = 1;
	}
	*len = e->len;
	return e->out;
}

void nt_tb_func_name(struct nt_tb *b, const struct nt_model *m, const struct nt_func_info *f)
{
	size_t n;
	const char *s = nt_func_name_text(m, f, &n);

	if (s)
		nt_tb_mem(b, s, n);
	else
		nt_tb_esc(b, f->name);
}

/* "func":"<name>","layer":"<layer>" into E; 0, or -1 */
static int json_members(struct fmemo *e, const struct nt_func_info *f, int html)
{
	enum nt_esc_mode mode = html ? NT_ESC_JSON_HTML : NT_ESC_JSON;
	char *o = e->out, *end = e->out + MEMO_JSON;
	int k;

	memcpy(o, "\"func\":\"", 8);
	o += 8;
	if ((k = esc_all(mode, o, (size_t)(end - o), f->name)) < 0)
		return -1;
	o += k;
	if (end - o < 12)
		return -1;
	memcpy(o, "\",\"layer\":\"", 11);
	o += 11;
	if ((k = esc_all(mode, o, (size_t)(end - o), f->layer_name)) < 0 || end - o - k < 1)
		return -1;
	o += k;
	*o++ = '"';
	e->len = (uint16_t)(o - e->out);
	e->state = html ? 3 : 2;
	return 0;
}

/* {"layer":"<name>","time_ns": of a layer, by its index (its name's address
 * and the model's serial checked as the function memo's) */
#define LMEMO_N 64
struct lmemo {
	uint64_t serial;
	const char *name;
	int8_t state;        /* 0 empty; 2 json; 3 json (html) */
	uint16_t len;
	char out[MEMO_JSON];
};
static __thread struct lmemo lmemo[LMEMO_N];

void nt_jw_layer_time(struct nt_jw *w, const struct nt_model *m, int layer, uint64_t ns)
{
	uint64_t serial = nt_model_serial(m);
	const char *name = nt_model_layer_name(m, layer);
	int state = w->html ? 3 : 2, k;
	char *o;

	if (layer >= 0 && name) {
		struct lmemo *e = &lmemo[layer % LMEMO_N];

		if (!(e->state == state && e->serial == serial && e->name == name)) {
			e->serial = serial;
			e->name = name;
			e->state = 0;
			memcpy(e->out, "{\"layer\":\"", 10);
			k = esc_all(w->html ? NT_ESC_JSON_HTML : NT_ESC_JSON, e->out + 10, MEMO_JSON - 10 - 12, name);
			if (k >= 0) {
				memcpy(e->out + 10 + k, "\",\"time_ns\":", 12);
				e->len = (uint16_t)(10 + k + 12);
				e->state = (int8_t)state;
			}
		}
		if (e->state && w->buf && w->f && w->cap - w->len < (size_t)e->len + 24)
			nt_jw_flush(w);
		if (e->state && w->buf && w->depth < NT_JW_MAX_DEPTH && w->cap - w->len >= (size_t)e->len + 24) {
			o = w->buf + w->len;
			if (w->depth > 0 && w->n[w->depth - 1]++)
				*o++ = ',';
			memcpy(o, e->out, e->len);
			o = nt_u64_put(o + e->len, ns);
			*o++ = '}';
			w->len = (size_t)(o - w->buf);
			return;
		}
	}
	nt_jw_obj(w, NULL);
	nt_jw_str(w, "layer", name);
	nt_jw_u64(w, "time_ns", ns);
	nt_jw_end(w);
}

/* nt_jw_path_head(), and when CLOSE the members TAIL and the object's end */
static void path_entry(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
		       const char *type, uint64_t skb, const char *tail, size_t tail_len, int tail_count,
		       int close)
{
	uint64_t serial = nt_model_serial(m);
	struct fmemo *e = memo_of(f);
	size_t tl = strlen(type), need;
	char *o;

	if (!memo_hit(e, serial, f, w->html ? 3 : 2)) {
		memo_key(e, serial, f);
		if (json_members(e, f, w->html))
			e->state = 0;
	}
	/* '{' ',' + "t_ns": 20 + ,"type":"..." + ,"skb":"0x<16>" fit (+ ',' TAIL '}'):
	 * else the generic writer */
	need = (size_t)e->len + tl + 96 + (close ? tail_len + 2 : 0);
	if (w->buf && w->f && w->cap - w->len < need)
		nt_jw_flush(w);
	if (!e->state || !w->buf || w->depth >= NT_JW_MAX_DEPTH || tl > 32 || w->cap - w->len < need) {
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", t_ns);
		nt_jw_str(w, "func", f->name);
		nt_jw_str(w, "layer", f->layer_name);
		nt_jw_str(w, "type", type);
		nt_jw_hex(w, "skb", skb);
		if (close) {
			nt_jw_members_raw(w, tail, tail_len, tail_count);
			nt_jw_end(w);
		}
		return;
	}
	o = w->buf + w->len;
	if (w->depth > 0 && w->n[w->depth - 1]++)
		*o++ = ',';
	*o++ = '{';
	memcpy(o, "\"t_ns\":", 7);
	o = nt_u64_put(o + 7, t_ns);
	*o++ = ',';
	memcpy(o, e->out, e->len);
	o += e->len;
	memcpy(o, ",\"type\":\"", 9);
	o += 9;
	memcpy(o, type, tl);
	o += tl;
	memcpy(o, "\",\"skb\":\"0x", 11);
	o = nt_hex_put(o + 11, skb);
	*o++ = '"';
	if (close) { /* (the object is closed here: its depth is never entered) */
		if (tail_count) {
			*o++ = ',';
			memcpy(o, tail, tail_len);
			o += tail_len;
		}
		*o++ = '}';
	} else {
		w->n[w->depth] = 5;
		w->kind[w->depth] = '{';
		w->depth++;
	}
	w->len = (size_t)(o - w->buf);
}

int nt_jw_path_sfx(char *buf, size_t cap, const char *type, uint64_t skb, const char *tail, size_t tail_len,
		   int tail_count)
{
	size_t tl = strlen(type);
	char *o = buf;

	if (tl > 32 || cap < tl + tail_len + 48)
		return -1;
	memcpy(o, ",\"type\":\"", 9);
	o += 9;
	memcpy(o, type, tl);
	o += tl;
	memcpy(o, "\",\"skb\":\"0x", 11);
	o = nt_hex_put(o + 11, skb);
	*o++ = '"';
	if (tail_count) {
		*o++ = ',';
		memcpy(o, tail, tail_len);
		o += tail_len;
	}
	*o++ = '}';
	return (int)(o - buf);
}

int nt_jw_path_entry_sfx(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
			 const char *sfx, size_t sfx_len)
{
	struct fmemo *e = memo_of(f);
	size_t need;
	char *o;

	if (!memo_hit(e, nt_model_serial(m), f, w->html ? 3 : 2)) {
		memo_key(e, nt_model_serial(m), f);
		if (json_members(e, f, w->html)) {
			e->state = 0;
			return -1;
		}
	}
	need = (size_t)e->len + sfx_len + 32;
	if (w->cap - w->len < need && w->buf && w->f)
		nt_jw_flush(w);
	if (!w->buf || w->depth >= NT_JW_MAX_DEPTH || w->cap - w->len < need)
		return -1;
	o = w->buf + w->len;
	if (w->depth > 0 && w->n[w->depth - 1]++)
		*o++ = ',';
	memcpy(o, "{\"t_ns\":", 8);
	o = nt_u64_put(o + 8, t_ns);
	*o++ = ',';
	memcpy(o, e->out, e->len);
	o += e->len;
	memcpy(o, sfx, sfx_len);
	w->len = (size_t)(o + sfx_len - w->buf);
	return 0;
}

void nt_jw_path_head(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
		     const char *type, uint64_t skb)
{
	path_entry(w, m, t_ns, f, type, skb, NULL, 0, 0, 0);
}

void nt_jw_path_entry(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
		      const char *type, uint64_t skb, const char *tail, size_t tail_len, int tail_count)
{
	path_entry(w, m, t_ns, f, type, skb, tail, tail_len, tail_count, 1);
}
