#!/bin/bash
# record_policy.sh - e2e scenario: accept by chain policy. No rule of B's input chain matches ICMP echo requests; the policy accepts them (kind policy, handle 0). Stopped with SIGTERM.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_policy
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/policy.nft" || { nt_fail "ruleset"; exit 1; }

nt_record_start "$NSA" "$NSB" -- -q 
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
nt_record_stop TERM
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "ICMP", "src": "10.99.0.1", "dst": "10.99.0.2", "icmp_type": 8},
  "count": 3, "nft": [["filter", "input", 0, "ACCEPT"]], "verdict": "ACCEPT",
  "path_has": ["net:net_dev_queue", "net:netif_rx", "net:netif_receive_skb"]},
 {"match": {"proto": "ICMP", "src": "10.99.0.2", "dst": "10.99.0.1", "icmp_type": 0},
  "count": 3, "nft": [], "path_has": ["net:net_dev_queue", "net:netif_receive_skb"]}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
