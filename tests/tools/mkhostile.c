/* mkhostile.c - structure-aware hostile-log generator (issue #16).
 *
 * Writes well-formed .ntl logs (through formats/logw.h and the record structs
 * of common/records.h, so it follows the format) whose *content* is hostile:
 * what a root user of a recorded container, or whoever hands you a log, can
 * put into one.  Deterministic: the same arguments give the same bytes.
 *
 * Usage: mkhostile CLASS -o OUT [-n N] [--size BYTES] [--force]
 *        mkhostile --list                  classes, their N and what they hold
 *        mkhostile --payloads              "ID HEX" of every payload (test drivers)
 *        mkhostile --seeds DIR             a small log of every class (fuzz seeds)
 *        mkhostile --model-seeds DIR       the same as inputs of tests/fuzz/fuzz_model.c
 *
 * Classes (N = the main count, --size = bytes of the big strings):
 *   names      every payload below in every string field of every block:
 *              HEADER (hostname, kernel, backend, reason, filter, start_time),
 *              FUNCS (name, layer, module), KSYMS (name, module), RULESET
 *              (table, chain, rule text with set names and comments), IFACES,
 *              DROP_REASONS, CHAINDEF table/chain (also 64 bytes without NUL),
 *              TRAILER; one packet per payload uses all of them (META on the
 *              hostile interface, FUNC of the hostile function, chain enter,
 *              jump to a hostile regular chain, return, rule verdict, chain
 *              exit, clone, drop with the hostile reason or free).  N = copies
 *              of the packet set (default 1).
 *   openpkts   N skbs seen once and never freed (default 4,000,000): a tiny log
 *   discards   300,000 open packets (N / 2 when N < 20,000), then N packets
 *              (default 1,000,000) of an skb and its clone whose FREE carries
 *              the capture filter's discard flag (0x10): each must cost O(1),
 *              not a pass over every skb
 *   bigpacket  one packet of N records (default 50,000,000)
 *   clones     one packet with N clones never freed (default 10,000,000)
 *   fragmerge  300,000 open packets (N / 2 when N < 20,000), then N packets
 *              (default 1,000,000) of an skb and its clone whose META is a
 *              fragment of one open datagram: each joins it in O(1)
 *   rulesets   the same RULESET block N times (default 40), each of --size
 *              bytes of JSON (default 16 MiB), then packets hitting its rules
 *   longrule   one rule whose text is --size bytes (default 62,000,000), hit
 *              by N packets (default 100)
 *   tswrap     timestamps near 2^64: N skbs (default 1,000,000; one in ten
 *              stays open), so ts + idle/4 wraps
 *   durwrap    durations that wrap: packets whose first record has ts 0, ts
 *              going backwards inside a packet, a packet from 0 to 2^64-1
 *   losswrap   LOSS counters near 2^64 on many CPUs / namespaces / sources
 *              (sums wrap), counters going backwards
 *   flame      N functions (default 200,000), each hit once (flame --svg)
 *   chaindefs  N distinct chain definitions (default 2,000,000), hostile names
 *   ifaces     N IFACES blocks (default 40) of --size bytes (default 16 MiB)
 *   kallsyms   a kallsyms text file with hostile names (nft-discover --kallsyms)
 *   config     a trace_config.json with hostile names (nft-record --config)
 *
 * Payloads (names of --list): OSC 0 window title, OSC 52 clipboard write, CSI
 * erase / move / colour / alternate screen, CR overwrite forging "ACCEPTED",
 * a forged PACKET TRACE block (LF), SSE injection (CR LF event:/id:/data:),
 * C1 controls as code points, C1 as raw bytes, bidi overrides and isolates,
 * overlong encodings, UTF-16 surrogates, code points past U+10FFFF, truncated
 * sequences, HTML / script injection, XML-forbidden characters, JSON breakers,
 * folded-stack breakers, DEL + backspaces, and valid UTF-8 that must survive
 * ("café → 日本 😀").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/logw.h"

/* ---- payloads ---- */
struct payload {
	const char *id;
	const char *s;
	size_t n;
};
#define P(id, lit) { id, lit, sizeof(lit) - 1 }
static const struct payload payloads[] = {
	P("osc0", "t\x1b]0;PWNED window title\x07"),
	P("osc52", "c\x1b]52;c;ZWNobyBwd25lZCB8IHNo\x07"),
	P("csi", "e\x1b[2K\x1b[1A\x1b[31mRED\x1b[0m\x1b[?1049h"),
	P("cr", "x\r\rDropped: ACCEPTED (reason 0) at nothing            "),
	P("forge", "f\n================================================================================\n"
		   "PACKET TRACE: 0xffff888100000000 (packet 999999)\n"
		   "[TCP] 6.6.6.6:1 \xe2\x86\x92 7.7.7.7:2 | Functions: 1, NFT Chains: 0, Rules: 0 | Verdict: ACCEPT\n"),
	P("sse", "s\r\nevent: end\r\nid: 18446744073709551615\r\ndata: {\"forged\":true}\r\n\r\nretry: 1\r"),
	P("c1", "c1\xc2\x9b" "31m\xc2\x9d" "0;t\xc2\x9c\xc2\x85\xc2\x8d"),
	P("c1raw", "r\x9b" "31m\x9d" "0;t\x9c\x85"),
	P("bidi", "accept\xe2\x80\xae\xe2\x81\xa6" "pord\xe2\x81\xa9\xe2\x80\xac\xe2\x80\x8f\xd8\x9c"),
	P("overlong", "o\xc0\xaf\xc1\xbf\xe0\x80\xaf\xf0\x80\x80\xaf\xc0\x80"),
	P("surrogate", "s\xed\xa0\x80\xed\xbf\xbf\xed\xb0\x80"),
	P("beyond", "b\xf4\x90\x80\x80\xf5\x80\x80\x80\xf8\x88\x80\x80\x80\xfe\xff"),
	P("truncated", "t\xe2\x86 \xf0\x9f\x98 \xc3"),
	P("html", "</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;\"'`"),
	P("xml", "]]><!--<![CDATA[x\x01\x02\x0b\x0c\x1f\xef\xbf\xbe\xef\xbf\xbf"),
	P("json", "\"},{\"evil\":true,\"x\":\"\\u0000\\"),
	P("folded", "a;b;c 999999\nnftables;x 1"),
	P("del", "d\x7f\x08\x08\x08" "ACCEPT"),
	P("utf8ok", "caf\xc3\xa9 \xe2\x86\x92 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
};
#define NPAY (sizeof(payloads) / sizeof(payloads[0]))

/* ---- growable JSON text ---- */
struct jb {
	char *p;
	size_t len, cap;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mkhostile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void jb_mem(struct jb *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

#define JB_LIT(b, lit) jb_mem((b), "" lit, sizeof(lit) - 1)

static void jb_fmt(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_fmt(struct jb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("internal: format too long");
	jb_mem(b, tmp, (size_t)n);
}

/* A JSON string as a hostile writer may write it: `"` and `\` escaped (else
 * the block would not parse and nobody would see the payload), controls as
 * \u00XX escapes or raw (RAW: cJSON accepts raw controls), bytes >= 0x80 raw
 * (invalid UTF-8 stays invalid: cJSON does not check). */
static void jb_str(struct jb *b, const char *s, size_t n, int raw)
{
	JB_LIT(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			jb_mem(b, e, 2);
		} else if (c < 0x20 && !raw) {
			jb_fmt(b, "\\u%04x", c);
		} else {
			jb_mem(b, &s[i], 1);
		}
	}
	JB_LIT(b, "\"");
}

static void jb_pay(struct jb *b, const char *prefix, const struct payload *p, int raw)
{
	char tmp[1024];
	size_t n = (size_t)snprintf(tmp, sizeof(tmp), "%s", prefix);

	memcpy(tmp + n, p->s, p->n);
	jb_str(b, tmp, n + p->n, raw);
}

/* ---- the log ---- */
static struct ntl_writer *w;
static const char *out_path;
/* --model-seeds: the input format of tests/fuzz/fuzz_model.c instead of a log:
 * metadata 0x80 TYPE LEN16 JSON (blocks over 64 KiB left out), records
 * TYPE|0x10 (ids kept as they are) followed by the whole record */
static FILE *model_out;

static void emit(const void *rec, size_t len)
{
	if (model_out) {
		uint8_t op = (uint8_t)((((const struct nt_ev_hdr *)rec)->type & 0x0f) | 0x10);

		if (fwrite(&op, 1, 1, model_out) != 1 || fwrite(rec, 1, len, model_out) != len)
			die("%s: %s", out_path, strerror(errno));
		return;
	}
	if (ntl_writer_event(w, rec, len))
		die("%s: %s", out_path, ntl_writer_strerror(w));
}

static void meta(uint16_t type, const struct jb *b)
{
	if (model_out) {
		uint8_t h[4] = { 0x80, (uint8_t)type, (uint8_t)b->len, (uint8_t)(b->len >> 8) };

		if (b->len <= 0xffff && (fwrite(h, 1, 4, model_out) != 4 ||
					 fwrite(b->p, 1, b->len, model_out) != b->len))
			die("%s: %s", out_path, strerror(errno));
		return;
	}
	if (ntl_writer_meta(w, type, b->p, b->len))
		die("%s: %s", out_path, ntl_writer_strerror(w));
}

#define BASE_TS 1000000000000ull
#define NETNS 4026531840u
#define SKB(i) (0xffff888100000000ull + (uint64_t)(i) * 0x100)

static void header(const char *cls)
{
	struct jb b = { 0 };

	jb_fmt(&b, "{\"tool\":\"mkhostile\",\"tool_version\":\"0.1.0\",\"format_version\":%d,"
		   "\"clock\":\"CLOCK_MONOTONIC\",\"byte_order\":\"little\",\"start_mono_ns\":%llu,"
		   "\"ncpus\":2,\"machine\":\"x86_64\",\"class\":\"%s\"",
		   NT_FORMAT_VERSION, (unsigned long long)BASE_TS, cls);
	if (!strcmp(cls, "names")) {
		/* every payload in the fields the analyzer prints */
		static const char *fields[] = { "hostname", "kernel", "backend", "backend_reason",
						"filter", "start_time", "mode" };

		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			char v[4096];
			size_t vn = (size_t)snprintf(v, sizeof(v), "%s", fields[f]);

			for (size_t k = f; k < NPAY; k += 3) {
				v[vn++] = ' ';
				memcpy(v + vn, payloads[k].s, payloads[k].n);
				vn += payloads[k].n;
			}
			jb_fmt(&b, ",\"%s\":", fields[f]);
			jb_str(&b, v, vn, (int)(f & 1));
		}
		/* the host identity of several logs (labels, stitching, export) */
		static const char *hfields[] = { "label", "hostname", "machine_id_hash", "boot_id" };

		JB_LIT(&b, ",\"host\":{");
		for (size_t f = 0; f < sizeof(hfields) / sizeof(hfields[0]); f++) {
			char v[4096];
			size_t vn = (size_t)snprintf(v, sizeof(v), "h%zu", f);

			for (size_t k = f + 1; k < NPAY; k += 4) {
				v[vn++] = ' ';
				memcpy(v + vn, payloads[k].s, payloads[k].n);
				vn += payloads[k].n;
			}
			jb_fmt(&b, "%s\"%s\":", f ? "," : "", hfields[f]);
			jb_str(&b, v, vn, (int)(f & 1));
		}
		JB_LIT(&b, "}");
	} else {
		jb_fmt(&b, ",\"hostname\":\"hostile-%s\",\"kernel\":\"6.1.0\",\"backend\":\"tracepoint\"", cls);
	}
	JB_LIT(&b, "}");
	meta(NTL_B_HEADER, &b);
	free(b.p);
}

static void trailer(uint64_t end_ts)
{
	char tj[512];

	if (model_out)
		return;
	snprintf(tj, sizeof(tj), "{\"end_mono_ns\":%llu,\"events\":%llu,\"clean\":true,\"lost\":[]}",
		 (unsigned long long)end_ts, (unsigned long long)ntl_writer_events(w));
	if (ntl_writer_close(w, tj))
		die("%s: %s", out_path, ntl_writer_open_error());
}

/* standard function table entries 0..7 (the packet path tracepoints) */
static const char *std_funcs[8][2] = {
	{ "net:netif_receive_skb", "Device" }, { "net:netif_rx", "Device" },
	{ "net:napi_gro_receive_entry", "GRO" }, { "net:net_dev_queue", "Xmit" },
	{ "net:net_dev_start_xmit", "Xmit" }, { "net:net_dev_xmit", "Xmit" },
	{ "skb:kfree_skb", "Other" }, { "skb:consume_skb", "Other" },
};

static void funcs_std(struct jb *b)
{
	for (int i = 0; i < 8; i++)
		jb_fmt(b, "%s{\"id\":%d,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,\"kind\":\"tracepoint\","
			  "\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"}",
		       i ? "," : "", i, std_funcs[i][0], std_funcs[i][1]);
}

static void simple_meta(void)
{
	struct jb b = { 0 };

	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	jb_fmt(&b, ",{\"id\":8,\"name\":\"ip_rcv\",\"layer\":\"IPv4\",\"priority\":0,\"kind\":\"skb\",\"arg\":1}"
		   ",{\"id\":9,\"name\":\"nft_do_chain\",\"layer\":\"Netfilter\",\"priority\":0,\"kind\":\"nft_hook\",\"arg\":1}]}");
	meta(NTL_B_FUNCS, &b);
	b.len = 0;
	jb_fmt(&b, "{\"interfaces\":[{\"netns\":%u,\"ifindex\":2,\"name\":\"eth0\"}]}", NETNS);
	meta(NTL_B_IFACES, &b);
	b.len = 0;
	jb_fmt(&b, "{\"reasons\":[{\"value\":2,\"name\":\"NOT_SPECIFIED\"},{\"value\":6,\"name\":\"NETFILTER_DROP\"}]}");
	meta(NTL_B_DROP_REASONS, &b);
	free(b.p);
}

static void rec_meta(uint64_t ts, uint64_t skb, uint32_t ifindex, uint32_t i)
{
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb, .id = 0 } };

	m.l3 = NT_L3_IPV4;
	m.ethertype = 0x0800;
	m.l4proto = 6;
	m.saddr[0] = 10;
	m.saddr[1] = (uint8_t)(i >> 16);
	m.saddr[2] = (uint8_t)(i >> 8);
	m.saddr[3] = (uint8_t)i;
	m.daddr[0] = 192;
	m.daddr[1] = 168;
	m.daddr[3] = 1;
	m.sport = (uint16_t)(1024 + i % 60000);
	m.dport = 80;
	m.ifindex = ifindex;
	m.netns = NETNS;
	m.len = 60;
	emit(&m, sizeof(m));
}

