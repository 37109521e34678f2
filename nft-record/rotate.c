// SPDX-License-Identifier: GPL-2.0
/* rotate.c - log rotation policy and file names (rotate.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "nft-record/rotate.h"

int nt_rotate_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	int sh = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': sh = 10; end++; break;
	case 'm': case 'M': sh = 20; end++; break;
	case 'g': case 'G': sh = 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || v > (1ull << 40) >> sh)
		return -EINVAL;
	v <<= sh;
	if (v < (64u << 10) || v > (1ull << 40))
		return -EINVAL;
	*bytes = v;
	return 0;
}

int nt_rotate_parse_every(const char *s, uint64_t *ns)
{
	char *end;
	double v, f;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtod(s, &end);
	if (!strcmp(end, "s"))
		f = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		f = 60;
	else if (!strcmp(end, "h"))
		f = 3600;
	else if (!strcmp(end, "d"))
		f = 86400;
	else
		return -EINVAL;
	v *= f;
	if (!(v >= 1) || v > 365 * 86400.0)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

int nt_rotor_init(struct nt_rotor *r, const struct nt_rotate_opts *o, const char *output,
		  const char *default_base, const char *set)
{
	size_t l;

	memset(r, 0, sizeof(*r));
	r->o = *o;
	snprintf(r->base, sizeof(r->base), "%s", output ? output : default_base);
	l = strlen(r->base);
	if (l > 4 && !strcmp(r->base + l - 4, ".ntl"))
		r->base[l - 4] = 0;
	if (set) {
		snprintf(r->set, sizeof(r->set), "%s", set);
		return 0;
	}
	uint8_t rnd[16];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	for (int i = 0; i < 16; i++)
		snprintf(r->set + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

static void path_of(const struct nt_rotor *r, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%06" PRIu64 ".ntl", r->base, seq);
}

void nt_rotor_next_path(const struct nt_rotor *r, char *buf, size_t len)
{
	path_of(r, r->seq + 1, buf, len);
}

const char *nt_rotor_opened(struct nt_rotor *r, uint64_t now_ns)
{
	r->seq++;
	r->file_start_ns = now_ns;
	if (!r->o.max_files || r->seq <= r->o.max_files)
		return NULL;
	/* the names are this recorder's own: seq - max_files is the oldest left */
	path_of(r, r->seq - r->o.max_files, r->gone, sizeof(r->gone));
	return r->gone;
}

int nt_rotor_due(const struct nt_rotor *r, uint64_t bytes, uint64_t now_ns)
{
	if (r->o.size && bytes >= r->o.size)
		return 1;
	return r->o.every_ns && now_ns - r->file_start_ns >= r->o.every_ns;
}
