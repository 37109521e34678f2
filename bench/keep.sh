#!/bin/bash
# bench/keep.sh - what an always-on recorder costs (issue #19), host,
# tracepoint mode: the same traffic mix three ways, one after the other in one
# run: untraced, a full recording, --keep drop.  Traffic: iperf3 TCP A -> B
# (-P 2) and a UDP flow of 64-byte datagrams at 2000/s to port 9999 of which a
# rule drops 1 % (numgen), plus those B's input accepts; every packet gets
# nftrace rule steps.  Per way: iperf3 throughput (ratio to untraced), the
# recorder's CPU time (utime + stime from /proc), bytes written per minute,
# packets kept / discarded (summary line).  Goals (issue #19): --keep drop
# writes < 2 % of the full recording's bytes; its throughput cost is less
# than half the full recording's.  In tracepoint mode --keep selects in user
# space: every record still crosses the ring buffer (no kernel-side keep).
#   BENCH_QUICK=1   4 s per way instead of 10
#   BENCH_VM=6.12   also the three ways in that test VM, function mode (the
#                   kernel-side keep; bench/vm/keep.sh, tests/vm/libvm.sh)
#   BENCH_VM_ONLY=1 only the VM's rows (no host ways: no e2e lock needed)
#   BENCH_VM_ROUNDS=N the VM's ways in turn N times (default 2; medians)
#   BENCH_KEEP_OLD=PATH another nft-record build: a fourth VM way, "keepold"
#                   (--keep drop --keep-kernel with it: before / after a change)
#   BENCH_KEEP_WAYS="floor-attach floor-lookup floor-track" floors beside the
#                   VM's ways (bench/vm/keep.sh): what the probes cost returning
#                   at once, after the skb's state lookup, with the whole
#                   tracking but no record kept (how much of the cost no keep
#                   design can save)
# Writes bench/results/keep.json.  Needs root.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
REC=$O/nft-record
T=10
[ "${BENCH_QUICK:-0}" = 1 ] && T=4
. bench/lib/netns.bash
NS=ntbk
W=$(mktemp -d /tmp/nt-bench-keep.XXXXXX)

skip() {
	echo "bench/keep.sh: SKIP: $*"
	python3 -c 'import json,sys; print(json.dumps({"skipped": sys.argv[1], "table": []}))' "$*" |
		python3 bench/lib/bench.py emit keep
	exit 0
}
cleanup() {
	for p in ${RP:-} ${SPID:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	bench_netns_down $NS
	rm -rf "$W"
}
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$REC" ] || skip "$REC not built"
command -v iperf3 >/dev/null || skip "iperf3 missing (scripts/deps.sh)"
trap cleanup EXIT
HOST=1; [ "${BENCH_VM_ONLY:-0}" = 1 ] && [ -n "${BENCH_VM:-}" ] && HOST=0
[ $HOST = 0 ] || bench_netns_up $NS || skip "netns setup failed"
[ $HOST = 0 ] || ip netns exec ${NS}_b nft -f - <<'NFT' || skip "ruleset"
table inet bench {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 numgen random mod 100 0 counter drop
		udp dport 9999 counter accept
		tcp dport 5201 counter accept
	}
}
NFT

# one way: NAME [recorder options...] ("none" = untraced) -> W/NAME.res
way() {
	local name=$1; shift
	RP=""
	if [ "$name" != none ]; then
		ip netns exec ${NS}_a "$REC" -b tracepoint -n ${NS}_b --filter 'net 10.98.0.0/24' \
			-o "$W/$name.ntl" "$@" > "$W/$name.out" 2>&1 &
		RP=$!
		for i in $(seq 1 100); do grep -qs '^prog_id:' /proc/$RP/fdinfo/* && break; sleep 0.2; done
		sleep 1
	fi
	ip netns exec ${NS}_b iperf3 -s -1 > /dev/null 2>&1 &
	SPID=$!
	sleep 0.5
	ip netns exec ${NS}_a python3 - "$T" <<'PY' &
import socket, sys, time
t_end = time.time() + float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while time.time() < t_end:
    s.sendto(b"x" * 36, ("10.98.0.2", 9999))
    n += 1
    time.sleep(0.0005)
PY
	local up=$!
	local bps
	bps=$(ip netns exec ${NS}_a iperf3 -c 10.98.0.2 -t "$T" -P 2 -J 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' 2>/dev/null)
	wait $up
	wait $SPID 2>/dev/null
	local cpu=0 bytes=0 secs=$T kept="" disc=""
	if [ -n "$RP" ]; then
		sleep 1.5
		read -r ut st < <(awk '{print $14, $15}' /proc/$RP/stat)
		cpu=$(python3 -c "import os; print(($ut + $st) / os.sysconf('SC_CLK_TCK'))")
		kill -INT $RP; wait $RP
		bytes=$(stat -c %s "$W/$name.ntl")
		secs=$(sed -n 's/.* bytes, \([0-9.]*\) s -> .*/\1/p' "$W/$name.out")
		kept=$(sed -n 's/.*--keep [^:]*: \([0-9]*\) packets ended, \([0-9]*\) kept, \([0-9]*\) discarded.*/\1 \2 \3/p' "$W/$name.out")
	fi
	echo "$name ${bps:-0} $cpu $bytes ${secs:-$T} ${kept:-- - -}" > "$W/$name.res"
}
if [ $HOST = 1 ]; then
	way none
	way full
	way keep --keep drop
	cat "$W"/none.res "$W"/full.res "$W"/keep.res > "$W/all"