static void rec_hdr(uint8_t type, uint32_t id, uint64_t ts, uint64_t skb, uint16_t cpu)
{
	struct nt_ev_hdr h = { .type = type, .id = id, .ts_ns = ts, .skb = skb, .cpu = cpu };

	emit(&h, sizeof(h)); /* FUNC and FREE are a header only */
}

static void rec_drop(uint64_t ts, uint64_t skb, uint32_t func, uint32_t reason)
{
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = func, .ts_ns = ts, .skb = skb } };

	d.reason = reason;
	d.location = 0xffffffff81c0ffeeull;
	emit(&d, sizeof(d));
}

static void rec_chaindef(uint64_t key, const char *table, size_t tn, const char *chain, size_t cn,
			 int hook, int full)
{
	struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF } };

	d.chain_key = key;
	/* FULL: 64 bytes without a terminating NUL; else at most 63 + NUL */
	memcpy(d.table, table, tn < sizeof(d.table) - !full ? tn : sizeof(d.table) - !full);
	memcpy(d.chain, chain, cn < sizeof(d.chain) - !full ? cn : sizeof(d.chain) - !full);
	d.family = 1;
	d.hook = hook < 0 ? NT_HOOK_NONE : (uint8_t)hook;
	d.base = hook >= 0;
	d.policy = NT_V_ACCEPT;
	d.prio = hook >= 0 ? -150 : 0;
	d.netns = NETNS;
	emit(&d, sizeof(d));
}

