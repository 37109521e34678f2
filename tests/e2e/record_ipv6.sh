#!/bin/bash
# record_ipv6.sh - e2e scenario: IPv6: ICMPv6 echo requests accepted by a rule of an ip6 table, a TCP SYN to port 8080 dropped by a rule (NETFILTER_DROP). Recorded with --filter ip6.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_ipv6
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/ipv6.nft" || { nt_fail "ruleset"; exit 1; }

nt_record_start "$NSA" "$NSB" -- -q --filter ip6
ip netns exec "$NSA" ping -6 -c2 -i0.2 -W1 "$B6" > /dev/null
ip netns exec "$NSA" python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.settimeout(0.5)
try: s.connect((\"$B6\", 8080))
except OSError: pass"
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "ICMPv6", "src": "fd99::1", "dst": "fd99::2", "icmp_type": 128},
  "count": 2, "nft": [["filter6", "input", 2, "ACCEPT"]], "verdict": "ACCEPT",
  "path_has": ["net:net_dev_queue", "net:netif_rx", "net:netif_receive_skb"]},
 {"match": {"proto": "TCP", "src": "fd99::1", "dst": "fd99::2", "dport": 8080},
  "count": 1, "nft": [["filter6", "input", 3, "DROP"]], "verdict": "DROP", "drop_reason": "NETFILTER_DROP",
  "path": ["net:net_dev_queue", "net:net_dev_start_xmit", "net:netif_rx_entry", "net:netif_rx", "net:net_dev_xmit", "net:netif_receive_skb", "skb:kfree_skb"]}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
