#!/bin/bash
# record_nat.sh - e2e scenario: NAT: a TCP connection to 10.99.0.2:8080 is DNATed to port 80 in prerouting (ip nat table) and accepted by the filter rule for port 80; the SYN keeps its skb across the address change (NAT-invariant correlation). Recorded with --filter 'host 10.99.0.1 and tcp'.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_nat
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/nat.nft" || { nt_fail "ruleset"; exit 1; }
ip netns exec "$NSB" python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"0.0.0.0\", 80)); s.listen(1); c,_=s.accept(); c.recv(10); import time; time.sleep(0.5)" &
NT_PIDS+=($!); sleep 0.3
nt_record_start "$NSA" "$NSB" -- -q --filter 'host 10.99.0.1 and tcp'
ip netns exec "$NSA" python3 -c "import socket; s=socket.create_connection((\"$B4\", 8080), timeout=2); s.sendall(b\"x\"); s.close()"
sleep 0.2
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"flows": [{"match": {"proto": "TCP", "src": "10.99.0.1", "dst": "10.99.0.2", "dport": 8080},
  "min_count": 3,
  "first_nft": [["nat", "prerouting", 2, "ACCEPT"], ["filter", "input", 2, "ACCEPT"]],
  "nft": [["filter", "input", 2, "ACCEPT"]], "verdict": "ACCEPT",
  "text": {"2": "tcp dport 80 accept"},
  "path_has": ["net:net_dev_queue", "net:netif_rx", "net:netif_receive_skb"]}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