static void rec_chain(uint64_t ts, uint64_t skb, uint64_t key, int phase, int32_t verdict,
		      uint32_t trace)
{
	struct nt_ev_nft_chain c = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = ts, .skb = skb } };

	c.chain_key = key;
	c.phase = (uint8_t)phase;
	c.verdict = phase == NT_CHAIN_ENTER ? NT_V_NONE : verdict;
	c.family = 1;
	c.hook = NT_HOOK_INPUT;
	c.trace_id = trace;
	emit(&c, sizeof(c));
}

static void rec_rule(uint64_t ts, uint64_t skb, uint64_t key, uint64_t handle, int kind,
		     int32_t verdict, uint64_t target, uint8_t depth, uint32_t trace)
{
	struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = ts, .skb = skb } };

	r.chain_key = key;
	r.rule_handle = handle;
	r.kind = (uint8_t)kind;
	r.verdict = verdict;
	r.target_key = target;
	r.depth = depth;
	r.family = 1;
	r.hook = NT_HOOK_INPUT;
	r.trace_id = trace;
	if (!skb)
		r.h.flags = NT_F_SYNTH | NT_F_UNCORRELATED;
	emit(&r, sizeof(r));
}

static void rec_link(uint64_t ts, uint64_t skb, uint64_t parent, uint32_t kind)
{
	struct nt_ev_link k = { .h = { .type = NT_EV_LINK, .ts_ns = ts, .skb = skb } };

	k.parent = parent;
	k.kind = kind;
	emit(&k, sizeof(k));
}

static void rec_loss(uint64_t ts, uint16_t cpu, uint32_t source, uint64_t count, uint32_t id)
{
	struct nt_ev_loss s = { .h = { .type = NT_EV_LOSS, .ts_ns = ts, .cpu = cpu, .id = id } };

	s.source = source;
	s.count = count;
	emit(&s, sizeof(s));
}

/* ---- names ---- */

/* table / chain names of payload K, truncated to what a CHAINDEF holds (63) */
static size_t name63(char *dst, const char *prefix, size_t k)
{
	size_t n = (size_t)snprintf(dst, 64, "%s", prefix), m = payloads[k].n;

	if (n + m > 63)
		m = 63 - n;
	memcpy(dst + n, payloads[k].s, m);
	dst[n + m] = 0;
	return n + m;
}

