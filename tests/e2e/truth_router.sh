#!/bin/bash
# truth_router.sh - issue #15 "Per-packet truth": the per-packet oracle that
# decides when the issue is done (host, tracepoint + nftrace mode).
#
# In the e2e group of `make test` (tests/run.sh).  Run it directly:
#   sudo bash tests/e2e/truth_router.sh                     # PASS / FAIL per property
#   sudo NT_TRUTH_REPORT=1 bash tests/e2e/truth_router.sh   # metrics + examples, never fails
#   NT_TRUTH_KEEP=1      keep the work directory (logs, nft monitor output, checker JSON)
#   NT_TRUTH_FLOOD=3000  flood datagrams, NT_TRUTH_PPS=5000 their rate
#
# Three (four) namespaces c1, c2 -> r -> s (tests/e2e/lib_truth.sh) with the
# rulesets samples/rulesets/truth-*.nft (forwarding, masquerade v4 + v6, a
# named set, a verdict map, jump + return, goto, counters, reject with tcp
# reset, ct state, log; server: jump / return into an audit chain, rejects, a
# drop in the output hook; an nftrace-marking table at every hook of every
# namespace).  nft-record runs in r with --netns c1,c2,s while
# `nft -a monitor trace` runs in all four namespaces.
#   1. per-packet run: pings v4 / v6 (echo replies delivered to ping), TCP v4 / v6
#      accepted, reset by the router, reset by the server, UDP accepted / dropped
#      (router, server, policy via goto) / rejected, fragmented pings v4 + v6
#      (ping -s 3000), UDP dropped in the output hook (server and client);
#      checked per packet against nft monitor by tests/tools/truth_check.py
#      (definitions of chain run, packet and verdict are in its header):
#      truth_router/host/{steps,runs,packets,mixed,phantom,verdicts,order,fragments,loss}
#   2. flood: NT_TRUTH_FLOOD UDP datagrams c1 -> s, nft monitor off; recorded +
#      counted lost against the sender's / receiver's counts, ip -s link and the
#      rule counters: truth_router/flood/{truth,journeys,verdicts,phantom,loss_netlink}
#   3. diff: the per-packet traffic again in fresh namespaces: `nft-analyze diff`
#      exits 0 (truth_router/diff/identical); once more with one server rule
#      changed: exit 1 naming the rule and nothing else (truth_router/diff/changed_rule).
# About 1 minute.
. "$(dirname "$0")/lib_router.sh"
nt_lib_init truth_router
[ -x "$NT_TRAFFIC" ] || nt_skip "$NT_TRAFFIC not built (make unit)"
command -v python3 >/dev/null || nt_skip "python3 missing"
CHECK=$NT_ROOT/tests/tools/truth_check.py
REPORT=${NT_TRUTH_REPORT:-0}
[ "${NT_TRUTH_KEEP:-0}" = 1 ] && NT_KEEP=1
FLOOD=${NT_TRUTH_FLOOD:-3000}
PPS=${NT_TRUTH_PPS:-5000}
T0=$(date +%s)
ROPT=(); [ "$REPORT" = 1 ] && ROPT=(--report)

# a property of this script (not of the checker): PASS / FAIL, or INFO in report mode
prop() { # NAME OK WHY
	if [ "$REPORT" = 1 ]; then
		echo "INFO: truth_router/$1: $([ "$2" = 1 ] && echo ok || echo "FAILS: $3")"
	elif [ "$2" = 1 ]; then
		echo "PASS: truth_router/$1"
	else
		echo "FAIL: truth_router/$1: $3"
		NT_FAILED=1
	fi
}

# the per-packet recording: fresh topology, markers, traffic, analysis
truth_run() { # DIR
	local d=$1
	mkdir -p "$d"
	nt_router_topo || { nt_fail "topology setup failed${TRUTH_ERR:+: $TRUTH_ERR}"; return 1; }
	truth_snapshot "$d" before
	if ! nt_router_record_start "$d"; then
		nt_fail "nft-record did not start: $(head -c 300 "$d/rec.err")"; nt_router_record_stop; return 1
	fi
	truth_marker start
	truth_traffic "$d"
	truth_marker end
	nt_router_record_stop
	truth_snapshot "$d" after
	echo "# $(basename "$d"): recorder exit $NT_REC_RC; $(grep -h '^nft-record: [0-9]* events' "$d/rec.err" | head -n1)"
	[ "$NT_REC_RC" = 0 ] || echo "# recorder stderr: $(head -c 300 "$d/rec.err")"
	nt_router_teardown
}

W=$NT_TMP
# ---- 1. per-packet truth
truth_run "$W/A" || exit 1
bad=$(truth_traffic_check "$W/A")
prop traffic "$([ -z "$bad" ] && echo 1 || echo 0)" "the scenario's traffic did not behave as designed: $(echo $bad)"
python3 "$CHECK" packets "$W/A" --analyzer "$NT_ANA" --name truth_router/host "${ROPT[@]}" \
	--json "$W/A/check.json" || NT_FAILED=1

# ---- 2. flood (nft monitor off: it loses messages under floods; the truth is counted elsewhere)
F=$W/F; mkdir -p "$F"
if nt_router_topo; then
	NT_ROUTER_MONITOR=0 nt_router_record_start "$F" || nt_fail "nft-record did not start (flood)"
	truth_snapshot "$F" before
	truth_flood "$F" "$FLOOD" "$PPS"
	sleep 0.5
	truth_snapshot "$F" after
	nt_router_record_stop
	echo "# flood: recorder exit $NT_REC_RC; $(grep -h '^nft-record: [0-9]* events' "$F/rec.err" | head -n1)"
	nt_router_teardown
	python3 "$CHECK" flood "$F" --analyzer "$NT_ANA" --name truth_router/flood "${ROPT[@]}" \
		--json "$F/check.json" || NT_FAILED=1
else
	nt_fail "topology setup failed (flood)"
fi

# ---- 3. diff: identical traffic in fresh namespaces; then one rule changed
truth_run "$W/B"
python3 "$CHECK" packets "$W/B" --analyzer "$NT_ANA" --name truth_router/host-run2 --report --examples 0 \
	--json "$W/B/check.json" | grep -E '^# .*metrics'
RC2=$W/rules-changed; mkdir -p "$RC2"
cp "$NT_ROOT"/samples/rulesets/truth-*.nft "$RC2/"
sed -i 's/udp dport 5002 counter drop/udp dport 5002 counter log prefix "changed " drop/' "$RC2/truth-server.nft"
NT_TRUTH_RULES=$RC2 truth_run "$W/C"
python3 "$CHECK" diff "$W/A" "$W/B" "$W/C" --analyzer "$NT_ANA" --name truth_router/diff "${ROPT[@]}" \
	--changed-rule 'udp dport 5002 counter log prefix "changed " drop' --changed-port 5002 || NT_FAILED=1
echo "# truth_router: $(( $(date +%s) - T0 )) s; work directory $W$([ -n "$NT_KEEP" ] && echo " (kept)")"
[ "$REPORT" = 1 ] && exit 0
exit $NT_FAILED