else
	: > "$W/all"
fi
# BENCH_VM=6.12: the same three ways in that test VM, function mode (kernel-side
# keep, bench/vm/keep.sh; ~4 min under TCG)
: > "$W/vm"
if [ -n "${BENCH_VM:-}" ]; then
	. tests/vm/libvm.sh
	if t=$(vm_check_tools) && vm_resolve "$BENCH_VM"; then
		mkdir -p "$W/guest"
		cp tests/vm/guest/init.sh tests/vm/guest/lib.sh "$W/guest/"
		cp bench/vm/keep.sh "$W/guest/run.sh"
		cp bench/vm/lib.sh "$W/guest/blib.sh"
		NT_VM_BINS="${NT_VM_BINS:-} $(command -v iperf3)"
		NT_VM_MODULES="$NT_VM_MODULES nft_numgen" # the 1 % drop rule
		old=""
		if [ -n "${BENCH_KEEP_OLD:-}" ]; then
			mkdir -p "$W/old"; cp "$BENCH_KEEP_OLD" "$W/old/nft-record-old"; old="$W/old/nft-record-old"
		fi
		if vm_build_initrd "$VM_KX" "$W/initrd.gz" "$W/guest" $O/nft-discover $O/nft-record $O/nft-analyze \
			$( [ -x $O/tests/tools/nt-vmprobe ] && echo $O/tests/tools/nt-vmprobe) $old; then
			l0=$(cut -d' ' -f1 /proc/loadavg)
			vm_boot "$(vm_vmlinuz "$VM_KX")" "$W/initrd.gz" "$W/vmres.txt" "$W/vmconsole.log" "nt.tag=$BENCH_VM nt.bt=$T nt.br=${BENCH_VM_ROUNDS:-2}$( [ -n "${BENCH_KEEP_WAYS:-}" ] && echo " nt.bw=$(echo $BENCH_KEEP_WAYS | tr ' ' ,)")"
			VMLOAD="$l0 -> $(cut -d' ' -f1 /proc/loadavg) (1 min)"
			tr -d '\r' < "$W/vmres.txt" | grep '^BENCH keep ' | sed "s/^BENCH keep //" > "$W/vm"
			tr -d '\r' < "$W/vmres.txt" | grep '^BENCH keepline ' # the recorders' --keep lines
			tr -d '\r' < "$W/vmres.txt" | grep '^BENCH kernel=' # kernel, backend, clocksource
			tr -d '\r' < "$W/vmres.txt" | grep '^BENCH keepprog ' | sed "s/^BENCH keepprog //" > "$W/vmprogs"
			python3 bench/lib/keepprogs.py "$W/vmprogs" # ns per run per program and way
			echo "bench/keep.sh: host load $VMLOAD"
			[ -s "$W/vm" ] || tail -n 30 "$W/vmconsole.log"
		fi
	else
		echo "bench/keep.sh: BENCH_VM=$BENCH_VM: ${t:-$VM_WHY}"
	fi
fi
python3 - "$W/all" "$T" "$W/vm" "${BENCH_VM:-}" "${VMLOAD:-}" <<'PY' | python3 bench/lib/bench.py emit keep
import json, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows[f[0]] = {"bps": float(f[1]), "cpu": float(f[2]), "bytes": int(f[3]), "secs": float(f[4]),
                  "seen": f[5], "kept": f[6], "discarded": f[7]}
vm, vmr = {}, {}
for line in open(sys.argv[3]):
    d = dict(kv.split("=", 1) for kv in line.split())
    vmr.setdefault(d["way"], []).append(d)
