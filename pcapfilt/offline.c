// SPDX-License-Identifier: GPL-2.0
/* pcapfilt/offline.c - a classic BPF program on recorded packet metadata
 * (design: offline.h). */
#include <linux/bpf_common.h>
#include <stdio.h>
#include <string.h>

#include "common/records.h"
#include "pcapfilt/offline.h"

#define ETH_LEN 14
#define STEP_BUDGET 200000 /* instructions over all explored paths */

/* ---- the layout ---- */

static void put(struct nt_pcapf_syn *s, unsigned int off, uint8_t v, uint8_t known)
{
	s->b[off] = v;
	s->known[off] = known;
}

static void put16(struct nt_pcapf_syn *s, unsigned int off, uint16_t v)
{
	put(s, off, v >> 8, 0xff);
	put(s, off + 1, v & 0xff, 0xff);
}

static int l4_parsed(const struct nt_pcapf_meta *m)
{
	return m->sport || m->dport || m->l4_extra || m->tcp_flags;
}

void nt_pcapf_synthesize(const struct nt_pcapf_meta *m, struct nt_pcapf_syn *s)
{
	uint16_t et = m->ethertype;
	unsigned int l4 = 0;
	int l4ok = 0;

	memset(s, 0, sizeof(*s));
	if (!et)
		et = m->l3 == NT_L3_IPV4 ? 0x0800 : m->l3 == NT_L3_IPV6 ? 0x86dd : 0;
	if (et)
		put16(s, 12, et);
	s->len = ETH_LEN;
	if (m->l3 == NT_L3_IPV4) {
		s->l3off = ETH_LEN;
		put(s, 14, 0x45, 0xf0); /* version; IHL: see offline.h */
		put16(s, 18, m->ip_id);
		if (m->has_frag) {
			uint16_t off = m->frag & NT_FRAG_OFF_MASK;

			put(s, 20, (uint8_t)((m->frag & NT_FRAG_MF) ? 0x20 : 0) | off >> 8, 0x3f); /* not DF */
			put(s, 21, off & 0xff, 0xff);
			l4ok = off == 0;
		} else if (l4_parsed(m)) {
			put(s, 20, 0, 0x1f); /* offset 0; flags unknown */
			put(s, 21, 0, 0xff);
			l4ok = 1;
		}
		put(s, 23, m->l4proto, 0xff);
		for (int i = 0; i < 4; i++) {
			put(s, 26 + i, m->saddr[i], 0xff);
			put(s, 30 + i, m->daddr[i], 0xff);
		}
		s->len = 34;
		l4 = 34;
		l4ok &= m->l4proto == 6 || m->l4proto == 17 || m->l4proto == 1;
	} else if (m->l3 == NT_L3_IPV6) {
		s->l3off = ETH_LEN;
		put(s, 14, 0x60, 0xf0);
		if (m->has_frag && (m->frag & NT_FRAG_IS))
			l4ok = 0; /* next header: unknown (offline.h) */
		else
			put(s, 20, m->l4proto, 0xff), l4ok = 1;
		for (int i = 0; i < 16; i++) {
			put(s, 22 + i, m->saddr[i], 0xff);
			put(s, 38 + i, m->daddr[i], 0xff);
		}
		s->len = 54;
		l4 = 54;
		l4ok &= m->l4proto == 6 || m->l4proto == 17 || m->l4proto == 58;
	}
	if (!l4ok)
		return;
	s->l4off = l4;
	if (m->l4proto == 6) {
		put16(s, l4, m->sport);
		put16(s, l4 + 2, m->dport);
		put16(s, l4 + 4, m->l4_extra >> 16);
		put16(s, l4 + 6, m->l4_extra & 0xffff);
		if (!m->no_tcp_flags)
			put(s, l4 + 13, m->tcp_flags, 0xff);
		if (m->has_l4_csum)
			put16(s, l4 + 16, m->l4_csum);
		s->len = l4 + 20;
	} else if (m->l4proto == 17) {
		put16(s, l4, m->sport);
		put16(s, l4 + 2, m->dport);
		if (m->has_l4_csum)
			put16(s, l4 + 6, m->l4_csum);
		s->len = l4 + 8;
	} else {
		put16(s, l4, m->sport); /* type, code */
		if (m->has_l4_csum)
			put16(s, l4 + 2, m->l4_csum);
		put16(s, l4 + 4, m->dport);
		put16(s, l4 + 6, m->l4_extra & 0xffff);
		s->len = l4 + 8;
	}
}

