/* test_log_v2.c - .ntl codec, format version 2: the type table, unknown
 * types skipped by size, layouts of other versions, the records of v2 (DEV,
 * COUNT, CT, BYTES, STACKREF), the STACKS block; version 1: test_log.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/nt_test.h"
#include "formats/logw.h"
#include "formats/logr.h"
#include "formats/stacks.h"
#include "tests/unit/log_helpers.h"

/* ---- format version 2: type table, unknown types, layouts of other versions ---- */

/* A v2 EVENTS payload (uncompressed) of N records with a type table of NT
 * entries (sizes[1..nt]); bodies given back to back. */
static size_t v2_events(uint8_t *o, unsigned int nt, const uint16_t *sizes, uint32_t n,
			const uint8_t *types, const uint8_t *bodies, size_t blen)
{
	uint8_t *p = o;

	*p++ = 1;           /* coding */
	*p++ = (uint8_t)nt;
	for (unsigned int t = 1; t <= nt; t++, p += 2)
		memcpy(p, &sizes[t], 2);
	memcpy(p, &n, 4);
	p += 4;
	memcpy(p, types, n);             /* type */
	memset(p + n, 0, n);             /* flags */
	memset(p + 2 * n, 0, 2 * n);     /* cpu */
	memset(p + 4 * n, 0, 4 * n);     /* id */
	for (uint32_t i = 0; i < n; i++) { /* ts +10 each, skb 0x1000 */
		uint64_t d = 10, x = i == 0 ? 0x1000 : 0;

		memcpy(p + 8 * n + 8 * i, &d, 8);
		memcpy(p + 16 * n + 8 * i, &x, 8);
	}
	p += 24 * n;
	memcpy(p, bodies, blen);
	return (size_t)(p + blen - o);
}

static size_t v2_file(uint8_t *o, const uint8_t *ev, size_t evlen)
{
	uint32_t v2 = 2, v0 = 0;

	memcpy(o, "NTLOG\0\r\n", 8);
	memcpy(o + 8, &v2, 4);
	memcpy(o + 12, &v0, 4);
	return 16 + put_block(o + 16, NTL_B_EVENTS, 2, (uint32_t)evlen, (uint32_t)evlen, ev, evlen);
}

TEST(v2_unknown_types_skipped_by_size)
{
	/* FUNC, an unknown fixed type 40 (40 bytes), DEV, an unknown variable
	 * type 41 (its body starts with its total length, 30), FREE */
	uint16_t sizes[42] = { 0 };
	uint8_t types[5] = { NT_EV_FUNC, 40, NT_EV_DEV, 41, NT_EV_FREE };
	uint8_t bodies[16 + 8 + 6], ev[1024], file[2048];
	struct ntl_reader *r;
	struct ntl_item it;
	size_t elen, flen;
	int got = 0;

	sizes[NT_EV_FUNC] = 24, sizes[NT_EV_DEV] = 32, sizes[NT_EV_FREE] = 24;
	sizes[40] = 40, sizes[41] = 0xffff;
	memset(bodies, 0xaa, 16);             /* type 40 body */
	memset(bodies + 16, 0, 8);            /* DEV: ifindex 7, netns 9 */
	bodies[16] = 7, bodies[20] = 9;
	bodies[24] = 30, bodies[25] = 0;      /* type 41: total length 30 */
	memset(bodies + 26, 0xbb, 4);
	elen = v2_events(ev, 41, sizes, 5, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	while (ntl_reader_next(r, &it) == NTL_OK) {
		const struct nt_ev_hdr *h = it.data;

		CHECK_EQ_INT(it.kind, NTL_ITEM_EVENT);
		if (got == 0)
			CHECK(h->type == NT_EV_FUNC && h->ts_ns == 10 && h->skb == 0x1000);
		if (got == 1) {
			const struct nt_ev_dev *d = it.data;

			CHECK(h->type == NT_EV_DEV && it.len == 32 && d->ifindex == 7 && d->netns == 9);
			CHECK_EQ_INT(h->ts_ns, 30); /* the skipped record's delta counts */
		}
		if (got == 2)
			CHECK(h->type == NT_EV_FREE && h->ts_ns == 50);
		got++;
	}
	CHECK_EQ_INT(got, 3);
	CHECK_EQ_INT(ntl_reader_skipped(r), 2);
	ntl_reader_close(r);
}

TEST(v2_shorter_and_longer_layouts)
{
	/* a META of 88 bytes (format 1 layout) reads as the current layout with
	 * the new fields zero; a META of 100 bytes (a newer, longer layout)
	 * reads as its known prefix */
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[1] = { NT_EV_META }, bodies[76], ev[512], file[1024];
	struct ntl_reader *r;
	struct ntl_item it;
	const struct nt_ev_meta *m;
	size_t elen, flen;

	sizes[NT_EV_META] = 88;
	memset(bodies, 0x11, sizeof(bodies));
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, 64);
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	m = it.data;
	CHECK_EQ_INT(it.len, sizeof(struct nt_ev_meta));
	CHECK(m->l4_extra == 0x11111111u && m->frag_id == 0 && m->frag == 0 && m->l4_csum == 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	ntl_reader_close(r);

	sizes[NT_EV_META] = 100;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, 76);
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	m = it.data;
	CHECK_EQ_INT(it.len, sizeof(struct nt_ev_meta));
	CHECK(m->frag_id == 0x11111111u && m->l4_csum == 0x1111);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	ntl_reader_close(r);
}

