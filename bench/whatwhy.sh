#!/bin/bash
# bench/whatwhy.sh - what --capture-bytes 128 and --stack drop cost (issue #18):
# three recorders in the same run on the same traffic (tracepoint backend,
# --no-nftrace): none, --capture-bytes 128, --stack drop.  Traffic for T s:
# ping flood A -> B, iperf3 TCP A -> B, and a UDP flood to port 9999 that B's
# ruleset drops (so --stack has drops to take stacks at).  Per recorder: records
# written, log bytes, bytes per record, records per second, and the BPF time of
# its programs (kernel.bpf_stats_enabled: run_time_ns / run_cnt) against the
# recorder without the flags.
#   BENCH_QUICK=1   3 s of traffic instead of 10
# Writes bench/results/whatwhy.json.  Needs root.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
REC=$O/nft-record
ANA=$O/nft-analyze
TRAFFIC=$O/tests/tools/nt-traffic
T=10
[ "${BENCH_QUICK:-0}" = 1 ] && T=3
. bench/lib/netns.bash
NS=ntbw
W=$(mktemp -d /tmp/nt-bench-whatwhy.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
PIDS=()

fail() {
	echo "bench/whatwhy.sh: FAIL: $*" >&2
	exit 1
}
skip() {
	echo "bench/whatwhy.sh: SKIP: $*"
	python3 -c 'import json,sys; print(json.dumps({"skipped": sys.argv[1], "table": []}))' "$*" |
		python3 bench/lib/bench.py emit whatwhy
	exit 0
}
cleanup() {
	for p in "${PIDS[@]}" ${SPID:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	bench_netns_down $NS
	rm -rf "$W"
}
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$REC" ] && [ -x "$ANA" ] && [ -x "$TRAFFIC" ] || skip "$REC / $ANA / $TRAFFIC not built (make all unit)"
command -v iperf3 >/dev/null && command -v bpftool >/dev/null || skip "iperf3 / bpftool missing (scripts/deps.sh)"
trap cleanup EXIT
bench_netns_up $NS || fail "netns setup failed"
ip netns exec ${NS}_b nft -f - <<NFT || fail "ruleset in ${NS}_b"
table inet bw {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 counter drop
	}
}
NFT
sysctl -qw kernel.bpf_stats_enabled=1 || skip "kernel.bpf_stats_enabled not settable"

NAMES=(none bytes stack)
OPTS=("" "--capture-bytes 128" "--stack=drop")
for i in 0 1 2; do
	# shellcheck disable=SC2086
	ip netns exec ${NS}_a "$REC" -b tracepoint --no-nftrace -n ${NS}_b ${OPTS[$i]} -o "$W/${NAMES[$i]}.ntl" \
		> "$W/${NAMES[$i]}.out" 2>&1 &
	PIDS+=($!)
done
for i in $(seq 1 150); do
	n=0
	for j in 0 1 2; do grep -qs "recording to" "$W/${NAMES[$j]}.out" && n=$((n + 1)); done
	[ $n = 3 ] && break
	sleep 0.2
done
[ $n = 3 ] || fail "recorders did not start: $(head -c 300 "$W"/*.out)"
sleep 1
ip netns exec ${NS}_b iperf3 -s -1 > /dev/null 2>&1 &
SPID=$!
sleep 0.5
T0=$(date +%s.%N)
ip netns exec ${NS}_a ping -f -w "$T" -q 10.98.0.2 > /dev/null 2>&1 &
PF=$!
ip netns exec ${NS}_a "$TRAFFIC" udp-send 40999 10.98.0.2 9999 $((T * 2000)) 64 2000 > "$W/udp.out" 2>&1 &
PU=$!
ip netns exec ${NS}_a iperf3 -c 10.98.0.2 -t "$T" -P 2 > /dev/null 2>&1 || fail "iperf3 failed"
wait $PF $PU
T1=$(date +%s.%N)
sleep 1
drops=$(ip netns exec ${NS}_b nft list chain inet bw input | awk '/counter packets/ {for (i=1;i<NF;i++) if ($i=="packets") print $(i+1)}')
[ "${drops:-0}" -gt 0 ] || fail "the UDP flood was not dropped by the rule ($(cat "$W/udp.out"))"

# run_time_ns / run_cnt of every program a recorder holds (ids from its fds)
progstats() { # PID -> "RUN_NS RUN_CNT"
	local ids id ns=0 cnt=0 j a b
	ids=$(grep -hs '^prog_id:' /proc/$1/fdinfo/* | awk '{print $2}' | sort -u)
	for id in $ids; do
		j=$(bpftool prog show id "$id" --json 2>/dev/null) || continue
		read -r a b <<< "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns", 0), d.get("run_cnt", 0))')"
		ns=$((ns + a)); cnt=$((cnt + b))
	done
	echo "$ns $cnt"
}
ARGS=()
for i in 0 1 2; do
	read -r ns cnt <<< "$(progstats "${PIDS[$i]}")"
	ARGS+=("$ns" "$cnt")
done
kill -INT "${PIDS[@]}"
for p in "${PIDS[@]}"; do wait "$p" || fail "a recorder failed: $(tail -n 3 "$W"/*.out)"; done
PIDS=()
for i in 0 1 2; do
	f=$W/${NAMES[$i]}.ntl
	ev=$(grep -o '^nft-record: [0-9]* events' "$W/${NAMES[$i]}.out" | awk '{print $2}')
	secs=$(grep -o ', [0-9.]* s -> ' "$W/${NAMES[$i]}.out" | awk '{print $2}')
	"$ANA" stats --json "$f" > "$W/${NAMES[$i]}.json" 2>/dev/null || fail "nft-analyze stats ${NAMES[$i]}"
	nrec=$("$ANA" events --ndjson "$f" 2>/dev/null | python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l).get("type") for l in sys.stdin)
print(c.get("BYTES", 0), c.get("DROP", 0), c.get("STACKREF", 0))')
	ARGS+=("${ev:-0}" "$(stat -c %s "$f")" "${secs:-0}" $nrec)
done
STK=$(grep -o 'kernel stacks: [0-9]* distinct, lost [0-9]*' "$W/stack.out" | head -n1)
python3 - "$T" "$drops" "${ARGS[@]}" "$STK" <<'PY' | python3 bench/lib/bench.py emit whatwhy
import json, sys
a = sys.argv[1:]
t, drops = int(a[0]), int(a[1])
bpf = [(int(a[2 + 2 * i]), int(a[3 + 2 * i])) for i in range(3)]
rec = [a[8 + 6 * i: 14 + 6 * i] for i in range(3)]
names = ["none", "--capture-bytes 128", "--stack drop"]
ev = [int(r[0]) for r in rec]
size = [int(r[1]) for r in rec]
secs = [float(r[2]) for r in rec]
for i, (ns, cnt) in enumerate(bpf):
    if not cnt:
        print("bench/whatwhy.sh: FAIL: no program runs counted for %s" % names[i], file=sys.stderr)
        sys.exit(1)
rows = []
for i in (1, 2):
    rows += [
        {"name": "bytes per record, " + names[i], "value": round(size[i] / ev[i], 2), "unit": "B",
         "baseline": "no flag, same traffic", "baseline_value": round(size[0] / ev[0], 2),
         "ratio": round((size[i] / ev[i]) / (size[0] / ev[0]), 3)},
        {"name": "log bytes, " + names[i], "value": size[i], "unit": "B",
         "baseline": "no flag", "baseline_value": size[0], "ratio": round(size[i] / size[0], 3)},
        {"name": "records per second, " + names[i], "value": round(ev[i] / secs[i]), "unit": "/s",
         "baseline": "no flag", "baseline_value": round(ev[0] / secs[0]), "ratio": round((ev[i] / secs[i]) / (ev[0] / secs[0]), 3)},
        {"name": "BPF ns per program run, " + names[i], "value": round(bpf[i][0] / bpf[i][1], 1), "unit": "ns",
         "baseline": "no flag", "baseline_value": round(bpf[0][0] / bpf[0][1], 1),
         "ratio": round((bpf[i][0] / bpf[i][1]) / (bpf[0][0] / bpf[0][1]), 3)},
    ]
notes = ["%d s of traffic; %d UDP datagrams dropped by the rule; records: none %d, bytes %d (%s BYTES), stack %d "
         "(%s DROP, %s STACKREF; %s)" % (t, drops, ev[0], ev[1], rec[1][3], ev[2], rec[2][4], rec[2][5], a[26] or "no stack summary")]
print(json.dumps({"seconds": t, "drops": drops, "notes": notes, "table": rows}))
PY
