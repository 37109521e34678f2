#!/bin/bash
# bench/pcapfilter.sh - what --filter costs in BPF: two recorders in the same
# run (tracepoint backend, --no-nftrace, the same traffic: ping flood A -> B
# and iperf3 TCP), one without a filter, one with a 10-term pcap-filter
# expression (EXPR below: ICMP of A and TCP SYNs match, the other segments do
# not).  kernel.bpf_stats_enabled gives run_time_ns and run_cnt of each
# recorder's BPF programs; the result is BPF time per program run (= per
# tracepoint hit, "per event") with and without the filter, plus the events
# each recorder wrote.  The filter itself runs once per packet where it is
# first seen (and where an untraced packet's headers change); every later hit
# of a packet it left out costs one map lookup.
#   BENCH_QUICK=1   3 s of traffic instead of 10
# Writes bench/results/pcapfilter.json.  Needs root.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
REC=$O/nft-record
T=10
[ "${BENCH_QUICK:-0}" = 1 ] && T=3
EXPR='host 10.98.0.1 and not net 192.168.0.0/16 and ip[8] > 1 and greater 60 and (icmp or tcp[tcpflags] & tcp-syn != 0 or tcp port 80 or tcp port 443 or udp port 53 or ip6)'
. bench/lib/netns.bash
NS=ntbp
W=$(mktemp -d /tmp/nt-bench-pcapf.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)

skip() {
	echo "bench/pcapfilter.sh: SKIP: $*"
	python3 -c 'import json,sys; print(json.dumps({"skipped": sys.argv[1], "table": []}))' "$*" |
		python3 bench/lib/bench.py emit pcapfilter
	exit 0
}
cleanup() {
	for p in ${P0:-} ${P1:-} ${SPID:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	bench_netns_down $NS
	rm -rf "$W"
}
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$REC" ] || skip "$REC not built"
command -v iperf3 >/dev/null && command -v bpftool >/dev/null || skip "iperf3 / bpftool missing (scripts/deps.sh)"
trap cleanup EXIT
bench_netns_up $NS || skip "netns setup failed"
sysctl -qw kernel.bpf_stats_enabled=1 || skip "kernel.bpf_stats_enabled not settable"

ip netns exec ${NS}_a "$REC" -b tracepoint --no-nftrace -n ${NS}_b -o "$W/none.ntl" > "$W/none.out" 2>&1 &
P0=$!
ip netns exec ${NS}_a "$REC" -b tracepoint --no-nftrace -n ${NS}_b --filter "$EXPR" -o "$W/filt.ntl" \
	> "$W/filt.out" 2>&1 &
P1=$!
for i in $(seq 1 100); do
	n=0
	for p in $P0 $P1; do grep -qs '^prog_id:' /proc/$p/fdinfo/* && n=$((n + 1)); done
	[ $n = 2 ] && break
	sleep 0.2
done
sleep 2
ip netns exec ${NS}_b iperf3 -s -1 > /dev/null 2>&1 &
SPID=$!
sleep 0.5
ip netns exec ${NS}_a ping -f -w "$T" -q 10.98.0.2 > /dev/null 2>&1 &
PF=$!
ip netns exec ${NS}_a iperf3 -c 10.98.0.2 -t "$T" -P 2 > /dev/null 2>&1
wait $PF
sleep 1

# run_time_ns / run_cnt of every program a recorder holds (ids from its fds)
progstats() { # PID -> "RUN_NS RUN_CNT NPROGS"
	local ids id ns=0 cnt=0 n=0 j
	ids=$(grep -hs '^prog_id:' /proc/$1/fdinfo/* | awk '{print $2}' | sort -u)
	for id in $ids; do
		j=$(bpftool prog show id "$id" --json 2>/dev/null) || continue
		read -r a b <<< "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns", 0), d.get("run_cnt", 0))')"
		ns=$((ns + a)); cnt=$((cnt + b)); n=$((n + 1))
	done
	echo "$ns $cnt $n"
}
read -r ns0 cnt0 n0 <<< "$(progstats $P0)"
read -r ns1 cnt1 n1 <<< "$(progstats $P1)"
kill -INT $P0 $P1
wait $P0 $P1
ev0=$(grep -o '^nft-record: [0-9]* events' "$W/none.out" | awk '{print $2}')
ev1=$(grep -o '^nft-record: [0-9]* events' "$W/filt.out" | awk '{print $2}')
[ "${cnt0:-0}" -gt 0 ] && [ "${cnt1:-0}" -gt 0 ] || skip "no program runs counted (bpf_stats): $(head -c 200 "$W/filt.out")"
python3 - "$ns0" "$cnt0" "$n0" "$ns1" "$cnt1" "$n1" "${ev0:-0}" "${ev1:-0}" "$T" "$EXPR" <<'PY' | python3 bench/lib/bench.py emit pcapfilter
import json, sys
ns0, cnt0, n0, ns1, cnt1, n1, ev0, ev1, t = map(int, sys.argv[1:10])
expr = sys.argv[10]
per0, per1 = ns0 / cnt0, ns1 / cnt1
rows = [
    {"name": "BPF ns per program run, no filter", "value": round(per0, 1), "unit": "ns"},
    {"name": "BPF ns per program run, 10-term --filter", "value": round(per1, 1), "unit": "ns",
     "baseline": "no filter, same run", "baseline_value": round(per0, 1), "ratio": round(per1 / per0, 3)},
    {"name": "program runs (each recorder)", "value": cnt1, "unit": "",
     "baseline": "no filter", "baseline_value": cnt0},
    {"name": "events written, 10-term --filter", "value": ev1, "unit": "",
     "baseline": "no filter", "baseline_value": ev0, "ratio": round(ev1 / ev0, 3) if ev0 else None},
    {"name": "BPF ms in total, 10-term --filter", "value": round(ns1 / 1e6, 1), "unit": "ms",
     "baseline": "no filter", "baseline_value": round(ns0 / 1e6, 1), "ratio": round(ns1 / ns0, 3)},
]
print(json.dumps({"expr": expr, "seconds": t, "programs": [n0, n1], "table": rows}))
PY
