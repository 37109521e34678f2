/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostid.h - who recorded a log and on which clock (issue #20): the HEADER's
 * "host" object and the "clock_ref" pair, refreshed by CLOCK blocks.
 *   label            --host-label NAME, else the host name
 *   hostname         gethostname()
 *   machine_id_hash  SHA-256("nft-tracer machine-id v1:" + /etc/machine-id),
 *                    first 16 bytes in hex: tells hosts apart, never gives
 *                    the machine id away (it is the key of other tools'
 *                    application-specific ids); "" when there is none
 *   boot_id          /proc/sys/kernel/random/boot_id (a new UUID each boot):
 *                    monotonic times and namespace inodes are per boot
 * The clock reference is CLOCK_REALTIME at a CLOCK_MONOTONIC instant (the
 * records' clock), read as the tightest of a few mono / real / mono triples.
 * Pure logic (no BPF): unit-tested (tests/unit/test_hostid.c).
 */
#ifndef NT_HOSTID_H
#define NT_HOSTID_H

#include <stddef.h>
#include <stdint.h>

#define NT_HOST_LABEL_MAX 63

struct nt_hostid {
	char label[NT_HOST_LABEL_MAX + 1];
	char hostname[256];
	char machine_id_hash[33];
	char boot_id[40];
};

/* Fill H from this machine; LABEL (NULL = the host name, cut to 63 bytes).
 * MACHINE_ID / BOOT_ID: files to read (NULL = the system's). */
void nt_hostid_read(struct nt_hostid *h, const char *label, const char *machine_id,
		    const char *boot_id);

/* 0 when LABEL is a usable --host-label: 1..63 bytes of A-Z a-z 0-9 . _ - :
 * (a label is a key in every output and in ClickHouse rows). */
int nt_host_label_ok(const char *label);

/* The application-specific hash of a machine id (32 hex digits + NUL). */
void nt_machine_id_hash(const char *machine_id, char out[33]);

/* CLOCK_REALTIME at a CLOCK_MONOTONIC instant (ns). */
void nt_clock_ref(uint64_t *mono_ns, uint64_t *realtime_ns);

/* Whether a new CLOCK block is due: the last reference (MONO0, REAL0) is a
 * minute old at (MONO, REAL), or the realtime - monotonic offset moved by 1 ms
 * or more since (an NTP step, date -s). */
#define NT_CLOCK_EVERY_NS (60ull * 1000000000ull)
#define NT_CLOCK_STEP_NS 1000000ll
int nt_clock_due(uint64_t mono0, uint64_t real0, uint64_t mono, uint64_t real);
/* The period: NT_CLOCK_EVERY_NS, or a test's NT_CLOCK_REFRESH_MS (hostid.c). */
uint64_t nt_clock_every_ns(void);

/* SHA-256 of LEN bytes (FIPS 180-4). */
void nt_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
