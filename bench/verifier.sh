#!/bin/bash
# bench/verifier.sh - the kernel verifier's work per program of nt.bpf.o on
# this host (issue #21: with fentry, and on 5.10 and for raw tracepoints,
# nft-record loads one program per function, so this is paid per function).
# Per template (nt_tpg1: raw tracepoints, nt_kp1: kprobe, kprobe.multi and
# the body of nt_fe*, nt_fe1 where the host has fentry): instructions handed
# to the kernel, after dead code removal, processed by the verifier, its
# states and time, and the wall time of one clone load (median of
# BENCH_VSTAT_LOADS, default 20), with the read-only configuration of a
# recording without options; baseline: the same with every option on (keep in
# the kernel, valve, --capture-bytes, --conntrack, --stack all, a filter).
# Also the combined stack of the packet programs by 6.1's rule (6.12's as the
# baseline) on this verifier's own depths, per configuration: none, keep (in
# the kernel), keep + a filter, all (tests/vm/nt_vstack.c; 6.1 refuses > 512).
# Writes bench/results/verifier.json.  Needs root and `make unit` (nt-vstat,
# nt-vstack).
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
V=$O/tests/tools/nt-vstat
N=${BENCH_VSTAT_LOADS:-20}
skip() {
	python3 -c 'import json,sys; print(json.dumps({"skipped": sys.argv[1], "table": []}))' "$*" |
		python3 bench/lib/bench.py emit verifier
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x $V ] || skip "$V not built (make unit)"
VS=$O/tests/tools/nt-vstack
{
for p in nt_tpg1 nt_kp1 nt_fe1; do
	for c in off on; do
		$V $p $c $N 2> /dev/null || echo "VSTAT prog=$p config=$c failed=1"
	done
done
if [ -x $VS ]; then
	for p in nt_tpg1 nt_kp1 nt_tp_kfree_skb nt_nft_do_chain nt_nft_trace_packet; do
		for c in none keep keep,filter all; do
			$VS $p $c 2> /dev/null
		done
	done
fi
} | python3 -c '
import json, sys
runs = []
stacks = []
for l in sys.stdin:
    w = l.split()
    if w and w[0] == "VSTAT":
        runs.append({k: (v if k in ("prog", "config") else float(v)) for k, v in (x.split("=", 1) for x in w[1:])})
    elif w and w[0] == "VSTACK":
        stacks.append(dict(x.split("=", 1) for x in w[1:] if "=" in x))
load = open("/proc/loadavg").read().split()[:3]
rows = []
for p in ("nt_tpg1", "nt_kp1", "nt_fe1"):
    off = [r for r in runs if r["prog"] == p and r["config"] == "off" and "failed" not in r]
    on = [r for r in runs if r["prog"] == p and r["config"] == "on" and "failed" not in r]
    if not off:
        continue
    a, b = off[0], on[0] if on else {}
    for key, what, unit in (("insns", "instructions loaded", ""), ("xlated", "after dead code removal", ""),
                            ("processed", "verifier: instructions processed", ""), ("states", "verifier: states", ""),
                            ("verify_us", "verifier: time", "us"), ("load_ms_median", "clone load (median)", "ms")):
        rows.append({"name": "%s: %s" % (p, what), "value": a[key], "unit": unit,
                     "baseline": "every option on", "baseline_value": b.get(key), "baseline_unit": unit})
for r in stacks:
    rows.append({"name": "%s: combined stack, 6.1 rule (%s)" % (r["prog"], r["config"]), "value": int(r["r61"]),
                 "unit": "B", "baseline": "6.12 rule", "baseline_value": int(r["r612"]), "baseline_unit": "B",
                 "target": "<= 512", "met": 0 <= int(r["r61"]) <= 512})
print(json.dumps({"table": rows, "runs": runs, "stacks": stacks, "load": load}))
' | python3 bench/lib/bench.py emit verifier
