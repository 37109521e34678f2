#!/bin/bash
# record_kill9.sh - kill -9 in the middle of a recording (drop scenario under a
# ping flood): the partial log is readable (nft-analyze exit 0, or 3 for a torn
# last block) and holds complete journeys with the exact nft verdict and drop
# reason; the recorder's nft tables (both namespaces) and BPF programs / links
# are gone; nothing pinned.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_kill9
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/drop.nft" || { nt_fail "ruleset"; exit 1; }
nt_record_start "$NSA" "$NSB" -- -q --filter "host $A4"
ip netns exec "$NSA" ping -q -i0.01 -c300 -W1 "$B4" > /dev/null &
NT_PIDS+=($!)
sleep 2.5   # the writer flushes a block every second
nt_record_stop KILL
[ "$NT_REC_RC" = 137 ] || nt_fail "recorder exit $NT_REC_RC after SIGKILL, expected 137"
"$NT_ANA" journeys --json "$NT_LOG" > "$NT_TMP/journeys.json" 2> "$NT_TMP/ana.err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
	nt_fail "nft-analyze on the partial log: exit $rc: $(head -c 300 "$NT_TMP/ana.err")"
else
	python3 - "$NT_TMP/journeys.json" <<'PY' || nt_fail "partial log content (above)"
import json, sys
js = json.load(open(sys.argv[1]))['journeys']
ok = [j for j in js if j.get('proto') == 'ICMP' and j.get('src') == '10.99.0.1' and j.get('icmp_type') == 8
      and not j['incomplete']]
good = [j for j in ok if [[n['table'], n['chain'], n['handle'], n['verdict']] for n in j['nft']] == [['filter', 'input', 2, 'DROP']]
        and j.get('drop_reason') == 'NETFILTER_DROP']
print('  %d complete echo-request journeys, %d with exact nft verdict + drop reason' % (len(ok), len(good)))
# ~100 pings/s for ~2 s, of which at least the first flushed second must be there
sys.exit(0 if len(good) >= 50 and len(good) >= len(ok) - 5 else 1)
PY
fi
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