static uint64_t key_base(size_t k) { return 0x1000 + k * 4; }
static uint64_t key_jump(size_t k) { return 0x1000 + k * 4 + 1; }

static void names_meta(void)
{
	struct jb b = { 0 };
	char t[64], c[64], j[64];

	/* FUNCS: ids 8 + k: hostile name, layer and module */
	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, ",{\"id\":%zu,\"name\":", 8 + k);
		jb_pay(&b, "fn_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"layer\":");
		jb_pay(&b, "L", &payloads[k], 0);
		JB_LIT(&b, ",\"priority\":0,\"kind\":\"skb\",\"arg\":1,\"module\":");
		jb_pay(&b, "mod", &payloads[k], 0);
		JB_LIT(&b, ",\"addr\":\"0xffffffff81000000\"}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_FUNCS, &b);

	/* KSYMS */
	b.len = 0;
	JB_LIT(&b, "{\"symbols\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, "%s{\"addr\":\"0x%llx\",\"name\":", k ? "," : "",
		       (unsigned long long)(0xffffffff81c0ff00ull + k * 16));
		jb_pay(&b, "ksym_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"module\":");
		jb_pay(&b, "", &payloads[k], 0);
		JB_LIT(&b, "}");
	}
	jb_fmt(&b, ",{\"addr\":\"0xffffffff81c0ffee\",\"name\":\"kfree_skb_reason\",\"module\":\"\"}]}");
	meta(NTL_B_KSYMS, &b);

	/* RULESET: per payload one table holding a base chain and a regular chain */
	b.len = 0;
	JB_LIT(&b, "{\"tables\":[");
	for (size_t k = 0; k < NPAY; k++) {
		name63(t, "T", k);
		name63(c, "C", k);
		name63(j, "J", k);
		jb_fmt(&b, "%s{\"netns\":%u,\"family\":\"inet\",\"name\":", k ? "," : "", NETNS);
		jb_str(&b, t, strlen(t), (int)(k & 1));
		jb_fmt(&b, ",\"handle\":%zu,\"chains\":[{\"name\":", k + 1);
		jb_str(&b, c, strlen(c), 0);
		JB_LIT(&b, ",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\",\"prio\":-150,"
			   "\"policy\":\"accept\",\"rules\":[{\"handle\":1,\"text\":");
		jb_pay(&b, "", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "},{\"handle\":2,\"text\":\"");
		b.len--;
		{
			char txt[2048];
			size_t n = 0;

			n += (size_t)snprintf(txt + n, sizeof(txt) - n, "ip saddr @set_");
			memcpy(txt + n, payloads[k].s, payloads[k].n);
			n += payloads[k].n;
			n += (size_t)snprintf(txt + n, sizeof(txt) - n, " counter jump ");
			memcpy(txt + n, j, strlen(j));
			n += strlen(j);
			n += (size_t)snprintf(txt + n, sizeof(txt) - n, " comment \"");
			memcpy(txt + n, payloads[k].s, payloads[k].n);
			n += payloads[k].n;
			txt[n++] = '"';
			jb_str(&b, txt, n, 0);
		}
		JB_LIT(&b, "}]},{\"name\":");
		jb_str(&b, j, strlen(j), 0);
		JB_LIT(&b, ",\"handle\":2,\"rules\":[{\"handle\":3,\"text\":");
		jb_pay(&b, "meta mark set 1 comment ", &payloads[k], 1);
		JB_LIT(&b, "}]}]}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_RULESET, &b);

	/* IFACES: ifindex 100 + k */
	b.len = 0;
	JB_LIT(&b, "{\"interfaces\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, "%s{\"netns\":%u,\"ifindex\":%zu,\"name\":", k ? "," : "", NETNS, 100 + k);
		jb_pay(&b, "if", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_IFACES, &b);

	/* DROP_REASONS: 1000 + k */
	b.len = 0;
	JB_LIT(&b, "{\"reasons\":[{\"value\":6,\"name\":\"NETFILTER_DROP\"}");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, ",{\"value\":%zu,\"name\":", 1000 + k);
		jb_pay(&b, "R_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_DROP_REASONS, &b);
	free(b.p);
}

static void gen_names(uint64_t copies)
{
	uint64_t ts = BASE_TS;
	char t[64], c[64], j[64];

	header("names");
	names_meta();
	/* chain definitions first (as the recorder writes them: before use) */
	for (size_t k = 0; k < NPAY; k++) {
		size_t tn = name63(t, "T", k), cn = name63(c, "C", k), jn = name63(j, "J", k);

		rec_chaindef(key_base(k), t, tn, c, cn, NT_HOOK_INPUT, 0);
		rec_chaindef(key_jump(k), t, tn, j, jn, -1, 0);
	}
	{
		/* 64 bytes without NUL in both names */
		char full[64];

		memset(full, 'A', sizeof(full));
		memcpy(full, payloads[2].s, payloads[2].n < 64 ? payloads[2].n : 64);
		rec_chaindef(0xF000, full, 64, full, 64, NT_HOOK_INPUT, 1);
	}
	for (uint64_t rep = 0; rep < copies; rep++) {
		for (size_t k = 0; k <= NPAY; k++) {
			uint64_t id = rep * (NPAY + 1) + k;
			uint64_t skb = SKB(2 * id), clone = SKB(2 * id + 1);
			uint32_t trace = (uint32_t)(0x1000 + id);
			int drop = k % 2 == 1;
			size_t pk = k < NPAY ? k : 2;
			uint64_t kb = k < NPAY ? key_base(k) : 0xF000;

			rec_meta(ts += 1000, skb, (uint32_t)(100 + pk), (uint32_t)id);
			rec_hdr(NT_EV_FUNC, 0, ts += 1000, skb, 0);
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + pk), ts += 1000, skb, 0);
			rec_chain(ts += 1000, skb, kb, NT_CHAIN_ENTER, 0, trace);
			rec_rule(ts += 1000, skb, kb, 2, NT_RULE_KIND_RULE, NT_V_JUMP, key_jump(pk), 0, trace);
			rec_rule(ts += 1000, skb, key_jump(pk), 3, NT_RULE_KIND_RULE, NT_V_CONTINUE, 0, 1, trace);
			rec_rule(ts += 1000, skb, key_jump(pk), 0, NT_RULE_KIND_RETURN, NT_V_CONTINUE, 0, 1, trace);
			rec_rule(ts += 1000, skb, kb, 1, NT_RULE_KIND_RULE, drop ? NT_V_DROP : NT_V_ACCEPT, 0, 0,
				 trace);
			/* the same trace id without skb: attached by trace id */
			rec_rule(ts += 1000, 0, kb, 1, NT_RULE_KIND_RULE, drop ? NT_V_DROP : NT_V_ACCEPT, 0, 0,
				 trace);
			rec_chain(ts += 1000, skb, kb, NT_CHAIN_EXIT, drop ? NT_V_DROP : NT_V_ACCEPT, trace);
			rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + pk), ts += 1000, clone, 1);
			rec_hdr(NT_EV_FREE, 7, ts += 1000, clone, 1);
			if (drop)
				rec_drop(ts += 1000, skb, (uint32_t)(8 + pk), (uint32_t)(1000 + pk));
			else
				rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
		}
	}
	/* an uncorrelated step, a loss record */
	rec_rule(ts += 1000, 0, key_base(0), 1, NT_RULE_KIND_RULE, NT_V_ACCEPT, 0, 0, 0xdead);
	rec_loss(ts += 1000, 0, NT_LOSS_RINGBUF, 3, 0);
	trailer(ts);
}

