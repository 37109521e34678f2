/* SPDX-License-Identifier: GPL-2.0 */
/* fmtmemo.h - the printers' per-record members written from memoized text:
 * a function's escaped name (text) and its "func" / "layer" members (JSON),
 * remembered by the model's serial and the names' addresses (a model's
 * strings never move nor change while it lives: a FUNCS block renaming an id
 * gives it a new string, another model another serial).  Output identical to
 * the generic writers'. */
#ifndef NT_FMTMEMO_H
#define NT_FMTMEMO_H

#include <stdint.h>
#include "model/model.h"
#include "model/output.h"

/* F's name escaped for text (nt_tb_esc()). */
void nt_tb_func_name(struct nt_tb *b, const struct nt_model *m, const struct nt_func_info *f);
/* The same text (the memo: valid until the next call for a function of the
 * same slot modulo the memo's size), *LEN bytes; NULL when too long for it. */
const char *nt_func_name_text(const struct nt_model *m, const struct nt_func_info *f, size_t *len);

/* A "path" element's head, as nt_jw_obj(w, NULL) then the members "t_ns",
 * "func", "layer", "type" (TYPE: a plain ASCII constant), "skb" would write
 * it; the object stays open. */
void nt_jw_path_head(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
		     const char *type, uint64_t skb);
/* A whole "path" element: nt_jw_path_head(), then TAIL[0..TAIL_LEN) as
 * nt_jw_members_raw(w, tail, tail_len, tail_count) writes it, then the
 * object's end (nt_jw_end()), in one go. */
void nt_jw_path_entry(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
		      const char *type, uint64_t skb, const char *tail, size_t tail_len, int tail_count);

/* The same element from a suffix built once for the records that share it
 * (a packet's path repeats the same type, skb and place): SFX[0..SFX_LEN) as
 * nt_jw_path_sfx() built it.  0, or -1 with nothing written (a name too long
 * for the memo, a writer without room: the caller takes nt_jw_path_entry()). */
int nt_jw_path_entry_sfx(struct nt_jw *w, const struct nt_model *m, uint64_t t_ns, const struct nt_func_info *f,
			 const char *sfx, size_t sfx_len);
/* The bytes nt_jw_path_entry() writes after the "func" / "layer" members
 * (the "type" and "skb" members, TAIL, the object's end) into BUF[0..CAP):
 * their length, or -1 when they do not fit (or TYPE is longer than 32). */
int nt_jw_path_sfx(char *buf, size_t cap, const char *type, uint64_t skb, const char *tail, size_t tail_len,
		   int tail_count);

/* {"layer":NAME,"time_ns":NS} of the model's LAYER, as the generic writer
 * writes it (nt_jw_obj, nt_jw_str, nt_jw_u64, nt_jw_end). */
void nt_jw_layer_time(struct nt_jw *w, const struct nt_model *m, int layer, uint64_t ns);

#endif
