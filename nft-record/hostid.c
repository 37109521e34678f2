// SPDX-License-Identifier: GPL-2.0
/* hostid.c - host identity and clock reference of a recording (hostid.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nft-record/hostid.h"

/* ---- SHA-256 (FIPS 180-4) ---- */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void block(uint32_t st[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	st[0] += a, st[1] += b, st[2] += c, st[3] += d;
	st[4] += e, st[5] += f, st[6] += g, st[7] += h;
}

void nt_sha256(const void *data, size_t len, uint8_t out[32])
{
	uint32_t st[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	uint8_t tail[128] = { 0 };
	size_t n = len, rest;
	uint64_t bits = (uint64_t)len * 8;

	for (; n >= 64; n -= 64, p += 64)
		block(st, p);
	rest = n;
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	block(st, tail);
	if (n == 128)
		block(st, tail + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(st[i] >> 8);
		out[4 * i + 3] = (uint8_t)st[i];
	}
}

/* ---- identity ---- */
#define MACHINE_ID_DOMAIN "nft-tracer machine-id v1:"

void nt_machine_id_hash(const char *machine_id, char out[33])
{
	char buf[sizeof(MACHINE_ID_DOMAIN) + 128];
	uint8_t d[32];
	int n = snprintf(buf, sizeof(buf), "%s%s", MACHINE_ID_DOMAIN, machine_id);

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	nt_sha256(buf, (size_t)n, d);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* First line of PATH, trimmed, into BUF; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
}

int nt_host_label_ok(const char *label)
{
	size_t n = strlen(label);

	if (!n || n > NT_HOST_LABEL_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)label[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != ':')
			return -1;
	}
	return 0;
}

void nt_hostid_read(struct nt_hostid *h, const char *label, const char *machine_id,
		    const char *boot_id)
{
	char mid[128];

	memset(h, 0, sizeof(*h));
	if (gethostname(h->hostname, sizeof(h->hostname) - 1))
		h->hostname[0] = 0;
	label = label ? label : h->hostname[0] ? h->hostname : "unknown";
	memcpy(h->label, label, strnlen(label, sizeof(h->label) - 1)); /* cut to 63 bytes */
	if (machine_id) {
		read_line(machine_id, mid, sizeof(mid));
	} else {
		read_line("/etc/machine-id", mid, sizeof(mid));
		if (!mid[0])
			read_line("/var/lib/dbus/machine-id", mid, sizeof(mid));
	}
	if (mid[0])
		nt_machine_id_hash(mid, h->machine_id_hash);
	read_line(boot_id ? boot_id : "/proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id));
}

/* ---- clock ---- */
static uint64_t ns_of(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A hidden test knob (not an option, not in the manual): the environment
 * variable NT_CLOCK_REFRESH_MS=N (1 .. 3600000) makes the period N ms instead
 * of a minute, so that a short recording writes several CLOCK blocks
 * (tests/e2e/record_clock.sh).  The recorder looks once a second: a period
 * under 1 s gives one block a second.  Anything else: the minute. */
uint64_t nt_clock_every_ns(void)
{
	static uint64_t every;

	if (!every) {
		const char *e = getenv("NT_CLOCK_REFRESH_MS");
		char *end = NULL;
		unsigned long long ms = e && *e ? strtoull(e, &end, 10) : 0;

		every = end && !*end && ms >= 1 && ms <= 3600000 ? ms * 1000000ull : NT_CLOCK_EVERY_NS;
	}
	return every;
}

int nt_clock_due(uint64_t mono0, uint64_t real0, uint64_t mono, uint64_t real)
{
	int64_t moved = (int64_t)(real - mono) - (int64_t)(real0 - mono0);

	return mono >= mono0 + nt_clock_every_ns() || moved >= NT_CLOCK_STEP_NS ||
	       moved <= -NT_CLOCK_STEP_NS;
}

void nt_clock_ref(uint64_t *mono_ns, uint64_t *realtime_ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t m1 = ns_of(CLOCK_MONOTONIC), r = ns_of(CLOCK_REALTIME), m2 = ns_of(CLOCK_MONOTONIC);

		if (m2 - m1 < best) {
			best = m2 - m1;
			*mono_ns = m1 + (m2 - m1) / 2;
			*realtime_ns = r;
		}
	}
}