/* ---- memory and time classes ---- */
static void gen_openpkts(uint64_t n)
{
	uint64_t ts = BASE_TS;

	header("openpkts");
	simple_meta();
	for (uint64_t i = 0; i < n; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	trailer(ts);
}

static void gen_discards(uint64_t n)
{
	uint64_t ts = BASE_TS;
	uint64_t open = n >= 20000 ? 300000 : n / 2; /* seeds: small */

	header("discards");
	simple_meta();
	for (uint64_t i = 0; i < open; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(1000000 + 2 * i), clone = skb + 0x100;
		struct nt_ev_hdr h = { .type = NT_EV_FREE, .flags = 0x10, .id = 7, .skb = skb };

		rec_hdr(NT_EV_FUNC, 8, ts += 1000, skb, 0);
		rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
		h.ts_ns = ts += 1000;
		emit(&h, sizeof(h));
	}
	trailer(ts);
}

static void gen_clones(uint64_t n)
{
	uint64_t ts = BASE_TS, skb = SKB(1);

	header("clones");
	simple_meta();
	rec_meta(ts, skb, 2, 1);
	for (uint64_t i = 0; i < n; i++)
		rec_link(ts += 100, SKB(2 + i), skb, NT_LINK_CLONE);
	rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	trailer(ts);
}

/* META of a fragment of the datagram 10.0.0.1 -> 192.168.0.1 id 4242 */
static void rec_frag(uint64_t ts, uint64_t skb, uint16_t off)
{
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb } };

	m.l3 = NT_L3_IPV4;
	m.ethertype = 0x0800;
	m.l4proto = 17;
	m.saddr[0] = 10;
	m.saddr[3] = 1;
	m.daddr[0] = 192;
	m.daddr[1] = 168;
	m.daddr[3] = 1;
	m.ip_id = 4242;
	m.frag_id = 4242;
	m.frag = (uint16_t)(NT_FRAG_IS | NT_FRAG_MF | (off & 0x1fff));
	m.ifindex = 2;
	m.netns = NETNS;
	m.len = 1500;
	emit(&m, sizeof(m));
}

