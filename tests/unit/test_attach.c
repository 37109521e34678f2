// SPDX-License-Identifier: GPL-2.0
/*
 * test_attach.c - host-side checks of the function backends' helpers
 * (nft-record/attach_common.c): cookie layout shared with bpf/func.bpf.h,
 * eligibility reasons, failure report formatting, the backends' probe()
 * contract.  The attach paths themselves run in the VM tests (tests/vm/).
 */
#include "nft-record/attach_common.c"
#include "nft-record/attach_kprobe_multi.c"
#include "nft-record/attach_kprobe.c"
#include "tests/unit/nt_test.h"

static struct nt_func fn(const char *name, int kind, int arg, const char *via)
{
	struct nt_func f = { 0 };

	f.name = (char *)name;
	f.kind = kind;
	f.arg = arg;
	f.via = (char *)via;
	f.flags = NT_FN_PROBEABLE;
	return f;
}

TEST(cookie_skb)
{
	struct nt_func f = fn("icmp_rcv", NT_KIND_SKB, 1, NULL);

	/* id in bits 0..31, kind 0, no offset, no recheck */
	CHECK_EQ_INT(nt_attach_cookie(&f, 1234), 1234);
}

TEST(cookie_skb_pp)
{
	struct nt_func f = fn("do_xdp_generic", NT_KIND_SKB_PP, 2, NULL);

	CHECK_EQ_INT(nt_attach_cookie(&f, 9), 9 | (uint64_t)NT_KIND_SKB_PP << 32);
}

TEST(cookie_roles)
{
	struct nt_func fr = fn("kfree_skbmem", NT_KIND_SKB, 1, NULL);
	struct nt_func al = fn("__build_skb_around", NT_KIND_SKB, 1, NULL);
	struct nt_func dl = fn("tcp_queue_rcv", NT_KIND_SKB, 2, NULL);

	/* free / alloc reach BPF in bits 57..59; fate roles (deliver ...) do not */
	CHECK_EQ_INT(nt_attach_cookie(&fr, 3), 3 | (uint64_t)NT_ROLE_FREE << NT_COOKIE_ROLE_SHIFT);
	CHECK_EQ_INT(nt_attach_cookie(&al, 4), 4 | (uint64_t)NT_ROLE_ALLOC << NT_COOKIE_ROLE_SHIFT);
	CHECK_EQ_INT(nt_attach_cookie(&dl, 5), 5);
	/* the role bits are above the recheck bit and below 64 */
	CHECK(((uint64_t)7 << NT_COOKIE_ROLE_SHIFT & NT_COOKIE_RECHECK) == 0);
	CHECK(NT_COOKIE_ROLE_SHIFT + 3 <= 64);
}

TEST(cookie_recheck)
{
	struct nt_func f = fn("ip_forward", NT_KIND_SKB, 1, NULL);

	CHECK_EQ_INT(nt_attach_cookie(&f, 7), 7 | NT_COOKIE_RECHECK);
}

TEST(cookie_hdrs)
{
	struct nt_func h6 = fn("__ip6_local_out", NT_KIND_SKB, 3, NULL);
	struct nt_func nf = fn("nf_hook_slow", NT_KIND_SKB, 1, NULL);

	/* headers complete there: an skb untraced for want of them is parsed again */
	CHECK_EQ_INT(nt_attach_cookie(&h6, 8), 8 | NT_COOKIE_HDRS);
	CHECK_EQ_INT(nt_attach_cookie(&nf, 9), 9 | NT_COOKIE_HDRS);
	/* above the role bits, below 64 */
	CHECK(((uint64_t)7 << NT_COOKIE_ROLE_SHIFT & NT_COOKIE_HDRS) == 0);
	CHECK((NT_COOKIE_HDRS & NT_COOKIE_RECHECK) == 0);
}

