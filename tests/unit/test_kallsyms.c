// SPDX-License-Identifier: GPL-2.0
/* test_kallsyms.c - common/kallsyms.c: parsing, name and address lookups, all-zero detection. */
#include <errno.h>

#include "common/kallsyms.h"
#include "tests/unit/nt_test.h"

static const char txt[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000200 t dup_fn\n"
	"ffffffff81000100 T first_fn\n"       /* out of order: address index must sort */
	"ffffffff81000300 t dup_fn\n"
	"garbage line\n"
	"ffffffff81000400 d some_data\n"
	"ffffffffc0000000 t mod_fn\t[mymod]\n"
	"ffffffffc0000100 t dup_fn\t[mymod]\r\n"
	"ffffffffc0000200 T last_fn [othermod]";  /* no final newline */

TEST(parse_and_lookup_by_name)
{
	struct nt_ksyms *ks = NULL;
	const struct nt_ksym *r[4];

	CHECK_EQ_INT(nt_ksyms__load_buf(txt, sizeof(txt) - 1, &ks), 0);
	CHECK_EQ_INT(nt_ksyms__count(ks), 8);
	CHECK_EQ_INT(nt_ksyms__bad_lines(ks), 1);
	CHECK(!nt_ksyms__all_zero(ks));
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "dup_fn", r, 4), 3);
	CHECK(r[0]->addr == 0xffffffff81000200ull && r[0]->module == NULL && r[0]->type == 't');
	CHECK(r[1]->addr == 0xffffffff81000300ull);
	CHECK(r[2]->addr == 0xffffffffc0000100ull);
	CHECK_EQ_STR(r[2]->module, "mymod");
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "dup_fn", r, 1), 3); /* total even when max is smaller */
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "last_fn", r, 4), 1);
	CHECK_EQ_STR(r[0]->module, "othermod");
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "some_data", r, 4), 1);
	CHECK(!nt_ksym_is_text(r[0]));
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "nope", r, 4), 0);
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "dup", r, 4), 0);
	nt_ksyms__free(ks);
}

TEST(lookup_by_addr)
{
	struct nt_ksyms *ks = NULL;

	CHECK_EQ_INT(nt_ksyms__load_buf(txt, sizeof(txt) - 1, &ks), 0);
	CHECK(nt_ksyms__by_addr(ks, 0xffffffff80000000ull) == NULL);
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffff81000000ull)->name, "_stext");
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffff81000150ull)->name, "first_fn");
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffff81000250ull)->name, "dup_fn");
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffffc0000010ull)->name, "mod_fn");
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffffffffffffull)->name, "last_fn");
	nt_ksyms__free(ks);
}

/* compact: same address lookups (names, modules, types), no name lookups */
TEST(compact_keeps_address_lookups)
{
	struct nt_ksyms *ks = NULL;
	const struct nt_ksym *s, *r[4];

	CHECK_EQ_INT(nt_ksyms__load_buf(txt, sizeof(txt) - 1, &ks), 0);
	CHECK_EQ_INT(nt_ksyms__compact(ks), 0);
	CHECK_EQ_INT(nt_ksyms__count(ks), 8);
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffff81000000ull)->name, "_stext");
	CHECK_EQ_STR(nt_ksyms__by_addr(ks, 0xffffffff81000150ull)->name, "first_fn");
	s = nt_ksyms__by_addr(ks, 0xffffffff81000250ull);
	CHECK(s->addr == 0xffffffff81000200ull && s->module == NULL && s->type == 't');
	CHECK_EQ_STR(s->name, "dup_fn");
	s = nt_ksyms__by_addr(ks, 0xffffffffc0000010ull);
	CHECK_EQ_STR(s->name, "mod_fn");
	CHECK_EQ_STR(s->module, "mymod");
	s = nt_ksyms__by_addr(ks, 0xffffffffc0000150ull);
	CHECK_EQ_STR(s->name, "dup_fn");
	CHECK_EQ_STR(s->module, "mymod");
	s = nt_ksyms__by_addr(ks, 0xffffffffffffffffull);
	CHECK_EQ_STR(s->name, "last_fn");
	CHECK_EQ_STR(s->module, "othermod");
	CHECK(s->type == 'T');
	CHECK_EQ_INT(nt_ksyms__by_name(ks, "dup_fn", r, 4), 0);
	nt_ksyms__free(ks);
}

TEST(all_zero_and_errors)
{
	static const char z[] = "0000000000000000 T a\n0000000000000000 t b\n";
	struct nt_ksyms *ks = NULL;

	CHECK_EQ_INT(nt_ksyms__load_buf(z, sizeof(z) - 1, &ks), 0);
	CHECK(nt_ksyms__all_zero(ks));
	CHECK_EQ_INT(nt_ksyms__count(ks), 2);
	nt_ksyms__free(ks);
	ks = NULL;
	CHECK_EQ_INT(nt_ksyms__load_buf("not kallsyms\n", 13, &ks), -EINVAL);
	CHECK_EQ_INT(nt_ksyms__load_buf("", 0, &ks), -EINVAL);
	CHECK_EQ_INT(nt_ksyms__load("/nonexistent/kallsyms", &ks), -ENOENT);
	CHECK(ks == NULL);
}

TEST(live_proc_kallsyms)
{
	struct nt_ksyms *ks = NULL;
	const struct nt_ksym *r[2];

	if (nt_ksyms__load("/proc/kallsyms", &ks)) {
		printf("SKIP: live_proc_kallsyms: /proc/kallsyms not readable\n");
		return;
	}
	CHECK(nt_ksyms__count(ks) > 10000);
	CHECK_EQ_INT(nt_ksyms__bad_lines(ks), 0);
	if (!nt_ksyms__all_zero(ks)) {
		CHECK_EQ_INT(nt_ksyms__by_name(ks, "ip_rcv", r, 2), 1);
		CHECK_EQ_STR(nt_ksyms__by_addr(ks, r[0]->addr + 1)->name, "ip_rcv");
	}
	nt_ksyms__free(ks);
}

int main(void)
{
	RUN(parse_and_lookup_by_name);
	RUN(lookup_by_addr);
	RUN(compact_keeps_address_lookups);
	RUN(all_zero_and_errors);
	RUN(live_proc_kallsyms);
	TEST_EXIT();
}
