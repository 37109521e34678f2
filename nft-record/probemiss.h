/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probemiss.h - runs of our BPF programs the kernel skipped.
 *
 * The kernel does not run a tracing program on a CPU where it (fentry,
 * tracepoints) or, for kprobes, any kprobe program is already running: a
 * softirq that interrupts a probe and hits a probed function again is not
 * seen.  It counts those skips per program (`recursion_misses`, 5.12+;
 * kprobe programs only from 6.7).  Each skip may be a hop or an nft step of
 * a traced packet that is not in the log, so the recorder writes their sum as
 * LOSS source NT_LOSS_PROBE (an upper bound: the skipped run may have been
 * for a packet not traced).
 *
 * Read at the end of a file, not in the hot path: every BPF program the
 * process holds (its program fds, and the programs of its link fds) is found
 * in /proc/self/fd and counted once.
 */
#ifndef NT_PROBEMISS_H
#define NT_PROBEMISS_H

#include <stdint.h>

/* What a /proc/PID/fdinfo text of a BPF program or link says: PROG_ID (0 when
 * absent), MISSES and HAS_MISSES (1 when a recursion_misses line is there). */
void nt_probemiss_parse(const char *text, uint32_t *prog_id, uint64_t *misses, int *has_misses);

/* Sum of recursion_misses over the process's BPF programs into *TOTAL; 0, or
 * -ENOTSUP when the kernel does not count them (before 5.12) or the process
 * holds no program, -errno when /proc/self/fd cannot be read. */
int nt_probemiss_read(uint64_t *total);

#endif