const char *nt_pcapf_field_name(const struct nt_pcapf_meta *m, int off)
{
	struct nt_pcapf_syn s;
	unsigned int o, r;

	if (off < 0)
		return "packet length (len / less / greater)";
	o = (unsigned int)off;
	if (o < 6)
		return "Ethernet destination address";
	if (o < 12)
		return "Ethernet source address";
	if (o < 14)
		return "EtherType";
	nt_pcapf_synthesize(m, &s);
	if (!s.l3off)
		return "bytes past the Ethernet header (not IP: not recorded)";
	if (m->l3 == NT_L3_IPV4 && o < 34) {
		static const char *f[20] = { "IPv4 header length", "IPv4 TOS / DSCP", "IPv4 total length",
					     "IPv4 total length", "IPv4 id", "IPv4 id", "IPv4 flags (DF)",
					     "IPv4 fragment offset", "IPv4 TTL", "IPv4 protocol",
					     "IPv4 header checksum", "IPv4 header checksum" };
		r = o - 14;
		return r < 12 ? f[r] : "IPv4 address";
	}
	if (m->l3 == NT_L3_IPV6 && o < 54) {
		r = o - 14;
		return r < 4 ? "IPv6 traffic class / flow label" : r < 6 ? "IPv6 payload length" :
		       r == 7 ? "IPv6 hop limit" : "IPv6 header";
	}
	if (!s.l4off)
		return m->l3 == NT_L3_IPV4 && m->has_frag && (m->frag & 0x1fff) ?
			       "bytes of a non-first fragment (not recorded)" :
			       "L4 header (not recorded for this protocol)";
	r = o - s.l4off;
	if (m->l4proto == 6)
		return r < 8 ? "TCP ports / sequence" : r < 12 ? "TCP acknowledgment number" :
		       r == 12 ? "TCP data offset" : r < 16 ? "TCP window" : r < 18 ? "TCP checksum" :
		       r < 20 ? "TCP urgent pointer" : "TCP options / payload";
	if (m->l4proto == 17)
		return r < 4 ? "UDP ports" : r < 6 ? "UDP length" : r < 8 ? "UDP checksum" : "UDP payload";
	return r < 2 ? "ICMP type / code" : r < 4 ? "ICMP checksum" : r < 8 ? "ICMP id / sequence" :
	       "ICMP payload";
}

void nt_pcapf_meta_from_ev(const struct nt_ev_meta *ev, unsigned int version, struct nt_pcapf_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->l3 = ev->l3;
	m->l4proto = ev->l4proto;
	m->ethertype = ev->ethertype;
	memcpy(m->saddr, ev->saddr, 16);
	memcpy(m->daddr, ev->daddr, 16);
	m->sport = ev->sport;
	m->dport = ev->dport;
	m->l4_extra = ev->l4_extra;
	m->ip_id = ev->ip_id;
	m->tcp_flags = (uint8_t)ev->tcp_flags;
	if (version >= 2) {
		m->has_frag = 1;
		m->frag = ev->frag;
		m->has_l4_csum = ev->l4_csum != 0;
		m->l4_csum = ev->l4_csum;
	}
}

/* ---- classic BPF on values with unknown bits ---- */

struct tn {
	uint32_t v;   /* value of the known bits (unknown bits are 0) */
	uint32_t m;   /* unknown bits */
	int org;      /* frame offset of the first unknown byte behind it; -1 length; -2 none */
};

static struct tn known(uint32_t v)
{
	struct tn t = { v, 0, -2 };

	return t;
}

