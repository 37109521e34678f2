#!/bin/bash
# record_goto.sh - e2e scenario: goto. Echo requests go to from_a, hit its counter rule and fall off its end; without a return address the base chain policy (drop) decides.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_goto
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/goto.nft" || { nt_fail "ruleset"; exit 1; }

nt_record_start "$NSA" "$NSB" -- -q 
ip netns exec "$NSA" ping -c2 -i0.2 -W1 "$B4" > /dev/null
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "ICMP", "src": "10.99.0.1", "dst": "10.99.0.2", "icmp_type": 8},
  "count": 2, "nft": [["filter", "input", 4, "GOTO"], ["filter", "from_a", 3, "CONTINUE"], ["filter", "from_a", 0, "CONTINUE"], ["filter", "input", 0, "DROP"]],
  "verdict": "DROP", "drop_reason": "NETFILTER_DROP"}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
