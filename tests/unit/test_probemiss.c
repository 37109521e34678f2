// SPDX-License-Identifier: GPL-2.0
/* test_probemiss.c - probe runs the kernel skipped (nft-record/probemiss.c):
 * the fdinfo parser, the scan of the process's own BPF programs (a program
 * held by this test), and the LOSS source 6 in the model. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "common/records.h"
#include "model/model.h"
#include "nft-record/probemiss.h"
#include "tests/unit/nt_test.h"

TEST(parse_prog_and_link_fdinfo)
{
	uint32_t id;
	uint64_t m;
	int has;

	nt_probemiss_parse("pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nprog_type:\t26\n"
			   "prog_jited:\t1\nprog_tag:\t5bd5c4cd8ffd8ab3\nmemlock:\t4096\nprog_id:\t812\n"
			   "run_time_ns:\t0\nrun_cnt:\t0\nrecursion_misses:\t17\nverified_insns:\t90\n",
			   &id, &m, &has);
	CHECK_EQ_INT(id, 812);
	CHECK_EQ_INT(m, 17);
	CHECK_EQ_INT(has, 1);
	/* a link: its program's id, no counters of its own */
	nt_probemiss_parse("pos:\t0\nflags:\t02000000\nlink_type:\ttracing\nlink_id:\t41\n"
			   "prog_tag:\t5bd5c4cd8ffd8ab3\nprog_id:\t813\nattach_type:\t24\n", &id, &m, &has);
	CHECK_EQ_INT(id, 813);
	CHECK_EQ_INT(has, 0);
	/* a kernel before 5.12: no recursion_misses line; nothing at all */
	nt_probemiss_parse("prog_type:\t26\nprog_id:\t9\nrun_cnt:\t3\n", &id, &m, &has);
	CHECK_EQ_INT(id, 9);
	CHECK_EQ_INT(has, 0);
	nt_probemiss_parse("", &id, &m, &has);
	CHECK_EQ_INT(id, 0);
	CHECK_EQ_INT(has, 0);
	/* a name that only starts like another is not it */
	nt_probemiss_parse("prog_id_x:\t5\nrecursion_misses_y:\t4\n", &id, &m, &has);
	CHECK_EQ_INT(id, 0);
	CHECK_EQ_INT(has, 0);
}

/* This process's own program (root, as make test runs): found, 0 skipped. */
TEST(scan_finds_the_process_programs)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint64_t total = 99;
	int fd, ret;

	CHECK_EQ_INT(nt_probemiss_read(&total), -ENOTSUP); /* no program held yet */
	CHECK_EQ_INT(total, 0);
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "nt_pm_test", "GPL", prog, 2, NULL);
	if (fd < 0) {
		printf("  (no BPF here: %s; scan not checked)\n", strerror(errno));
		return;
	}
	total = 99;
	ret = nt_probemiss_read(&total);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_INT(total, 0);
	close(fd);
}

TEST(model_counts_probe_losses)
{
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_model *m = nt_model_new(&o);
	struct nt_ev_loss l = { .h = { .type = NT_EV_LOSS, .cpu = 0xffff, .ts_ns = 10 },
				.source = NT_LOSS_PROBE, .count = 4 };

	CHECK(m != NULL);
	nt_model_event(m, &l, sizeof(l));
	l.count = 6; /* cumulative */
	nt_model_event(m, &l, sizeof(l));
	CHECK_EQ_INT(nt_model_totals(m)->lost_probe, 6);
	CHECK_EQ_INT(nt_model_totals(m)->lost_ringbuf, 0);
	nt_model_free(m);
}

int main(void)
{
	RUN(parse_prog_and_link_fdinfo);
	RUN(scan_finds_the_process_programs);
	RUN(model_counts_probe_losses);
	TEST_EXIT();
}
