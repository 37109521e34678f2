/* mklog.h - private to mklog (tests/tools/mklog.c): the scenario's lines, the
 * values of their fields (values.c), the metadata blocks its declarations
 * make (meta.c), the records its timed lines make (records.c). */
#ifndef MKLOG_H
#define MKLOG_H
#include <stddef.h>
#include <stdint.h>

#include "formats/logw.h"

#define MAXTOK 64
#ifdef NT_F_DISCARD
#define MKLOG_F_DISCARD NT_F_DISCARD
#else
#define MKLOG_F_DISCARD 0x10 /* NT_F_DISCARD (records.h) */
#endif
#define BASE_TS 1000000000000ull /* 1000 s of monotonic time */

struct line {
	int ntok;
	char *tok[MAXTOK];
	char *rest[MAXTOK]; /* text from token i to the end of the line */
	int lineno;
};

extern const char *scen_name;     /* mklog.c */
extern struct ntl_writer *w;

/* ---- values.c ---- */
extern int nskb;                  /* skb names of the current repeat iteration */
uint64_t next_rand(void);
void die(int lineno, const char *fmt, const char *arg);
void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
uint8_t fam_code(const char *f);
uint8_t hook_code(const char *h);
uint64_t chain_key(const char *fam, const char *table, const char *chain);
int32_t verdict_code(const char *v, int lineno);
uint8_t ct_state_code(const char *s, int lineno);
uint32_t ct_status_code(const char *s, int lineno);
uint64_t skb_of(const char *name);
uint64_t parse_time(const char *s, uint64_t base);
void parse_endpoint(const char *s, uint8_t *addr, uint16_t *port, uint8_t *l3,
		    int lineno, int *icmp_t, int *icmp_c, int *icmp_id);

/* ---- meta.c: ruleset tables / chains / rules kept in order of declaration ---- */
struct rchain { char fam[16], table[64], chain[64], hook[16], policy[16]; int prio; uint32_t netns; };
struct rrule { char fam[16], table[64], chain[64]; uint64_t handle; char text[256]; };
extern struct rchain chains[256];
extern int nchains;
void meta_build(struct line *lines, int nlines);
int meta_write(void);

/* ---- records.c ---- */
extern int synth_on;
void record(const struct line *l, uint64_t base);

#endif