TEST(v2_type_table_damage)
{
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[2] = { NT_EV_FUNC, NT_EV_DEV }, bodies[8] = { 0 }, ev[512], file[1024];
	char msg[800];
	int st, metas;
	size_t elen, flen;

	/* DEV absent from the table */
	sizes[NT_EV_FUNC] = 24;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: record 1 has unknown type 10: 0 events read before it");
	/* a size below the record header */
	sizes[NT_EV_DEV] = 20;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: type 10 has records of 20 bytes (less than the 24-byte header): 0 events read before it");
	/* unknown coding */
	sizes[NT_EV_DEV] = 32;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	ev[0] = 7;
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block with unknown coding 7 (written by a newer nft-tracer? upgrade): 0 events read before it");
	/* a variable record whose length runs past the block */
	types[1] = 41;
	{
		uint16_t s2[42] = { 0 };
		uint8_t b2[4] = { 200, 0, 0, 0 };

		s2[NT_EV_FUNC] = 24, s2[41] = 0xffff;
		elen = v2_events(ev, 41, s2, 2, types, b2, sizeof(b2));
		flen = v2_file(file, ev, elen);
		read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK(strstr(msg, "record sizes add up to more than") != NULL);
	}
}

TEST(v2_roundtrip_new_records)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1 };
	struct ntl_writer *w;
	struct ntl_reader *r;
	struct ntl_item it;
	struct nt_ev_dev d = { .h = { .type = NT_EV_DEV, .id = 3, .ts_ns = 5, .skb = 0xff00 }, .ifindex = 4, .netns = 4026531840u };
	struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .ts_ns = 6 }, .value = 12345, .counter = NT_CNT_LATE };
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = 7, .skb = 0xff00 }, .frag_id = 0xabcdef01u,
				.frag = NT_FRAG_IS | NT_FRAG_MF | 185, .l4_csum = 0xbeef };
	uint8_t bad[24] = { NT_EV_INTERNAL };

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	CHECK_EQ_INT(ntl_writer_event(w, bad, sizeof(bad)), -EINVAL); /* internal types never written */
	CHECK_EQ_INT(ntl_writer_event(w, &d, sizeof(d)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &c, sizeof(c)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &m, sizeof(m)), 0);
	CHECK_EQ_INT(ntl_writer_close(w, "{}"), 0);
	CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
	CHECK_EQ_INT(ntl_reader_version(r), 2);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(d) && !memcmp(it.data, &d, sizeof(d)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(c) && !memcmp(it.data, &c, sizeof(c)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(m) && !memcmp(it.data, &m, sizeof(m)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK); /* trailer */
	CHECK_EQ_INT(it.kind, NTL_ITEM_META);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	CHECK_EQ_INT(ntl_reader_skipped(r), 0);
	ntl_reader_close(r);
}

/* ---- issue #18: CT, BYTES (variable size), STACKREF, STACKS block ---- */

/* A BYTES record of CAPLEN bytes (data[i] = i ^ seed) into BUF; its length. */
static size_t mk_bytes(uint8_t *buf, uint16_t caplen, uint64_t ts, uint8_t seed)
{
	struct nt_ev_bytes b = { .h = { .type = NT_EV_BYTES, .cpu = 1, .id = 9, .ts_ns = ts, .skb = 0xff00 },
				 .reclen = (uint16_t)NT_BYTES_RECLEN(caplen), .caplen = caplen,
				 .origlen = 1500u + caplen, .link = NT_BYTES_MAC, .why = NT_BYTES_CHANGED,
				 .ethertype = 0x0800, .ifindex = 3, .netns = 4026531840u, .net_off = 14 };

	memcpy(buf, &b, sizeof(b));
	memset(buf + sizeof(b), 0, b.reclen - sizeof(b));
	for (unsigned int i = 0; i < caplen; i++)
		buf[sizeof(b) + i] = (uint8_t)(i ^ seed);
	return b.reclen;
}

TEST(v2_roundtrip_ct_bytes_stackref_stacks)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = 4096 };
	struct ntl_writer *w;
	struct ntl_reader *r;
	struct ntl_item it;
	struct nt_ev_ct ct = { .h = { .type = NT_EV_CT, .id = 4, .ts_ns = 10, .skb = 0xff00 },
			       .ct_addr = 0xffff888012345678ull, .ct_id = 0xdeadbeef,
			       .status = NT_CT_S_CONFIRMED | NT_CT_S_SRC_NAT | NT_CT_S_SRC_NAT_DONE,
			       .mark = 0x42, .zone = 7, .have = 0xff, .state = NT_CT_STATE_ESTABLISHED,
			       .dir = NT_CT_DIR_REPLY, .l3 = NT_L3_IPV4, .l4proto = 6,
			       .orig = { .sport = 40000, .dport = 80 }, .reply = { .sport = 80, .dport = 1024 } };
	struct nt_ev_stackref sr = { .h = { .type = NT_EV_STACKREF, .id = 4, .ts_ns = 11, .skb = 0xff00 },
				     .stack_id = 3 };
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 12, .skb = 0xff00 },
				.location = 0xffffffff81000010ull, .reason = 6, .stack_id = 3 };
	static const uint16_t caps[] = { 0, 1, 7, 64, 255, NT_BYTES_MAX };
	uint64_t frames[NT_STACK_MAX_FRAMES], got_frames[NT_STACK_MAX_FRAMES];
	_Alignas(8) uint8_t recs[sizeof(caps) / sizeof(caps[0])][sizeof(struct nt_ev_bytes) + NT_BYTES_MAX];
	size_t lens[sizeof(caps) / sizeof(caps[0])];
	uint8_t sbuf[4096];
	size_t slen;
	unsigned int nb = 0, nstk = 0, ncap = sizeof(caps) / sizeof(caps[0]);
	int events = 0;

	memset(ct.orig.saddr, 10, 4);
	memset(ct.reply.daddr, 192, 4);
	for (unsigned int i = 0; i < NT_STACK_MAX_FRAMES; i++)
		frames[i] = 0xffffffff81000000ull + 0x100 * i;
	ntl_stacks_init(sbuf, sizeof(sbuf), &slen);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 3, frames, 5), 0);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 9, frames, NT_STACK_MAX_FRAMES), 0);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 0, frames, 5), -EINVAL);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 4, frames, NT_STACK_MAX_FRAMES + 1), -EINVAL);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, 100, &slen, 4, frames, 1), -ENOSPC);
	CHECK_EQ_INT(ntl_stacks_count(sbuf), 2);

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_STACKS, (const char *)sbuf, slen), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &ct, sizeof(ct)), 0);
	for (unsigned int i = 0; i < ncap; i++) {
		lens[i] = mk_bytes(recs[i], caps[i], 100 + i, (uint8_t)i);
		CHECK_EQ_INT(ntl_writer_event(w, recs[i], lens[i]), 0);
	}
	/* a BYTES record whose length field disagrees with the length given,
	 * or is less than the fixed part: refused */
	CHECK_EQ_INT(ntl_writer_event(w, recs[2], lens[2] - 1), -EINVAL);
	{
		uint8_t bad[sizeof(struct nt_ev_bytes)];

		memcpy(bad, recs[0], sizeof(bad));
		bad[24] = 40;
		CHECK_EQ_INT(ntl_writer_event(w, bad, 40), -EINVAL);
	}
	CHECK_EQ_INT(ntl_writer_event(w, &sr, sizeof(sr)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &d, sizeof(d)), 0);
	CHECK_EQ_INT(ntl_writer_close(w, "{}"), 0);

	CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
	while (ntl_reader_next(r, &it) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			if (it.type == NTL_B_STACKS) {
				struct ntl_stacks_iter si;
				uint32_t id;
				unsigned int n;

				CHECK_EQ_INT(it.len, slen);
				ntl_stacks_iter_init(&si, it.data, it.len);
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 1);
				CHECK(id == 3 && n == 5 && !memcmp(got_frames, frames, 5 * 8));
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 1);
				CHECK(id == 9 && n == NT_STACK_MAX_FRAMES &&
				      !memcmp(got_frames, frames, sizeof(frames)));
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 0);
				nstk++;
			}
			continue;
		}
		events++;
		/* records of any length after variable-size ones: 8-byte aligned */
		CHECK(((uintptr_t)it.data & 7) == 0);
		switch (it.type) {
		case NT_EV_CT:
			CHECK(it.len == sizeof(ct) && !memcmp(it.data, &ct, sizeof(ct)));
			break;
		case NT_EV_BYTES:
			CHECK(nb < ncap);
			CHECK_EQ_INT(it.len, lens[nb]);
			CHECK_EQ_INT(nt_ev_len(it.data), lens[nb]);
			CHECK(!memcmp(it.data, recs[nb], lens[nb]));
			nb++;
			break;
		case NT_EV_STACKREF:
			CHECK(it.len == sizeof(sr) && !memcmp(it.data, &sr, sizeof(sr)));
			break;
		case NT_EV_DROP:
			CHECK(it.len == sizeof(d) && !memcmp(it.data, &d, sizeof(d)));
			break;
		default:
			CHECK(0);
		}
	}
	CHECK_EQ_INT(nb, ncap);
	CHECK_EQ_INT(nstk, 1);
	CHECK_EQ_INT(events, 3 + (int)ncap);
	CHECK_EQ_INT(ntl_reader_skipped(r), 0);
	ntl_reader_close(r);
}

