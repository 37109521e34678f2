/* mkhostile.h - private to mkhostile (tests/tools/mkhostile.c): the hostile
 * payloads, growable JSON text, the log being written (an .ntl, or the input
 * format of tests/fuzz/fuzz_model.c) and its record helpers, the generators
 * of the classes. */
#ifndef MKHOSTILE_H
#define MKHOSTILE_H
#include <stddef.h>
#include <stdint.h>

#include "formats/logw.h"

/* ---- payloads (text.c) ---- */
struct payload {
	const char *id;
	const char *s;
	size_t n;
};
#define NPAY ((size_t)19)
extern const struct payload payloads[NPAY];

/* ---- growable JSON text (text.c) ---- */
struct jb {
	char *p;
	size_t len, cap;
};

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void jb_mem(struct jb *b, const void *s, size_t n);
#define JB_LIT(b, lit) jb_mem((b), "" lit, sizeof(lit) - 1)
void jb_fmt(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(struct jb *b, const char *s, size_t n, int raw);
void jb_pay(struct jb *b, const char *prefix, const struct payload *p, int raw);

/* ---- the log (log.c) ---- */
#define BASE_TS 1000000000000ull
#define NETNS 4026531840u
#define SKB(i) (0xffff888100000000ull + (uint64_t)(i) * 0x100)

extern const char *out_path;
void out_open(const char *path, int force, int model);
void out_close_model(const char *path);
void emit(const void *rec, size_t len);
void meta(uint16_t type, const struct jb *b);
void header(const char *cls);
void trailer(uint64_t end_ts);
void funcs_std(struct jb *b);
void simple_meta(void);
void rec_meta(uint64_t ts, uint64_t skb, uint32_t ifindex, uint32_t i);
void rec_hdr(uint8_t type, uint32_t id, uint64_t ts, uint64_t skb, uint16_t cpu);
void rec_drop(uint64_t ts, uint64_t skb, uint32_t func, uint32_t reason);
void rec_chaindef(uint64_t key, const char *table, size_t tn, const char *chain, size_t cn,
		  int hook, int full);
void rec_chain(uint64_t ts, uint64_t skb, uint64_t key, int phase, int32_t verdict,
	       uint32_t trace);
void rec_rule(uint64_t ts, uint64_t skb, uint64_t key, uint64_t handle, int kind,
	      int32_t verdict, uint64_t target, uint8_t depth, uint32_t trace);
void rec_link(uint64_t ts, uint64_t skb, uint64_t parent, uint32_t kind);
void rec_loss(uint64_t ts, uint16_t cpu, uint32_t source, uint64_t count, uint32_t id);

/* ---- the classes ---- */
void gen_names(uint64_t copies);                       /* gen_names.c */
void gen_openpkts(uint64_t n);                         /* gen_scale.c */
void gen_discards(uint64_t n);
void gen_clones(uint64_t n);
void gen_fragmerge(uint64_t n);
void gen_bigpacket(uint64_t n);
void gen_rulesets(uint64_t n, uint64_t size);
void gen_longrule(uint64_t n, uint64_t size);
void gen_flame(uint64_t n);
void gen_chaindefs(uint64_t n);
void gen_ifaces(uint64_t n, uint64_t size);
void gen_tswrap(uint64_t n);                           /* gen_wrap.c */
void gen_durwrap(void);
void gen_losswrap(void);
void gen_kallsyms(int force);                          /* gen_files.c: not logs */
void gen_config(int force);

#endif