static void gen_fragmerge(uint64_t n)
{
	uint64_t ts = BASE_TS;
	uint64_t open = n >= 20000 ? 300000 : n / 2; /* seeds: small */

	header("fragmerge");
	simple_meta();
	for (uint64_t i = 0; i < open; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	rec_frag(ts += 1000, SKB(open), 0); /* the datagram's journey */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(open + 1 + 2 * i), clone = skb + 0x100;

		rec_hdr(NT_EV_FUNC, 8, ts += 1000, skb, 0);
		rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
		rec_frag(ts += 1000, skb, (uint16_t)(1 + i % 8000));
		rec_hdr(NT_EV_FREE, 7, ts += 1000, clone, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
	}
	trailer(ts);
}

static void gen_bigpacket(uint64_t n)
{
	uint64_t ts = BASE_TS, skb = SKB(1);

	header("bigpacket");
	simple_meta();
	rec_meta(ts, skb, 2, 1);
	for (uint64_t i = 0; i < n; i++)
		rec_hdr(NT_EV_FUNC, (uint32_t)(i & 1 ? 8 : 0), ts += 100, skb, 0);
	rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	trailer(ts);
}

/* A RULESET document of about SIZE bytes: table "filter", chain "input",
 * rules 1.. with distinct realistic text. */
static void big_ruleset(struct jb *b, uint64_t size, uint64_t *nrules)
{
	uint64_t h = 0;

	jb_fmt(b, "{\"tables\":[{\"netns\":%u,\"family\":\"inet\",\"name\":\"filter\",\"handle\":1,"
		  "\"chains\":[{\"name\":\"input\",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\","
		  "\"prio\":0,\"policy\":\"accept\",\"rules\":[", NETNS);
	while (b->len + 200 < size) {
		h++;
		jb_fmt(b, "%s{\"handle\":%llu,\"text\":\"ip saddr 10.%u.%u.%u tcp dport { 22, 80, 443, %u } "
			  "counter packets 0 bytes 0 accept comment \\\"rule %llu\\\"\"}",
		       h > 1 ? "," : "", (unsigned long long)h, (unsigned)(h >> 16 & 255),
		       (unsigned)(h >> 8 & 255), (unsigned)(h & 255), (unsigned)(1024 + h % 60000),
		       (unsigned long long)h);
	}
	JB_LIT(b, "]}]}]}");
	*nrules = h;
}

static void chaindef_filter_input(void)
{
	rec_chaindef(0x77, "filter", 6, "input", 5, NT_HOOK_INPUT, 0);
}

static void packets_hitting(uint64_t npk, uint64_t nrules, uint64_t *ts)
{
	for (uint64_t i = 0; i < npk; i++) {
		uint64_t skb = SKB(i);

		rec_meta(*ts += 1000, skb, 2, (uint32_t)i);
		rec_chain(*ts += 1000, skb, 0x77, NT_CHAIN_ENTER, 0, (uint32_t)i + 1);
		rec_rule(*ts += 1000, skb, 0x77, 1 + (nrules ? i % nrules : 0), NT_RULE_KIND_RULE,
			 NT_V_ACCEPT, 0, 0, (uint32_t)i + 1);
		rec_chain(*ts += 1000, skb, 0x77, NT_CHAIN_EXIT, NT_V_ACCEPT, (uint32_t)i + 1);
		rec_hdr(NT_EV_FREE, 7, *ts += 1000, skb, 0);
	}
}

static void gen_rulesets(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS, nrules;

	header("rulesets");
	simple_meta();
	big_ruleset(&b, size, &nrules);
	for (uint64_t i = 0; i < n; i++)
		meta(NTL_B_RULESET, &b);
	free(b.p);
	chaindef_filter_input();
	packets_hitting(100, nrules, &ts);
	trailer(ts);
}

static void gen_longrule(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;
	char el[64];

	header("longrule");
	simple_meta();
	jb_fmt(&b, "{\"tables\":[{\"netns\":%u,\"family\":\"inet\",\"name\":\"filter\",\"handle\":1,"
		   "\"chains\":[{\"name\":\"input\",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\","
		   "\"prio\":0,\"policy\":\"accept\",\"rules\":[{\"handle\":1,\"text\":\"ip saddr { ", NETNS);
	for (uint64_t i = 0; b.len + 40 < size; i++) {
		int k = snprintf(el, sizeof(el), "10.%u.%u.%u, ", (unsigned)(i >> 16 & 255),
				 (unsigned)(i >> 8 & 255), (unsigned)(i & 255));

		jb_mem(&b, el, (size_t)k);
	}
	JB_LIT(&b, "10.255.255.255 } drop\"}]}]}]}");
	meta(NTL_B_RULESET, &b);
	free(b.p);
	chaindef_filter_input();
	packets_hitting(n, 1, &ts);
	trailer(ts);
}

static void gen_tswrap(uint64_t n)
{
	/* every record within 2.4 s of 2^64: ts + idle/4 (2.5 s) wraps for each */
	uint64_t ts = UINT64_MAX - 2400000000ull, step = n ? 2300000000ull / (2 * n) : 1;

	header("tswrap");
	simple_meta();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(i);

		rec_hdr(NT_EV_FUNC, 8, ts += step, skb, 0);
		if (i % 10)
			rec_hdr(NT_EV_FREE, 7, ts += step, skb, 0);
	}
	/* the last records at the very end of time */
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX - 1, SKB(n + 1), 0);
	rec_hdr(NT_EV_FREE, 7, UINT64_MAX, SKB(n + 1), 0);
	trailer(UINT64_MAX);
}

static void gen_durwrap(void)
{
	header("durwrap");
	simple_meta();
	/* first record at ts 0, the rest later */
	rec_meta(0, SKB(1), 2, 1);
	rec_hdr(NT_EV_FUNC, 8, 5, SKB(1), 0);
	rec_hdr(NT_EV_FREE, 7, 10, SKB(1), 0);
	/* first record at ts 0, then an inferred free (it does not extend the
	 * packet): first_ts 5 > last_ts 0 gave duration 2^64 - 5 */
	rec_hdr(NT_EV_FUNC, 8, 0, SKB(6), 0);
	{
		struct nt_ev_hdr f = { .type = NT_EV_FREE, .flags = NT_F_INFERRED, .id = 7, .ts_ns = 5,
				       .skb = SKB(6) };

		emit(&f, sizeof(f));
	}
	/* time going backwards inside a packet */
	rec_meta(BASE_TS + 1000, SKB(2), 2, 2);
	rec_hdr(NT_EV_FUNC, 8, BASE_TS, SKB(2), 0);
	rec_hdr(NT_EV_FUNC, 0, 7, SKB(2), 0);
	rec_hdr(NT_EV_FREE, 7, 3, SKB(2), 1);
	/* a packet from 1 to 2^64 - 1, with a clone at 0 */
	rec_meta(1, SKB(3), 2, 3);
	rec_link(0, SKB(4), SKB(3), NT_LINK_CLONE);
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX, SKB(4), 0);
	rec_hdr(NT_EV_FREE, 7, UINT64_MAX, SKB(4), 0);
	rec_hdr(NT_EV_FUNC, 0, UINT64_MAX - 1, SKB(3), 0);
	rec_drop(UINT64_MAX, SKB(3), 6, 6);
	/* an open packet at the end of time (incomplete, idle sweep) */
	rec_hdr(NT_EV_FUNC, 8, UINT64_MAX, SKB(5), 0);
	trailer(0);
}

static void gen_losswrap(void)
{
	uint64_t ts = BASE_TS;

	header("losswrap");
	simple_meta();
	rec_meta(ts += 1000, SKB(1), 2, 1);
	rec_hdr(NT_EV_FREE, 7, ts += 1000, SKB(1), 0);
	for (uint16_t cpu = 0; cpu < 64; cpu++) {
		rec_loss(ts += 1000, cpu, NT_LOSS_RINGBUF, UINT64_MAX - cpu, 0);
		rec_loss(ts += 1000, cpu, NT_LOSS_USER, UINT64_MAX / 2 + cpu, 0);
		/* going backwards (a restarted counter) */
		rec_loss(ts += 1000, cpu, NT_LOSS_RINGBUF, 5, 0);
	}
	for (uint32_t ns = 0; ns < 64; ns++)
		rec_loss(ts += 1000, 0xffff, NT_LOSS_NETLINK, UINT64_MAX - ns, NETNS + ns);
	/* unknown sources, cpu 0xffff, id 0 */
	rec_loss(ts += 1000, 0xffff, 0, UINT64_MAX, 0);
	rec_loss(ts += 1000, 0xffff, 99, UINT64_MAX, 0);
	rec_loss(ts += 1000, 0xfffe, NT_LOSS_RINGBUF, UINT64_MAX, 0);
	trailer(ts);
}

