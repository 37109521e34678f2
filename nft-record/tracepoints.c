// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoints.c - the "tracepoint" backend: raw tracepoint programs of
 * bpf/tp.bpf.h.  Always attached, whatever function backend runs beside it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "backends.h"
#include "common/bpf_shared.h"
#include "nt.skel.h"

static struct bpf_link *tp_links[NT_TP__COUNT];

static struct bpf_program *tp_prog(struct nt_bpf *s, int id)
{
	switch (id) {
	case NT_TP_NETIF_RECEIVE_SKB: return s->progs.nt_tp_netif_receive_skb;
	case NT_TP_NETIF_RX: return s->progs.nt_tp_netif_rx;
	case NT_TP_NAPI_GRO_RECEIVE: return s->progs.nt_tp_napi_gro_receive_entry;
	case NT_TP_NET_DEV_QUEUE: return s->progs.nt_tp_net_dev_queue;
	case NT_TP_NET_DEV_START_XMIT: return s->progs.nt_tp_net_dev_start_xmit;
	case NT_TP_NET_DEV_XMIT: return s->progs.nt_tp_net_dev_xmit;
	case NT_TP_KFREE_SKB: return s->progs.nt_tp_kfree_skb;
	case NT_TP_CONSUME_SKB: return s->progs.nt_tp_consume_skb;
	default: return NULL;
	}
}

static int tp_probe(char *why, size_t whylen)
{
	return 0;
}

static int tp_prepare(const struct nt_backend_args *a)
{
	for (int i = 0; i < NT_TP__COUNT; i++) {
		int err = bpf_program__set_autoload(tp_prog(a->skel, i), true);

		if (err)
			return err;
	}
	return 0;
}

static const char *const tp_names[] = NT_TP_NAMES;

static int tp_attach(const struct nt_backend_args *a, struct nt_attach_report *rep)
{
	struct timespec t0, t1;
	size_t off = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(rep, 0, sizeof(*rep));
	rep->backend = "tracepoint";
	rep->requested = NT_TP__COUNT;
	for (int i = 0; i < NT_TP__COUNT; i++) {
		struct bpf_link *l = bpf_program__attach(tp_prog(a->skel, i));

		if (!l) {
			int err = -errno;

			rep->failed++;
			if (off < sizeof(rep->first_failures))
				off += snprintf(rep->first_failures + off,
						sizeof(rep->first_failures) - off, "%s%s: %s",
						off ? "; " : "", tp_names[i], strerror(-err));
			continue;
		}
		tp_links[i] = l;
		rep->attached++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->attach_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	return rep->attached ? 0 : -ENOENT;
}

static void tp_detach(void)
{
	for (int i = 0; i < NT_TP__COUNT; i++) {
		bpf_link__destroy(tp_links[i]);
		tp_links[i] = NULL;
	}
}

const struct nt_backend nt_backend_tracepoint = {
	.name = "tracepoint",
	.probe = tp_probe,
	.prepare = tp_prepare,
	.attach = tp_attach,
	.detach = tp_detach,
};