# per way over the rounds: the median throughput, the other columns summed
# (BPF time and runs, CPU, bytes) or the median (whole-run columns)
med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else (sorted(v)[len(v) // 2 - 1] + sorted(v)[len(v) // 2]) / 2
for w, ds in vmr.items():
    f = lambda k, t=float: [t(d.get(k, 0)) for d in ds]
    vm[w] = {"bps": med(f("mbps")) * 1e6, "bps_rounds": f("mbps"), "cpu": med(f("cpu_s")),
             "bytes": int(med(f("bytes", int))), "bytes_t": sum(f("bytes_t", int)),
             "secs": med(f("secs")), "seen": ds[-1]["seen"], "kept": ds[-1]["kept"], "discarded": ds[-1]["disc"],
             "kdisc": ds[-1]["kdisc"], "cpu_t": round(sum(f("cpu_t")), 2),
             "bpf_ms": round(sum(f("bpf_ms")), 1), "bpf_runs": sum(f("bpf_runs", int)), "rounds": len(ds)}
bpm = lambda r: r["bytes"] / r["secs"] * 60 if r["secs"] else 0
def vm_rows(tag):
    n, fu, k = vm["none"], vm["full"], vm["keep"]
    c = lambda r: 1 - r["bps"] / n["bps"] if n["bps"] else 0
    return [
        {"name": f"{tag}: iperf3 TCP untraced / full / --keep drop", "value": "%.0f / %.0f / %.0f" % (n["bps"] / 1e6, fu["bps"] / 1e6, k["bps"] / 1e6), "unit": "Mbit/s"},
        {"name": f"{tag}: throughput cost, --keep drop", "value": round(c(k), 3), "unit": "",
         "baseline": "full recording's cost", "baseline_value": round(c(fu), 3),
         "ratio": round(c(k) / c(fu), 3) if c(fu) > 0 else None, "target": "< 0.5",
         "met": bool(c(fu) > 0 and c(k) / c(fu) < 0.5)},
        {"name": f"{tag}: recorder CPU s, --keep drop", "value": k["cpu"], "unit": "s",
         "baseline": "full recording", "baseline_value": fu["cpu"], "ratio": round(k["cpu"] / fu["cpu"], 3) if fu["cpu"] else None},
        {"name": f"{tag}: recorder CPU s during the traffic, --keep drop", "value": k["cpu_t"], "unit": "s",
         "baseline": "full recording", "baseline_value": fu["cpu_t"], "ratio": round(k["cpu_t"] / fu["cpu_t"], 3) if fu["cpu_t"] else None},
        {"name": f"{tag}: BPF programs' run time during the traffic (bpf_stats), --keep drop", "value": k["bpf_ms"], "unit": "ms",
         "baseline": "full recording", "baseline_value": fu["bpf_ms"], "ratio": round(k["bpf_ms"] / fu["bpf_ms"], 3) if fu["bpf_ms"] else None},
        {"name": f"{tag}: BPF ns per program run, full / --keep drop", "value": "%.0f / %.0f" % (fu["bpf_ms"] * 1e6 / max(fu["bpf_runs"], 1), k["bpf_ms"] * 1e6 / max(k["bpf_runs"], 1)), "unit": "ns"},
        {"name": f"{tag}: bytes written per minute, --keep drop", "value": round(bpm(k)), "unit": "B",
         "baseline": "full recording", "baseline_value": round(bpm(fu)),
         "ratio": round(bpm(k) / bpm(fu), 4) if bpm(fu) else None, "target": "< 0.02",
         "met": bool(bpm(fu) and bpm(k) / bpm(fu) < 0.02)},
        {"name": f"{tag}: bytes written during the traffic (snapshots excluded), --keep drop", "value": k["bytes_t"], "unit": "B",
         "baseline": "full recording", "baseline_value": fu["bytes_t"],
         "ratio": round(k["bytes_t"] / fu["bytes_t"], 4) if fu["bytes_t"] else None, "target": "< 0.02",
         "met": bool(fu["bytes_t"] and k["bytes_t"] / fu["bytes_t"] < 0.02)},
        {"name": f"{tag}: packets ended / kept / discarded (in the kernel), --keep drop",
         "value": "%s / %s / %s (%s)" % (k["seen"], k["kept"], k["discarded"], k["kdisc"]), "unit": ""},
    ] + [
        {"name": f"{tag}: {w} (nothing recorded): throughput cost", "value": round(c(vm[w]), 3), "unit": "",
         "baseline": "full recording's cost", "baseline_value": round(c(fu), 3),
         "ratio": round(c(vm[w]) / c(fu), 3) if c(fu) > 0 else None,
         "bpf_ns_per_run": round(vm[w]["bpf_ms"] * 1e6 / max(vm[w]["bpf_runs"], 1)),
         "rounds_mbps": vm[w]["bps_rounds"]}
        for w in ("floor-attach", "floor-lookup", "floor-track") if w in vm
    ] + ([{"name": f"{tag}: iperf3 TCP per round: untraced / full / keep", "value": " | ".join("%.0f/%.0f/%.0f" % t for t in zip(n["bps_rounds"], fu["bps_rounds"], k["bps_rounds"])), "unit": "Mbit/s"}] if "keepold" not in vm else [
        {"name": f"{tag}: BENCH_KEEP_OLD build, --keep drop: throughput cost", "value": round(c(vm["keepold"]), 3), "unit": "",
         "baseline": "full recording's cost", "baseline_value": round(c(fu), 3),
         "ratio": round(c(vm["keepold"]) / c(fu), 3) if c(fu) > 0 else None},
        {"name": f"{tag}: BPF ns per program run, --keep drop: this build / BENCH_KEEP_OLD build", "value": "%.0f / %.0f" % (k["bpf_ms"] * 1e6 / max(k["bpf_runs"], 1), vm["keepold"]["bpf_ms"] * 1e6 / max(vm["keepold"]["bpf_runs"], 1)), "unit": "ns"},
        {"name": f"{tag}: iperf3 TCP per round: untraced / full / keep / keepold", "value": " | ".join("%.0f/%.0f/%.0f/%.0f" % t for t in zip(n["bps_rounds"], fu["bps_rounds"], k["bps_rounds"], vm["keepold"]["bps_rounds"])), "unit": "Mbit/s"},
    ])
def host_rows():
  n, fu, k = rows["none"], rows["full"], rows["keep"]
  cost = lambda r: 1 - r["bps"] / n["bps"] if n["bps"] else None
  return [
    {"name": "iperf3 TCP, untraced", "value": round(n["bps"] / 1e9, 3), "unit": "Gbit/s"},
    {"name": "iperf3 TCP, full recording", "value": round(fu["bps"] / 1e9, 3), "unit": "Gbit/s",
     "baseline": "untraced", "baseline_value": round(n["bps"] / 1e9, 3), "ratio": round(fu["bps"] / n["bps"], 3)},
    {"name": "iperf3 TCP, --keep drop", "value": round(k["bps"] / 1e9, 3), "unit": "Gbit/s",
     "baseline": "untraced", "baseline_value": round(n["bps"] / 1e9, 3), "ratio": round(k["bps"] / n["bps"], 3)},
    {"name": "throughput cost, --keep drop", "value": round(cost(k), 3), "unit": "",
     "baseline": "full recording's cost", "baseline_value": round(cost(fu), 3),
     "ratio": round(cost(k) / cost(fu), 3) if cost(fu) else None, "target": "< 0.5",
     "met": bool(cost(fu) and cost(k) / cost(fu) < 0.5)},
    {"name": "recorder CPU s, --keep drop", "value": k["cpu"], "unit": "s",
     "baseline": "full recording", "baseline_value": fu["cpu"], "ratio": round(k["cpu"] / fu["cpu"], 3) if fu["cpu"] else None},
    {"name": "bytes written per minute, --keep drop", "value": round(bpm(k)), "unit": "B",
     "baseline": "full recording", "baseline_value": round(bpm(fu)),
     "ratio": round(bpm(k) / bpm(fu), 4) if bpm(fu) else None, "target": "< 0.02",
     "met": bool(bpm(fu) and bpm(k) / bpm(fu) < 0.02)},
    {"name": "packets ended / kept / discarded, --keep drop", "value": "%s / %s / %s" % (k["seen"], k["kept"], k["discarded"]), "unit": ""},
  ]
table, notes = [], []
if rows:
    table = host_rows()
    notes.append("host, tracepoint mode: --keep selects in user space, every record still crosses the ring buffer")
if all(w in vm for w in ("none", "full", "keep")):
    table += vm_rows(sys.argv[4] + " guest, function mode (TCG)")
    notes.append(sys.argv[4] + " guest (QEMU TCG, 40 functions, backend auto): --keep drop decided in the kernel; host load " + sys.argv[5])
print(json.dumps({"seconds": float(sys.argv[2]), "runs": rows, "vm": vm, "table": table, "notes": notes}))
PY
