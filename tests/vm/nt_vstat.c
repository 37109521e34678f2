// SPDX-License-Identifier: GPL-2.0
/*
 * nt_vstat.c - what the kernel's verifier does with one program of nt.bpf.o
 * (bench/verifier.sh; also copied into a test VM by hand).  The skeleton is
 * opened, only PROG is loaded (log level 4: the verifier's statistics), then
 * its relocated instructions are loaded again LOADS times the way
 * nft-record clones a template per function (fentry, raw tracepoints:
 * bpf_prog_load without BTF), timed.
 *
 * usage: nt-vstat PROG [off|on] [LOADS]
 *   off  the read-only configuration as a recording without options has it
 *   on   every option on: --keep in the kernel, valve, --capture-bytes,
 *        --conntrack, --stack all, a filter (flags), ring wakeups
 * prints one line:
 *   VSTAT prog=P config=C insns=N xlated=N processed=N states=N verify_us=N
 *         load_ms_min=X load_ms_median=X loads=N
 * insns: instructions handed to the kernel (subprograms appended); xlated:
 * after dead code removal; processed / states / verify_us: the verifier's
 * own statistics of the skeleton's load; load_ms: wall time of one clone load
 * (verification, rewrites, JIT).  fentry programs load against ip_rcv.
 * Exit 0, or 1 with one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/bpf_shared.h"
#include "nt.skel.h"

#define LOG_SIZE (1 << 20)
#define MAX_LOADS 200

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return 0;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void config_on(struct nt_bpf *s)
{
	s->rodata->nt_ct_on = 1;
	s->rodata->nt_capture_bytes = 128;
	s->rodata->nt_stack_mode = NT_STACK_ALL;
	s->rodata->nt_keep_on = 1;
	s->rodata->nt_valve_rate = 1000;
	s->rodata->nt_valve_ended = 1;
	s->rodata->nt_cfg.flags = 0xff;
	s->rodata->nt_wakeup_bytes = 1 << 20;
}

int main(int argc, char **argv)
{
	static char logb[LOG_SIZE];
	static double t[MAX_LOADS];
	const char *want = argc > 1 ? argv[1] : NULL;
	int on = argc > 2 && !strcmp(argv[2], "on");
	int loads = argc > 3 ? atoi(argv[3]) : 10, n = 0, err, btf_id = 0;
	unsigned vt = 0, proc = 0, states = 0;
	struct bpf_prog_info info;
	__u32 il = sizeof(info);
	struct bpf_program *p, *me = NULL;
	struct nt_bpf *s;
	char *q;

	if (!want || loads < 0 || loads > MAX_LOADS) {
		fprintf(stderr, "usage: nt-vstat PROG [off|on] [LOADS (0..%d)]\n", MAX_LOADS);
		return 1;
	}
	libbpf_set_print(quiet);
	s = nt_bpf__open();
	if (!s) {
		fprintf(stderr, "nt-vstat: cannot open the skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, s->obj) {
		bool it = !strcmp(bpf_program__name(p), want);

		bpf_program__set_autoload(p, it);
		if (it)
			me = p;
	}
	if (!me) {
		fprintf(stderr, "nt-vstat: no program %s in nt.bpf.o\n", want);
		return 1;
	}
	if (bpf_program__type(me) == BPF_PROG_TYPE_TRACING) {
		struct btf *v = btf__load_vmlinux_btf();

		btf_id = v ? btf__find_by_name_kind(v, "ip_rcv", BTF_KIND_FUNC) : -1;
		btf__free(v);
		if (btf_id <= 0 || bpf_program__set_attach_target(me, 0, "ip_rcv")) {
			fprintf(stderr, "nt-vstat: %s: no fentry target ip_rcv in vmlinux BTF\n", want);
			return 1;
		}
	}
	if (on)
		config_on(s);
	bpf_program__set_log_level(me, 4);
	bpf_program__set_log_buf(me, logb, sizeof(logb));
	err = nt_bpf__load(s);
	if (err) {
		fprintf(stderr, "nt-vstat: %s: load failed (%d): %.300s\n", want, err, logb);
		return 1;
	}
	if ((q = strstr(logb, "verification time")))
		sscanf(q, "verification time %u", &vt);
	if ((q = strstr(logb, "processed")))
		sscanf(q, "processed %u insns (limit %*u) max_states_per_insn %*u total_states %u", &proc,
		       &states);
	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(bpf_program__fd(me), &info, &il);
	for (; n < loads; n++) {
		LIBBPF_OPTS(bpf_prog_load_opts, o,
			    .expected_attach_type = bpf_program__expected_attach_type(me));
		double t0 = now_ms();
		int fd;

		o.attach_btf_id = btf_id;
		fd = bpf_prog_load(bpf_program__type(me), "nt_vstat", "GPL", bpf_program__insns(me),
				   bpf_program__insn_cnt(me), &o);
		t[n] = now_ms() - t0;
		if (fd < 0) {
			fprintf(stderr, "nt-vstat: %s: clone load failed: %s\n", want, strerror(errno));
			return 1;
		}
		close(fd);
	}
	qsort(t, n, sizeof(t[0]), cmp_d);
	printf("VSTAT prog=%s config=%s insns=%zu xlated=%u processed=%u states=%u verify_us=%u "
	       "load_ms_min=%.2f load_ms_median=%.2f loads=%d\n",
	       want, on ? "on" : "off", bpf_program__insn_cnt(me), info.xlated_prog_len / 8, proc, states,
	       vt, n ? t[0] : 0, n ? t[n / 2] : 0, n);
	nt_bpf__destroy(s);
	return 0;
}