TEST(cookie_via_offsets_from_btf)
{
	struct nt_func f = fn("nft_do_chain", NT_KIND_NFT_HOOK, 1, "nft_pktinfo.skb");
	struct nt_func q = fn("nf_reinject", NT_KIND_SKB_VIA, 1, "nf_queue_entry.skb");
	struct nt_func nohook = fn("nft_do_chain", NT_KIND_NFT_HOOK, 1, NULL);
	struct btf *vm = btf_vmlinux();
	int off;

	if (!vm || member_offset(vm, "nf_queue_entry", "skb") < 0) {
		printf("SKIP: cookie_via_offsets_from_btf: no vmlinux BTF with nf_queue_entry\n");
		return;
	}
	off = member_offset(vm, "nf_queue_entry", "skb");
	CHECK(off > 0); /* after the list_head */
	CHECK_EQ_INT(nt_attach_cookie(&f, 3), 3 | (uint64_t)NT_KIND_SKB_VIA << 32);
	CHECK_EQ_INT(nt_attach_cookie(&q, 4),
		     4 | (uint64_t)NT_KIND_SKB_VIA << 32 | (uint64_t)off << 40);
	/* an nft hook without via struct takes the skb directly */
	CHECK_EQ_INT(nt_attach_cookie(&nohook, 5), 5);
}

TEST(eligibility)
{
	struct nt_func f = fn("x", NT_KIND_SKB, 1, NULL);
	char why[128];

	CHECK(nt_attach_eligible(&f, why, sizeof(why)));
	f.kind = NT_KIND_TRACEPOINT;
	CHECK(!nt_attach_eligible(&f, why, sizeof(why)));
	CHECK_EQ_STR(why, "tracepoint (attached by the tracepoint backend)");
	f.kind = NT_KIND_SKB;
	f.arg = 6;
	CHECK(!nt_attach_eligible(&f, why, sizeof(why)));
	CHECK_EQ_STR(why, "skb argument beyond position 5");
	f.arg = 2;
	f.flags = NT_FN_NO_KSYM;
	CHECK(!nt_attach_eligible(&f, why, sizeof(why)));
	CHECK_EQ_STR(why, "not in kallsyms (inlined or renamed)");
	f.flags = NT_FN_NOTRACE;
	CHECK(!nt_attach_eligible(&f, why, sizeof(why)));
	CHECK_EQ_STR(why, "not traceable (absent from available_filter_functions)");
}

TEST(failure_report)
{
	struct nt_attach_report r = { 0 };
	char name[16];

	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		nt_attach_fail(&r, name, "E");
	}
	CHECK_EQ_INT(r.failed, 8);
	CHECK_EQ_STR(r.first_failures, "f0: E; f1: E; f2: E; f3: E; f4: E; ...");
}

/* probe(): 0, or < 0 with a one-line reason */
TEST(probe_contract)
{
	const struct nt_backend *b[] = { &nt_backend_kprobe_multi, &nt_backend_kprobe };
	char why[256];

	for (size_t i = 0; i < 2; i++) {
		why[0] = 0;
		int r = b[i]->probe(why, sizeof(why));

		CHECK(r == 0 || (r < 0 && why[0] && !strchr(why, '\n')));
		printf("# %s: %s\n", b[i]->name, r == 0 ? "available" : why);
	}
	why[0] = 0;
	int r = nt_attach_probe_fentry(why, sizeof(why));

	CHECK(r == 0 || (r < 0 && why[0]));
	printf("# fentry: %s\n", r == 0 ? "available" : why);
}

/* per-function fds land above NT_FD_LOW while the low range is filled */
TEST(fd_fill)
{
	int fd, low;

	nt_attach_raise_nofile();
	low = open("/dev/null", O_RDONLY);
	CHECK(low >= 0);
	close(low);
	nt_attach_fd_fill();
	fd = open("/dev/null", O_RDONLY);
	nt_attach_fd_unfill();
	CHECK(fd >= 0);
	close(fd);
	if (fd < NT_FD_LOW) {
		printf("SKIP: fd_fill: RLIMIT_NOFILE below %d here\n", 2 * NT_FD_LOW);
		return;
	}
	CHECK(fd >= NT_FD_LOW);
	fd = open("/dev/null", O_RDONLY); /* the low range is free again */
	CHECK_EQ_INT(fd, low);
	close(fd);
}

int main(void)
{
	RUN(cookie_skb);
	RUN(cookie_skb_pp);
	RUN(cookie_recheck);
	RUN(cookie_hdrs);
	RUN(cookie_roles);
	RUN(cookie_via_offsets_from_btf);
	RUN(eligibility);
	RUN(failure_report);
	RUN(probe_contract);
	RUN(fd_fill);
	TEST_EXIT();
}
