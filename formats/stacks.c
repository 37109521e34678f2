// SPDX-License-Identifier: GPL-2.0
/* stacks.c - the STACKS block codec (stacks.h, FORMAT.md "STACKS"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "formats/logcodec.h"
#include "formats/stacks.h"

void ntl_stacks_init(uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	if (cap >= 4) {
		ntl_put32(buf, 0);
		*len = 4;
	}
}

uint32_t ntl_stacks_count(const uint8_t *buf)
{
	return ntl_get32(buf);
}

int ntl_stacks_add(uint8_t *buf, size_t cap, size_t *len, uint32_t id, const uint64_t *frames,
		   unsigned int n)
{
	uint8_t *p;

	if (!id || !n || n > NT_STACK_MAX_FRAMES || *len < 4)
		return -EINVAL;
	if (*len > cap || cap - *len < NTL_STACK_BYTES(n))
		return -ENOSPC;
	p = buf + *len;
	ntl_put32(p, id);
	ntl_put16(p + 4, (uint16_t)n);
	ntl_put16(p + 6, 0);
	for (unsigned int i = 0; i < n; i++) {
		ntl_put32(p + 8 + 8 * i, (uint32_t)frames[i]);
		ntl_put32(p + 12 + 8 * i, (uint32_t)(frames[i] >> 32));
	}
	*len += NTL_STACK_BYTES(n);
	ntl_put32(buf, ntl_get32(buf) + 1);
	return 0;
}

void ntl_stacks_iter_init(struct ntl_stacks_iter *it, const void *payload, size_t len)
{
	it->p = payload;
	it->end = it->p + len;
	it->err[0] = 0;
	if (len < 4) {
		it->left = 0;
		it->p = it->end;
		snprintf(it->err, sizeof(it->err), "STACKS block of %zu bytes, less than its count", len);
		return;
	}
	it->left = ntl_get32(it->p);
	it->p += 4;
}

int ntl_stacks_next(struct ntl_stacks_iter *it, uint32_t *id, uint64_t *frames, unsigned int *n)
{
	size_t avail = (size_t)(it->end - it->p);
	unsigned int nf;

	if (it->err[0])
		return -1;
	if (!it->left) {
		if (avail) {
			snprintf(it->err, sizeof(it->err), "STACKS block: %zu bytes after its last stack", avail);
			return -1;
		}
		return 0;
	}
	if (avail < 8) {
		snprintf(it->err, sizeof(it->err), "STACKS block ends inside a stack header (%u stacks missing)",
			 it->left);
		return -1;
	}
	*id = ntl_get32(it->p);
	nf = ntl_get16(it->p + 4);
	if (!*id || !nf || nf > NT_STACK_MAX_FRAMES || ntl_get16(it->p + 6)) {
		snprintf(it->err, sizeof(it->err), "STACKS block: stack id %u with %u frames, flags 0x%x",
			 *id, nf, ntl_get16(it->p + 6));
		return -1;
	}
	if (avail < NTL_STACK_BYTES(nf)) {
		snprintf(it->err, sizeof(it->err), "STACKS block ends inside stack %u (%u frames)", *id, nf);
		return -1;
	}
	for (unsigned int i = 0; i < nf; i++)
		frames[i] = (uint64_t)ntl_get32(it->p + 8 + 8 * i) |
			    (uint64_t)ntl_get32(it->p + 12 + 8 * i) << 32;
	*n = nf;
	it->p += NTL_STACK_BYTES(nf);
	it->left--;
	return 1;
}
