// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_logr.c - libFuzzer target: the .ntl reader (formats/logr.c) on hostile
 * bytes, through ntl_reader_open_mem(), reading every item to the end.
 * Every returned item must be in bounds: metadata NUL-terminated (STACKS:
 * binary, decoded by formats/stacks.c), events of their type's size or, for a
 * variable-size record, of its own length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/logr.h"
#include "formats/stacks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static volatile uint64_t sum;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntl_reader *r = NULL;
	struct ntl_item it;
	const char *msg = NULL;

	int rc;

	if (ntl_reader_open_mem(&r, data, size, "fuzz.ntl", &msg) < 0) {
		if (!msg || !*msg)
			abort(); /* every error must be explained */
		return 0;
	}
	while ((rc = ntl_reader_next(r, &it)) == NTL_OK) {
		const uint8_t *p = it.data;
		if (it.kind == NTL_ITEM_META) {
			if (p[it.len] != 0)
				abort();
			/* touch every byte (ASan checks the bounds) */
			for (size_t i = 0; i < it.len; i++)
				sum += p[i];
			if (it.type == NTL_B_STACKS) {
				struct ntl_stacks_iter si;
				uint64_t fr[NT_STACK_MAX_FRAMES];
				uint32_t id;
				unsigned int n;

				ntl_stacks_iter_init(&si, it.data, it.len);
				while (ntl_stacks_next(&si, &id, fr, &n) == 1)
					if (!id || !n || n > NT_STACK_MAX_FRAMES)
						abort();
			}
		} else if (it.kind == NTL_ITEM_EVENT) {
			const struct nt_ev_hdr *h = it.data;
			/* a known type's size, or a variable record's own length */
			if (it.len < sizeof(*h) || nt_ev_len(h) != it.len)
				abort();
			for (size_t i = 0; i < it.len; i++)
				sum += p[i];
		} else {
			abort();
		}
	}
	if (rc < 0) {
		const char *e = ntl_reader_strerror(r);
		if (!e || !*e)
			abort();
	}
	(void)ntl_reader_events(r);
	(void)ntl_reader_complete(r);
	ntl_reader_close(r);
	return 0;
}