static struct tn unknown(int org)
{
	struct tn t = { 0, 0xffffffffu, org };

	return t;
}

static int org2(struct tn a, struct tn b)
{
	return a.m && a.org != -2 ? a.org : b.org;
}

static struct tn t_and(struct tn a, struct tn b)
{
	uint32_t alpha = a.v | a.m, beta = b.v | b.m, v = a.v & b.v;
	struct tn r = { v, alpha & beta & ~v, -2 };

	if (r.m)
		r.org = org2(a, b);
	return r;
}

static struct tn t_or(struct tn a, struct tn b)
{
	uint32_t v = a.v | b.v, mu = a.m | b.m;
	struct tn r = { v, mu & ~v, -2 };

	if (r.m)
		r.org = org2(a, b);
	return r;
}

static struct tn t_xor(struct tn a, struct tn b)
{
	uint32_t mu = a.m | b.m;
	struct tn r = { (a.v ^ b.v) & ~mu, mu, -2 };

	if (r.m)
		r.org = org2(a, b);
	return r;
}

static struct tn t_add(struct tn a, struct tn b)
{
	uint32_t sm = a.m + b.m, sv = a.v + b.v, sigma = sm + sv, chi = sigma ^ sv;
	uint32_t mu = chi | a.m | b.m;
	struct tn r = { sv & ~mu, mu, -2 };

	if (r.m)
		r.org = org2(a, b);
	return r;
}

static struct tn t_sub(struct tn a, struct tn b)
{
	uint32_t dv = a.v - b.v, alpha = dv + a.m, beta = dv - b.m, chi = alpha ^ beta;
	uint32_t mu = chi | a.m | b.m;
	struct tn r = { dv & ~mu, mu, -2 };

	if (r.m)
		r.org = org2(a, b);
	return r;
}

static struct tn t_shift(struct tn a, uint32_t k, int left)
{
	struct tn r;

	if (k >= 32)
		return known(0);
	r.v = left ? a.v << k : a.v >> k;
	r.m = left ? a.m << k : a.m >> k;
	r.org = r.m ? a.org : -2;
	return r;
}

struct ctx {
	const struct nt_cbpf *p;
	const struct nt_pcapf_syn *s;
	long steps;
	int why;     /* first unknown the answer depended on */
};

struct st {
	struct tn a, x, mem[16];
};

/* Load SIZE bytes at OFF: *r = value; returns 1 if the load may be past the
 * end of the real packet (only loads beyond the laid-out headers). */
static int load(const struct ctx *c, uint64_t off, int size, struct tn *r)
{
	const struct nt_pcapf_syn *s = c->s;

	if (off + size > s->len) {
		*r = unknown((int)(off < s->len ? s->len : (off > 0x7fffffff ? 0x7fffffff : off)));
		return 1;
	}
	r->v = r->m = 0;
	r->org = -2;
	for (int i = 0; i < size; i++) {
		uint8_t kn = s->known[off + i], unk = (uint8_t)(0xffu ^ kn);

		r->v = r->v << 8 | (s->b[off + i] & kn);
		r->m = r->m << 8 | unk;
		if (unk && r->org == -2)
			r->org = (int)(off + i);
	}
	return 0;
}

/* Recorded bytes of the whole packet: a load past them rejects, as in libpcap. */
static int whole(const struct ctx *c)
{
	return c->s->has_len && c->s->len >= c->s->wirelen;
}

/* Outcomes of running from PC in state S: bit 0 = can return 0, bit 1 = can
 * return non-zero. */
static int run(struct ctx *c, struct st s, unsigned int pc);

static void note(struct ctx *c, int org)
{
	if (c->why == -2)
		c->why = org;
}

/* both branches of an undecided comparison on A (refined when equal) */
static int fork2(struct ctx *c, const struct st *s, unsigned int t, unsigned int f, int eq_k, uint32_t k,
		 int org)
{
	struct st st = *s, sf = *s;

	note(c, org);
	if (eq_k)
		st.a = known(k);
	return run(c, st, t) | run(c, sf, f);
}

