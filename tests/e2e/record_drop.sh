#!/bin/bash
# record_drop.sh - e2e scenario 1: a rule drops ICMP echo requests.
# Three pings from A to B; B's input rule (handle 2) drops them.  Asserts the
# nft sequence against nft monitor trace, the tracepoint path A->veth->B, the
# drop reason NETFILTER_DROP, the rule text, a clean SIGINT exit and no
# leftover table / BPF program.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_drop
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/drop.nft" || { nt_fail "ruleset"; exit 1; }
nt_record_start "$NSA" "$NSB" -- -q --stream
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "ICMP", "src": "10.99.0.1", "dst": "10.99.0.2", "icmp_type": 8},
  "count": 3,
  "nft": [["filter", "input", 2, "DROP"]],
  "text": {"2": "ip saddr 10.99.0.1 icmp type echo-request drop"},
  "verdict": "DROP", "drop_reason": "NETFILTER_DROP",
  "path": ["net:net_dev_queue", "net:net_dev_start_xmit", "net:netif_rx_entry", "net:netif_rx", "net:net_dev_xmit",
           "net:netif_receive_skb", "skb:kfree_skb"]}]}' || nt_fail "log does not match (above)"
# --stream printed exactly what nft-analyze events prints for the log
"$NT_ANA" events "$NT_LOG" > "$NT_TMP/events.txt"
if ! cmp -s "$NT_TMP/rec.out" "$NT_TMP/events.txt"; then
	nt_fail "--stream output differs from nft-analyze events: $(diff "$NT_TMP/rec.out" "$NT_TMP/events.txt" | head -5)"
elif [ "$(grep -c 'NFT_RULE.*\[DROP\]' "$NT_TMP/rec.out")" != 3 ]; then
	nt_fail "--stream: expected 3 NFT_RULE ... [DROP] lines, got $(grep -c 'NFT_RULE.*\[DROP\]' "$NT_TMP/rec.out")"
fi
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