static void gen_flame(uint64_t n)
{
	static const char *layers[] = { "Device", "GRO", "Netfilter", "IPv4", "IPv6", "TCP", "UDP",
					"Routing", "Xmit", "SoftIRQ", "Bridge", "Socket", "Other" };
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;

	header("flame");
	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	for (uint64_t i = 0; i < n; i++)
		jb_fmt(&b, ",{\"id\":%llu,\"name\":\"fn_%06llx_%s\",\"layer\":\"%s\",\"priority\":3,\"kind\":\"skb\",\"arg\":1}",
		       (unsigned long long)(8 + i), (unsigned long long)i, i % 7 ? "x" : "y;z",
		       layers[i % 13]);
	JB_LIT(&b, "]}");
	meta(NTL_B_FUNCS, &b);
	free(b.p);
	/* packets of 100 functions each, every function once */
	for (uint64_t i = 0; i < n; i += 100) {
		uint64_t skb = SKB(i / 100);

		rec_meta(ts += 100, skb, 2, (uint32_t)(i / 100));
		for (uint64_t k = i; k < i + 100 && k < n; k++)
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + k), ts += 100, skb, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	}
	trailer(ts);
}

static void gen_chaindefs(uint64_t n)
{
	uint64_t ts = BASE_TS;

	header("chaindefs");
	simple_meta();
	for (uint64_t i = 0; i < n; i++) {
		char t[64], c[64];
		const struct payload *p = &payloads[i % NPAY];
		size_t tn = (size_t)snprintf(t, sizeof(t), "t%llu_", (unsigned long long)i);
		size_t cn;

		memcpy(t + tn, p->s, p->n < 63 - tn ? p->n : 63 - tn);
		tn += p->n < 63 - tn ? p->n : 63 - tn;
		cn = (size_t)snprintf(c, sizeof(c), "c%llu", (unsigned long long)i);
		rec_chaindef(0x100000 + i, t, tn, c, cn, (int)(i % 5), 0);
	}
	/* packets using the first and the last definitions */
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t skb = SKB(i), key = 0x100000 + (i & 1 ? n - 1 - i : i);

		rec_meta(ts += 1000, skb, 2, (uint32_t)i);
		rec_chain(ts += 1000, skb, key, NT_CHAIN_ENTER, 0, 0);
		rec_rule(ts += 1000, skb, key, 1, NT_RULE_KIND_POLICY, NT_V_ACCEPT, 0, 0, 0);
		rec_chain(ts += 1000, skb, key, NT_CHAIN_EXIT, NT_V_ACCEPT, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
	}
	trailer(ts);
}

static void gen_ifaces(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;

	header("ifaces");
	simple_meta();
	JB_LIT(&b, "{\"interfaces\":[");
	for (uint64_t i = 0; b.len + 200 < size; i++) {
		jb_fmt(&b, "%s{\"netns\":%llu,\"ifindex\":%llu,\"name\":", i ? "," : "",
		       (unsigned long long)(NETNS + i / 65536), (unsigned long long)(i % 65536 + 1));
		jb_pay(&b, "veth_with_a_long_name_", &payloads[i % NPAY], 0);
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	for (uint64_t i = 0; i < n; i++)
		meta(NTL_B_IFACES, &b);
	free(b.p);
	for (uint64_t i = 0; i < 10; i++) {
		rec_meta(ts += 1000, SKB(i), (uint32_t)(1 + i), (uint32_t)i);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, SKB(i), 0);
	}
	trailer(ts);
}

/* ---- non-log inputs ---- */
static FILE *open_out(int force)
{
	FILE *f;

	if (!force) {
		struct stat st;

		if (!lstat(out_path, &st))
			die("%s: file exists (use --force)", out_path);
	}
	f = fopen(out_path, "w");
	if (!f)
		die("%s: %s", out_path, strerror(errno));
	return f;
}

static void gen_kallsyms(int force)
{
	FILE *f = open_out(force);

	fprintf(f, "ffffffff81000000 T _text\nffffffff81a2b3c0 T ip_rcv\n");
	for (size_t k = 0; k < NPAY; k++) {
		/* one line per payload; a newline inside a payload starts a new line */
		fprintf(f, "ffffffff81c%05zx t ksym_", k);
		fwrite(payloads[k].s, 1, payloads[k].n, f);
		fprintf(f, "\t[mod_");
		fwrite(payloads[k].s, 1, payloads[k].n, f);
		fprintf(f, "]\n");
	}
	if (fclose(f))
		die("%s: %s", out_path, strerror(errno));
}

static void gen_config(int force)
{
	FILE *f = open_out(force);
	struct jb b = { 0 };

	JB_LIT(&b, "{\"version\":\"1.0\",\"generator\":\"mkhostile\",\"functions\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_mem(&b, k ? ",{\"name\":" : "{\"name\":", k ? 9 : 8);
		jb_pay(&b, "fn_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"layer\":");
		/* an unknown layer with a hostile name: the error message quotes it */
		jb_pay(&b, "", &payloads[k], 0);
		JB_LIT(&b, ",\"priority\":0,\"enabled\":true}");
	}
	JB_LIT(&b, "]}");
	fwrite(b.p, 1, b.len, f);
	free(b.p);
	if (fclose(f))
		die("%s: %s", out_path, strerror(errno));
}