static int run(struct ctx *c, struct st s, unsigned int pc)
{
	const struct nt_cbpf *p = c->p;

	for (;;) {
		const struct nt_cbpf_insn *in;
		int cls, op, res = 0;
		struct tn v, b;

		if (pc >= p->len)
			return 1;
		if (++c->steps > STEP_BUDGET) {
			note(c, -2);
			return 3;
		}
		in = &p->insns[pc];
		cls = BPF_CLASS(in->code);
		op = BPF_OP(in->code);
		switch (cls) {
		case BPF_LD:
		case BPF_LDX: {
			struct tn *dst = cls == BPF_LD ? &s.a : &s.x;
			int mode = BPF_MODE(in->code);
			int size = (int[]){ 4, 2, 1, 0 }[BPF_SIZE(in->code) >> 3];

			if (mode == BPF_IMM) {
				*dst = known(in->k);
			} else if (mode == BPF_MEM) {
				if (in->k >= 16)
					return 1;
				*dst = s.mem[in->k];
			} else if (mode == BPF_LEN) {
				*dst = c->s->has_len ? known(c->s->wirelen) : unknown(-1);
			} else if (mode == BPF_MSH) {
				if (c->s->l3off && in->k == c->s->l3off && c->s->b[c->s->l3off] == 0x45) {
					*dst = known(20); /* see offline.h: the recorder's L4 */
				} else {
					int oob = load(c, in->k, 1, &v);

					v = t_shift(t_and(v, known(0xf)), 2, 1);
					if (oob && whole(c))
						return 1; /* past the whole packet: reject */
					if (oob) {
						note(c, v.org);
						s.x = v;
						return 1 | run(c, s, pc + 1);
					}
					*dst = v;
				}
			} else if (mode == BPF_ABS || mode == BPF_IND) {
				uint64_t off = in->k;
				int oob;

				if (mode == BPF_IND) {
					if (s.x.m) { /* offset unknown: value and bounds unknown */
						note(c, s.x.org);
						s.a = unknown(s.x.org);
						return 1 | run(c, s, pc + 1);
					}
					off += s.x.v;
				}
				if (!size)
					return 1;
				oob = load(c, off, size, &v);
				if (oob && whole(c))
					return 1;
				if (oob) {
					note(c, v.org);
					s.a = v;
					return 1 | run(c, s, pc + 1);
				}
				s.a = v;
			} else {
				return 1;
			}
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (in->k >= 16)
				return 1;
			s.mem[in->k] = cls == BPF_ST ? s.a : s.x;
			break;
		case BPF_ALU:
			b = BPF_SRC(in->code) == BPF_X ? s.x : known(in->k);
			switch (op) {
			case BPF_ADD: s.a = t_add(s.a, b); break;
			case BPF_SUB: s.a = t_sub(s.a, b); break;
			case BPF_AND: s.a = t_and(s.a, b); break;
			case BPF_OR: s.a = t_or(s.a, b); break;
			case BPF_XOR: s.a = t_xor(s.a, b); break;
			case BPF_LSH:
			case BPF_RSH:
				if (b.m) {
					s.a = unknown(b.org);
				} else {
					s.a = t_shift(s.a, b.v, op == BPF_LSH);
				}
				break;
			case BPF_NEG:
				s.a = t_sub(known(0), s.a);
				break;
			case BPF_MUL:
			case BPF_DIV:
			case BPF_MOD:
				if (op != BPF_MUL && !b.m && b.v == 0)
					return 1; /* division by zero: reject */
				if (op != BPF_MUL && b.m && !(b.v)) {
					/* the divisor may be 0: that path rejects */
					note(c, b.org);
					res = 1;
				}
				if (!s.a.m && !b.m) {
					s.a = known(op == BPF_MUL ? s.a.v * b.v : op == BPF_DIV ? s.a.v / b.v :
								      s.a.v % b.v);
				} else if (op == BPF_MUL && ((!s.a.m && !s.a.v) || (!b.m && !b.v))) {
					s.a = known(0);
				} else {
					s.a = unknown(org2(s.a, b));
				}
				if (res)
					return res | run(c, s, pc + 1);
				break;
			default:
				return 1;
			}
			break;
		case BPF_JMP: {
			unsigned int t, f;
			uint32_t lo, hi, xlo, xhi;
			int dec = -1; /* 1 true, 0 false, -1 undecided */

			if (op == BPF_JA) {
				if ((int32_t)in->k < 0) /* protochain: not expected here */
					return 3;
				pc += 1 + in->k;
				continue;
			}
			t = pc + 1 + in->jt;
			f = pc + 1 + in->jf;
			b = BPF_SRC(in->code) == BPF_X ? s.x : known(in->k);
			lo = s.a.v;
			hi = s.a.v | s.a.m;
			xlo = b.v;
			xhi = b.v | b.m;
			switch (op) {
			case BPF_JEQ:
				if ((s.a.v ^ b.v) & ~(s.a.m | b.m))
					dec = 0;
				else if (!s.a.m && !b.m)
					dec = 1;
				break;
			case BPF_JGT:
				dec = lo > xhi ? 1 : hi <= xlo ? 0 : -1;
				break;
			case BPF_JGE:
				dec = lo >= xhi ? 1 : hi < xlo ? 0 : -1;
				break;
			case BPF_JSET:
				dec = (s.a.v & b.v) ? 1 : !((s.a.v | s.a.m) & (b.v | b.m)) ? 0 : -1;
				break;
			default:
				return 1;
			}
			if (dec == 1) {
				pc = t;
			} else if (dec == 0) {
				pc = f;
			} else {
				return fork2(c, &s, t, f, op == BPF_JEQ && !b.m, b.v,
					     s.a.m ? s.a.org : b.org);
			}
			continue;
		}
		case BPF_RET:
			if (NT_CBPF_RVAL(in->code) == BPF_K)
				return in->k ? 2 : 1;
			if (s.a.v)
				return 2;
			if (!s.a.m)
				return 1;
			note(c, s.a.org);
			return 3;
		case BPF_MISC:
			if (NT_CBPF_MISCOP(in->code) == NT_CBPF_TAX)
				s.x = s.a;
			else
				s.a = s.x;
			break;
		default:
			return 1;
		}
		pc++;
	}
}

static enum nt_pcapf_answer eval_syn(const struct nt_cbpf *p, const struct nt_pcapf_syn *s, int *why);

enum nt_pcapf_answer nt_pcapf_offline_eval(const struct nt_cbpf *p, const struct nt_pcapf_meta *m, int *why)
{
	struct nt_pcapf_syn s;

	nt_pcapf_synthesize(m, &s);
	return eval_syn(p, &s, why);
}

enum nt_pcapf_answer nt_pcapf_offline_eval_frame(const struct nt_cbpf *p, const uint8_t *frame,
						 unsigned int caplen, uint32_t wirelen, int *why)
{
	struct nt_pcapf_syn s;

	memset(&s, 0, sizeof(s));
	if (caplen > NT_PCAPF_SYN_MAX)
		caplen = NT_PCAPF_SYN_MAX;
	memcpy(s.b, frame, caplen);
	memset(s.known, 0xff, caplen);
	s.len = caplen; /* l3off 0: the IPv4 header length is in the bytes */
	s.has_len = 1;
	s.wirelen = wirelen;
	return eval_syn(p, &s, why);
}

static enum nt_pcapf_answer eval_syn(const struct nt_cbpf *p, const struct nt_pcapf_syn *s, int *why)
{
	struct ctx c = { .p = p, .s = s, .why = -2 };
	struct st st;
	int r;

	for (int i = 0; i < 16; i++)
		st.mem[i] = known(0);
	st.a = st.x = known(0);
	r = run(&c, st, 0);
	if (why)
		*why = c.why;
	return r == 1 ? NT_PCAPF_NO : r == 2 ? NT_PCAPF_YES : NT_PCAPF_UNKNOWN;
}
