#!/bin/bash
# soak_record.sh - nft-record under steady traffic for SOAK_SECONDS (default 60;
# the 10-minute run: SOAK_SECONDS=600): ping at 200 packets/s each way plus a
# TCP stream capped at 2 Mbit/s between two namespaces, an nftables ruleset with
# a counter rule in B.  RSS of the recorder sampled from /proc every 2 s must
# stay flat after the warm-up (SOAK_WARMUP, default 10 s): growth over the rest
# of the run <= SOAK_RSS_GROWTH_KB (default 4096).  Losses are counted (ring
# buffer, netlink) and printed; the log must be complete and readable with
# at least 90 % of the ICMP packets sent.  Numbers: $SF_T/soak.txt (printed).
# Not in make test (62 s): soak_keep_rotate.sh's full recording checks the same
# over its 90 s (RSS after warm-up, complete log, exit 0, nothing left); runs
# when SOAK_SECONDS is set (bench/soak.sh: 600 s).
set -u
cd "$(dirname "$0")/../.."
[ -n "${SOAK_SECONDS:-}" ] || { echo "SKIP: soak_record: in make bench (bench/soak.sh) or with SOAK_SECONDS=N; make test's soak is soak_keep_rotate"; exit 0; }
. tests/e2e/lib_safety.sh
sf_init soak_record
SECS=${SOAK_SECONDS:-60}
WARM=${SOAK_WARMUP:-10}
GROWTH=${SOAK_RSS_GROWTH_KB:-4096}
sf_ns_pair || { echo "FAIL: soak_record: cannot create namespaces"; exit 1; }
ip netns exec "$SF_B" nft -f - <<'NFT'
table inet soak {
	chain input {
		type filter hook input priority 0; policy accept;
		icmp type echo-request counter accept
		tcp dport 5201 counter accept
	}
}
NFT
have_iperf=0
command -v iperf3 >/dev/null && have_iperf=1
if [ $have_iperf = 1 ]; then
	ip netns exec "$SF_B" iperf3 -s -1 >/dev/null 2>&1 &
	SF_EXTRA_PIDS+=($!)
	sleep 0.3
fi

sf_start -o "$SF_T/soak.ntl"
[ -n "$SF_PROGS" ] || { echo "FAIL: soak_record: recorder did not start: $(head -c 300 "$SF_T/rec.err")"; exit 1; }
ip netns exec "$SF_A" ping -q -i 0.005 -w "$SECS" "$SF_B4" >"$SF_T/pingA" 2>&1 &
pa=$!
ip netns exec "$SF_B" ping -q -i 0.005 -w "$SECS" "$SF_A4" >"$SF_T/pingB" 2>&1 &
pb=$!
if [ $have_iperf = 1 ]; then
	ip netns exec "$SF_A" iperf3 -c "$SF_B4" -b 2M -t "$SECS" >/dev/null 2>&1 &
	SF_EXTRA_PIDS+=($!)
fi
: >"$SF_T/rss"
t0=$(date +%s)
while kill -0 $pa 2>/dev/null || kill -0 $pb 2>/dev/null; do
	echo "$(( $(date +%s) - t0 )) $(awk '/^VmRSS:/ {print $2}' /proc/"$SF_PID"/status 2>/dev/null)" >>"$SF_T/rss"
	sleep 2
done
wait $pa $pb 2>/dev/null
sf_stop INT
# pings sent (both directions, from ping's summary)
npings=$(cat "$SF_T/pingA" "$SF_T/pingB" | awk '/packets transmitted/ { n += $1 } END { print n + 0 }')
fails=0
[ "$SF_RC" = 0 ] && echo "PASS: soak_exit_0" || { echo "FAIL: soak_exit_0: exit $SF_RC: $(head -c 300 "$SF_T/rec.err")"; fails=1; }
left=$(sf_left)
[ -z "$left" ] && echo "PASS: soak_nothing_left" || { echo "FAIL: soak_nothing_left: $left"; fails=1; }

"$SF_ANA" stats --json "$SF_T/soak.ntl" >"$SF_T/stats.json" 2>"$SF_T/stats.err"; arc=$?
icmp=$("$SF_ANA" stats --json --proto icmp "$SF_T/soak.ntl" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["totals"]["packets"])' 2>/dev/null)
python3 - "$SF_T/rss" "$SF_T/stats.json" "$WARM" "$GROWTH" "$npings" "$arc" "$SECS" "$(stat -c %s "$SF_T/soak.ntl")" "${icmp:-0}" <<'PY' | tee "$SF_T/soak.txt"
import json, sys
rssf, statsf, warm, growth, npings, arc, secs, size, icmp = sys.argv[1:]
icmp = int(icmp)
warm, growth, npings, arc, secs, size = int(warm), int(growth), int(npings), int(arc), int(secs), int(size)
rows = [l.split() for l in open(rssf)]
rss = [(int(t), int(k)) for t, k in (r for r in rows if len(r) == 2)]
after = [k for t, k in rss if t >= warm]
ok = True
if len(after) < 2:
    print("FAIL: soak_rss_flat: too few samples after the warm-up (%d)" % len(after)); ok = False
else:
    base, peak, last = after[0], max(after), after[-1]
    line = "RSS KiB: start %d, after warm-up %d, peak %d, end %d (%d samples); growth after warm-up %d KiB (bound %d)" % (
        rss[0][1], base, peak, last, len(rss), peak - base, growth)
    print(("PASS: soak_rss_flat: " if peak - base <= growth else "FAIL: soak_rss_flat: ") + line)
    ok &= peak - base <= growth
try:
    s = json.load(open(statsf))["stats"]
    t, loss = s["totals"], s["loss"]
except Exception as e:
    print("FAIL: soak_log_readable: nft-analyze exit %d, %s" % (arc, e)); sys.exit(1)
ev, pk = t["events"], t["packets"]
print("log: %d bytes, %d events, %d packets in %d s (%.0f events/s); lost: ring buffer %d, netlink %d, user %d" % (
    size, ev, pk, secs, ev / max(secs, 1), loss["ringbuf"], loss["netlink"], loss["user"]))
# every ping is a request and a reply: 2 * npings ICMP packets were sent
if arc == 0 and t["log_complete"] and npings > 0 and icmp >= 0.9 * 2 * npings:
    print("PASS: soak_log_readable: complete, %d ICMP packets >= 90%% of the %d sent" % (icmp, 2 * npings))
else:
    print("FAIL: soak_log_readable: analyze exit %d, complete %s, %d ICMP packets of %d sent" % (arc, t["log_complete"], icmp, 2 * npings))
print("PASS: soak_losses_counted: ring buffer %d, netlink %d" % (loss["ringbuf"], loss["netlink"]))
PY
grep -q '^FAIL' "$SF_T/soak.txt" && fails=1
[ -n "${SOAK_KEEP:-}" ] && cp "$SF_T/rss" "$SF_T/soak.txt" "$SOAK_KEEP/" 2>/dev/null
[ $fails = 0 ]