TEST(v2_bytes_shorter_than_fixed_part_is_corrupt)
{
	/* a BYTES record announcing 30 bytes (less than its 48-byte fixed part) */
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[1] = { NT_EV_BYTES }, bodies[6] = { 30, 0 }, ev[512], file[1024];
	char msg[800];
	int st, metas;
	size_t elen, flen;

	sizes[NT_EV_BYTES] = 0xffff;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: record 0 (type 12) has length 30: 0 events read before it");
}

TEST(stacks_block_damage)
{
	uint64_t frames[NT_STACK_MAX_FRAMES] = { 0xffffffff81000000ull, 2, 3 };
	uint8_t buf[2048];
	struct ntl_stacks_iter si;
	uint32_t id;
	unsigned int n;
	size_t len;

	ntl_stacks_init(buf, sizeof(buf), &len);
	CHECK_EQ_INT(ntl_stacks_add(buf, sizeof(buf), &len, 1, frames, 3), 0);
	CHECK_EQ_INT(ntl_stacks_add(buf, sizeof(buf), &len, 2, frames, 2), 0);
	/* cut at every length: the stacks before the cut come back, then -1 */
	for (size_t cut = 0; cut < len; cut++) {
		int got = 0, rc;

		ntl_stacks_iter_init(&si, buf, cut);
		while ((rc = ntl_stacks_next(&si, &id, frames, &n)) == 1)
			got++;
		CHECK_EQ_INT(rc, -1);
		CHECK(si.err[0] != 0);
		CHECK_EQ_INT(got, cut >= 4 + 32 ? 1 : 0);
	}
	/* trailing bytes after the announced stacks */
	ntl_stacks_iter_init(&si, buf, len);
	buf[len] = 0;
	ntl_stacks_iter_init(&si, buf, len + 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: 1 bytes after its last stack");
	/* a frame count over the limit, a zero id, non-zero flags */
	buf[4 + 4] = 200;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: stack id 1 with 200 frames, flags 0x0");
	buf[4 + 4] = 3;
	memset(buf + 4, 0, 4);
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	buf[4] = 1;
	buf[4 + 6] = 1;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: stack id 1 with 3 frames, flags 0x1");
	/* an absurd count in a short block costs nothing */
	memset(buf, 0xff, 4);
	buf[4 + 6] = 0;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	ntl_stacks_iter_init(&si, buf, 2);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block of 2 bytes, less than its count");
}

int main(void)
{
	if (log_tmp_setup())
		return 1;
	RUN(v2_unknown_types_skipped_by_size);
	RUN(v2_shorter_and_longer_layouts);
	RUN(v2_type_table_damage);
	RUN(v2_roundtrip_new_records);
	RUN(v2_roundtrip_ct_bytes_stackref_stacks);
	RUN(v2_bytes_shorter_than_fixed_part_is_corrupt);
	RUN(stacks_block_damage);
	if (log_tmp_cleanup())
		return 1;
	TEST_EXIT();
}
