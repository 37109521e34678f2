#!/bin/bash
# record_jump.sh - e2e scenario: jump into a user chain and return. Echo requests jump to from_a (depth 1), hit a counter rule (verdict continue), fall off its end (return) and are accepted by input's next rule.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_jump
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/jump.nft" || { nt_fail "ruleset"; exit 1; }

nt_record_start "$NSA" "$NSB" -- -q 
ip netns exec "$NSA" ping -c2 -i0.2 -W1 "$B4" > /dev/null
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "ICMP", "src": "10.99.0.1", "dst": "10.99.0.2", "icmp_type": 8},
  "count": 2, "nft": [["filter", "input", 5, "JUMP"], ["filter", "from_a", 3, "CONTINUE"], ["filter", "from_a", 0, "CONTINUE"], ["filter", "input", 6, "ACCEPT"]],
  "depths": [0, 1, 1, 0], "verdict": "ACCEPT",
  "text": {"5": "ip saddr 10.99.0.1 jump from_a", "6": "icmp type echo-request accept"}}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
