#!/bin/bash
# record_filter.sh - --filter in BPF and in the nftrace rules:
# --filter 'src 10.99.0.1 and udp and dst port 7' while A sends UDP to ports 7 and 9
# and pings B.  Only the port 7 datagram may be traced: exactly one journey from
# 10.99.0.1 (UDP dport 7, accepted by rule 3 of reject.nft), no ICMP / port 9
# journey, and nft monitor trace (which sees what the recorder marked) agrees.
# The datagram is accepted by nft (verdict ACCEPT) and then dropped with NO_SOCKET
# (no listener: fate dropped).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_filter
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/reject.nft" || { nt_fail "ruleset"; exit 1; }
nt_record_start "$NSA" "$NSB" -- -q --filter "src $A4 and udp and dst port 7"
ip netns exec "$NSA" ping -c2 -i0.2 -W1 "$B4" > /dev/null
ip netns exec "$NSA" bash -c "echo seven > /dev/udp/$B4/7; echo nine > /dev/udp/$B4/9"
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "UDP", "src": "10.99.0.1", "dst": "10.99.0.2", "dport": 7},
  "count": 1, "nft": [["filter", "input", 3, "ACCEPT"]], "verdict": "ACCEPT", "fate": "dropped",
  "drop_reason": "NO_SOCKET"},
 {"match": {"src": "10.99.0.1", "proto": "ICMP"}, "count": 0},
 {"match": {"src": "10.99.0.1", "dport": 9}, "count": 0},
 {"match": {"src": "10.99.0.2"}, "count": 0}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
