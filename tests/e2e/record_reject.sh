#!/bin/bash
# record_reject.sh - e2e scenario: reject with ICMP: a UDP datagram to port 9 is rejected (rule verdict DROP, reason NETFILTER_DROP) and B answers with an ICMP port unreachable that travels back to A.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_reject
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/reject.nft" || { nt_fail "ruleset"; exit 1; }

nt_record_start "$NSA" "$NSB" -- -q 
ip netns exec "$NSA" bash -c "echo hello > /dev/udp/$B4/9"
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "UDP", "src": "10.99.0.1", "dst": "10.99.0.2", "dport": 9},
  "count": 1, "nft": [["filter", "input", 2, "DROP"]], "verdict": "DROP", "drop_reason": "NETFILTER_DROP",
  "text": {"2": "udp dport 9 reject with icmp port-unreachable"}},
 {"match": {"proto": "ICMP", "src": "10.99.0.2", "dst": "10.99.0.1", "icmp_type": 3, "icmp_code": 3},
  "count": 1, "nft": [], "path_has": ["net:net_dev_queue", "net:netif_rx", "net:netif_receive_skb"]}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
