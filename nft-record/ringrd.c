// SPDX-License-Identifier: GPL-2.0
/* ringrd.c - BPF ring buffer reader (ringrd.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "nft-record/ringrd.h"

struct nt_ringrd {
	int fd;
	size_t size, page;
	uint64_t mask;
	unsigned long *consumer;     /* consumer page (read-write) */
	unsigned long *producer;     /* producer page, followed by the data area (twice) */
	uint8_t *data;
};

int nt_ringrd_open(int map_fd, size_t size, struct nt_ringrd **out)
{
	struct nt_ringrd *r = calloc(1, sizeof(*r));
	void *p;

	if (!r)
		return -ENOMEM;
	if (!size || (size & (size - 1))) {
		free(r);
		return -EINVAL;
	}
	r->fd = map_fd;
	r->size = size;
	r->mask = size - 1;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->consumer = p;
	/* the data area is mapped twice in a row: a record that wraps around
	 * the end is contiguous */
	p = mmap(NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED)
		goto fail;
	r->producer = p;
	r->data = (uint8_t *)p + r->page;
	*out = r;
	return 0;
fail:
	{
		int e = -errno;

		nt_ringrd_close(r);
		return e;
	}
}

void nt_ringrd_close(struct nt_ringrd *r)
{
	if (!r)
		return;
	if (r->consumer)
		munmap(r->consumer, r->page);
	if (r->producer)
		munmap(r->producer, r->page + 2 * r->size);
	free(r);
}

int nt_ringrd_fd(const struct nt_ringrd *r)
{
	return r->fd;
}

/* The consumer position is published every NT_RINGRD_PUBLISH bytes (and at
 * the end of a pass), not after every record: each store moves the consumer
 * page's cache line away from the CPUs whose BPF programs read it at every
 * record (reservation, bpf_ringbuf_query), and a pass takes thousands of
 * records.  A sixteenth of the ring (at most) is freed late. */
#define NT_RINGRD_PUBLISH 65536ul

long nt_ringrd_consume(struct nt_ringrd *r, nt_ringrd_fn cb, void *ctx, int *empty)
{
	unsigned long cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	unsigned long every = r->size / 16 < NT_RINGRD_PUBLISH ? r->size / 16 : NT_RINGRD_PUBLISH;
	unsigned long published = cons;
	long n = 0;
	int stop = 0;

	/* one pass up to the producer position read now: everything reserved
	 * before this moment is consumed when *empty = 1 */
	*empty = 0;
	while (cons < prod) {
		uint32_t *hdr = (uint32_t *)(r->data + (cons & r->mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* being written: the next drain takes it */
		len &= ~(uint32_t)(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (!(__atomic_load_n(hdr, __ATOMIC_RELAXED) & BPF_RINGBUF_DISCARD_BIT)) {
			stop = cb(ctx, hdr + 2, len);
			n++;
		}
		cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (cons - published >= every) {
			__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
			published = cons;
		}
		if (stop)
			break;
	}
	if (cons != published)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	if (cons >= prod && !stop)
		*empty = 1;
	return n;
}
