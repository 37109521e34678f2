#!/bin/sh
# truth.sh - guest side of the VM twin of tests/e2e/truth_router.sh (issue #15,
# per-packet truth in function mode: BPF verdicts, kprobe-multi on 6.12).  Run
# by /init instead of run.sh when the kernel command line has nt.truth=1 (see
# tests/vm/truth_vm.sh, which checks the results on the host).
#
# Same topology, rulesets and traffic as the host test (/guest/lib_truth.sh is
# tests/e2e/lib_truth.sh, /guest/rules the samples/rulesets/truth-*.nft); the
# marking tables' output chains trace locally generated packets.  Four
# recordings (nft-discover's default trace_config.json, backend nt.truthbe,
# default auto), each in fresh namespaces:
#   A  markers + per-packet traffic, nft -a monitor trace in c1 c2 r s
#   F  flood of nt.truthflood UDP datagrams at nt.truthpps, no monitor
#   V  a third of that flood with --max-events-per-s nt.truthvalve (issue #19's
#      safety valve) and --filter 'udp port 5001': recorded + shed = delivered
#   B  A again (diff: identical),  C  A with one server rule changed (diff)
# Everything (logs, monitor output, counters, traffic outcomes) leaves the
# guest as a tar.gz written to the virtio disk /dev/vda ("NT_DATA_BYTES n" on
# the result channel); the host runs nft-analyze and tests/tools/truth_check.py.
. /guest/lib.sh
. /guest/lib_truth.sh
TRUTH_PFX=""
TRUTH_RULES=/guest/rules
TRUTH_TRAFFIC=/opt/nt/nt-traffic
BE=${NT_TRUTH_BE:-auto}
FLOOD=${NT_TRUTH_FLOOD:-3000}
VALVE=${NT_TRUTH_VALVE:-3000}
REC_OPTS=""; REC_FILTER=""
PPS=${NT_TRUTH_PPS:-500}
OUT=/tmp/truth
DATA=${NT_DATA:-/dev/vda}
mkdir -p $OUT
t_start=$(cut -d' ' -f1 /proc/uptime)

elapsed() { awk -v t0="$t_start" '{ printf "%.0f", $1 - t0 }' /proc/uptime; }

rec_start() { # DIR MONITOR(0|1): recorder in r for c1, c2, s (+ monitors)
	TRUTH_MON_PIDS=""
	[ "$2" = 1 ] && truth_monitors "$1"
	ip netns exec r nft-record -c $OUT/cfg.json -b "$BE" -n c1 -n c2 -n s -o "$1/rec.ntl" $REC_OPTS ${REC_FILTER:+--filter "$REC_FILTER"} \
		> "$1/rec.out" 2> "$1/rec.err" &
	REC=$!
	n=0
	while ! grep -q -E 'recording to|error|cannot' "$1/rec.err" && kill -0 $REC 2>/dev/null && [ $n -lt 3000 ]; do
		sleep 0.1; n=$((n + 1))
	done
	truth_wait_table $REC || { info "truth: nft-record did not start: $(head -c 300 "$1/rec.err")"; return 1; }
	sleep 1
}

rec_stop() { # DIR
	sleep 0.5
	kill -INT $REC 2>/dev/null
	wait $REC
	echo "$?" > "$1/rec.rc"
	truth_monitors_stop
	info "truth/$(basename "$1"): at $(elapsed) s: nft-record exit $(cat "$1/rec.rc"); $(grep -o "[a-z-]*: [0-9]*/[0-9]* functions attached in [0-9.]* ms" "$1/rec.err" | head -n 1); $(grep '^nft-record: [0-9]* events' "$1/rec.err" | head -n 1 | sed 's/^nft-record: //')"
}

truth_run() { # DIR
	mkdir -p "$1"
	info "truth/$(basename "$1"): start at $(elapsed) s"
	truth_topo || { res FAIL "truth/topology" "namespace / ruleset setup failed${TRUTH_ERR:+: $TRUTH_ERR}"; return 1; }
	truth_snapshot "$1" before
	rec_start "$1" 1 || { truth_monitors_stop; truth_teardown; return 1; }
	truth_marker start
	truth_traffic "$1"
	truth_marker end
	rec_stop "$1"
	truth_snapshot "$1" after
	truth_teardown
	bad=$(truth_traffic_check "$1")
	[ -z "$bad" ] || info "truth/$(basename "$1"): traffic did not behave as designed: $(echo $bad)"
}

uname -r > $OUT/kernel
cd $OUT && nft-discover -q -c $OUT/cfg.json -o $OUT/all.json || res FAIL "truth/discover" "nft-discover failed"
cd /
info "truth: nft-discover: $(grep -o '"name"' $OUT/cfg.json | wc -l) functions in trace_config.json ($(elapsed) s)"

truth_run $OUT/A
# flood: no monitor (it loses messages under floods); truth from counters and the traffic's own counts
mkdir -p $OUT/F
if truth_topo; then
	if rec_start $OUT/F 0; then
		truth_snapshot $OUT/F before
		truth_flood $OUT/F "$FLOOD" "$PPS"
		sleep 1
		truth_snapshot $OUT/F after
		rec_stop $OUT/F
	fi
	truth_teardown
fi
# the safety valve under the same flood (a third of it): function probes shed
# whole packets in the kernel; the log counts them (COUNT shed / shed_events)
mkdir -p $OUT/V
if [ "$VALVE" != 0 ] && truth_topo; then
	REC_OPTS="--max-events-per-s $VALVE"; REC_FILTER="udp port 5001"
	if rec_start $OUT/V 0; then
		truth_snapshot $OUT/V before
		truth_flood $OUT/V "$((FLOOD / 3))" "$PPS"
		sleep 1
		truth_snapshot $OUT/V after
		rec_stop $OUT/V
	fi
	REC_OPTS=""; REC_FILTER=""
	truth_teardown
fi
truth_run $OUT/B
mkdir -p /tmp/rules-changed
cp /guest/rules/*.nft /tmp/rules-changed/
sed -i 's/udp dport 5002 counter drop/udp dport 5002 counter log prefix "changed " drop/' /tmp/rules-changed/truth-server.nft
TRUTH_RULES=/tmp/rules-changed truth_run $OUT/C
rm -f $OUT/all.json $OUT/cfg.json
tar czf /tmp/truth.tgz -C /tmp truth
n=$(wc -c < /tmp/truth.tgz)
if [ -b "$DATA" ] && dd if=/tmp/truth.tgz of="$DATA" bs=1M 2>/dev/null && sync; then
	echo "NT_DATA_BYTES $n" > "${NT_RES:-/dev/stdout}"
	info "truth: recordings done after $(elapsed) s; $n bytes written to $DATA"
else
	res FAIL "truth/data" "cannot write $n bytes to $DATA"
fi
exit 0