/* ---- main ---- */
struct cls {
	const char *name;
	uint64_t n, size;
	uint64_t seed_n, seed_size;
	const char *what;
};
static const struct cls classes[] = {
	{ "names", 1, 0, 1, 0, "every payload in every string field of every block" },
	{ "openpkts", 4000000, 0, 2000, 0, "N skbs never freed (open packets)" },
	{ "discards", 1000000, 0, 2000, 0, "N discarded packets with a clone among 300 k open ones" },
	{ "bigpacket", 50000000, 0, 20000, 0, "one packet of N records" },
	{ "fragmerge", 1000000, 0, 2000, 0, "N fragments with a clone joining one datagram among 300 k open packets" },
	{ "clones", 10000000, 0, 2000, 0, "one packet with N clones never freed (skb states)" },
	{ "rulesets", 40, 16u << 20, 4, 8192, "the same RULESET block N times, --size bytes each" },
	{ "longrule", 100, 62000000, 4, 20000, "a rule text of --size bytes in N packets" },
	{ "tswrap", 1000000, 0, 2000, 0, "timestamps near 2^64 (idle-sweep deadline wraps)" },
	{ "durwrap", 0, 0, 0, 0, "durations that wrap (ts 0 first, ts backwards)" },
	{ "losswrap", 0, 0, 0, 0, "LOSS totals near 2^64 (sums wrap)" },
	{ "flame", 200000, 0, 2000, 0, "N functions each hit once (flame --svg)" },
	{ "chaindefs", 2000000, 0, 2000, 0, "N chain definitions with hostile names" },
	{ "ifaces", 40, 16u << 20, 4, 8192, "N IFACES blocks of --size bytes" },
	{ "kallsyms", 0, 0, 0, 0, "kallsyms text with hostile names (not a log)" },
	{ "config", 0, 0, 0, 0, "trace_config.json with hostile names (not a log)" },
};
#define NCLS (sizeof(classes) / sizeof(classes[0]))

static void generate(const struct cls *c, const char *path, uint64_t n, uint64_t size, int force,
		     int model)
{
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = force };

	out_path = path;
	if (!strcmp(c->name, "kallsyms"))
		return gen_kallsyms(force);
	if (!strcmp(c->name, "config"))
		return gen_config(force);
	/* big metadata compresses well at level 1 and is written much faster */
	wo.zstd_level = 1;
	if (model) {
		model_out = fopen(path, "w");
		if (!model_out)
			die("%s: %s", path, strerror(errno));
	} else if (ntl_writer_open(&w, path, &wo)) {
		die("%s", ntl_writer_open_error());
	}
	if (!strcmp(c->name, "names")) gen_names(n);
	else if (!strcmp(c->name, "openpkts")) gen_openpkts(n);
	else if (!strcmp(c->name, "discards")) gen_discards(n);
	else if (!strcmp(c->name, "bigpacket")) gen_bigpacket(n);
	else if (!strcmp(c->name, "clones")) gen_clones(n);
	else if (!strcmp(c->name, "fragmerge")) gen_fragmerge(n);
	else if (!strcmp(c->name, "rulesets")) gen_rulesets(n, size);
	else if (!strcmp(c->name, "longrule")) gen_longrule(n, size);
	else if (!strcmp(c->name, "tswrap")) gen_tswrap(n);
	else if (!strcmp(c->name, "durwrap")) gen_durwrap();
	else if (!strcmp(c->name, "losswrap")) gen_losswrap();
	else if (!strcmp(c->name, "flame")) gen_flame(n);
	else if (!strcmp(c->name, "chaindefs")) gen_chaindefs(n);
	else if (!strcmp(c->name, "ifaces")) gen_ifaces(n, size);
	if (model_out) {
		if (fclose(model_out))
			die("%s: %s", path, strerror(errno));
		model_out = NULL;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: mkhostile CLASS -o OUT [-n N] [--size BYTES] [--force]\n"
			"       mkhostile --list | --seeds DIR\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *e;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno || e == s || *e || s[0] == '-')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *cls = NULL, *out = NULL, *seeds = NULL, *mseeds = NULL;
	uint64_t n = 0, size = 0;
	int force = 0, has_n = 0, has_size = 0;
	const struct cls *c = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = num(argv[++i]), has_n = 1;
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = num(argv[++i]), has_size = 1;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = argv[++i];
		else if (!strcmp(argv[i], "--model-seeds") && i + 1 < argc)
			mseeds = argv[++i];
		else if (!strcmp(argv[i], "--payloads")) {
			/* for the test driver: "ID HEX" per payload */
			for (size_t k = 0; k < NPAY; k++) {
				printf("%s ", payloads[k].id);
				for (size_t j = 0; j < payloads[k].n; j++)
					printf("%02x", (unsigned char)payloads[k].s[j]);
				printf("\n");
			}
			return 0;
		} else if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < NCLS; k++)
				printf("%-10s N=%-9llu size=%-9llu %s\n", classes[k].name,
				       (unsigned long long)classes[k].n,
				       (unsigned long long)classes[k].size, classes[k].what);
			printf("payloads:");
			for (size_t k = 0; k < NPAY; k++)
				printf(" %s", payloads[k].id);
			printf("\n");
			return 0;
		} else if (argv[i][0] == '-')
			usage();
		else
			cls = argv[i];
	}
	if (seeds) {
		char path[4096];

		for (size_t k = 0; k < NCLS; k++) {
			snprintf(path, sizeof(path), "%s/hostile-%s.%s", seeds, classes[k].name,
				 !strcmp(classes[k].name, "kallsyms") ? "txt" :
				 !strcmp(classes[k].name, "config") ? "json" : "ntl");
			generate(&classes[k], path, classes[k].seed_n, classes[k].seed_size, 1, 0);
		}
		return 0;
	}
	if (mseeds) {
		char path[4096];

		for (size_t k = 0; k < NCLS; k++) {
			if (!strcmp(classes[k].name, "kallsyms") || !strcmp(classes[k].name, "config"))
				continue;
			for (int keep = 0; keep < 2; keep++) {
				struct stat st;
				FILE *f;

				snprintf(path, sizeof(path), "%s/hostile-%s%s", mseeds, classes[k].name,
					 keep ? "-kept" : "");
				generate(&classes[k], path, classes[k].seed_n, classes[k].seed_size, 1, 1);
				/* fuzz_model keeps records for inputs of odd length */
				if (stat(path, &st))
					die("%s: %s", path, strerror(errno));
				if ((st.st_size & 1) != keep) {
					f = fopen(path, "a");
					if (!f || fputc(0, f) == EOF || fclose(f))
						die("%s: %s", path, strerror(errno));
				}
			}
		}
		return 0;
	}
	if (!cls || !out)
		usage();
	for (size_t k = 0; k < NCLS; k++)
		if (!strcmp(classes[k].name, cls))
			c = &classes[k];
	if (!c)
		die("unknown class '%s' (mkhostile --list)", cls);
	generate(c, out, has_n ? n : c->n, has_size ? size : c->size, force, 0);
	return 0;
}
