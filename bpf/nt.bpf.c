/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nt.bpf.c - the one BPF object of nft-recorder.  Programs live in per-topic
 * headers; user space enables (autoload) the ones its backend needs:
 *   stack.bpf.h kernel stacks at drops (--stack)
 *   ct.bpf.h    conntrack of traced packets (--conntrack)
 *   bytes.bpf.h packet bytes (--capture-bytes)
 *   tp.bpf.h    raw tracepoints (net:*, skb:*)   - every backend
 *   func.bpf.h  function probes (kprobe.multi, fentry, kprobe)
 *   alloc.bpf.h skb allocators: a packet starts (function mode)
 *   nft.bpf.h   nftables verdicts (nft_do_chain, __nft_trace_packet)
 *   meta.bpf.h a packet's META fields and identity (used by core.bpf.h)
 *   pcapf.bpf.h the pcap-filter part of --filter (used by core.bpf.h)
 *   valve.bpf.h --max-events-per-s: whole packets shed (used by core.bpf.h)
 *   nlmsg.bpf.h nftables trace messages into the ring (socket filter)
 *   keep.bpf.h  --keep in the kernel: per-skb buffers (included twice:
 *               NT_SUBMIT before the emitters, the buffers after them)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "common/bpf_shared.h"
#include "pcapf.bpf.h"
#include "valve.bpf.h"
#include "keep.bpf.h"
#include "core.bpf.h"
#include "stack.bpf.h"
#include "ct.bpf.h"
#include "bytes.bpf.h"
#include "tp.bpf.h"
#include "func.bpf.h"
#include "alloc.bpf.h"
#include "nft.bpf.h"
#include "nlmsg.bpf.h"
#include "keep.bpf.h"

char LICENSE[] SEC("license") = "GPL";
