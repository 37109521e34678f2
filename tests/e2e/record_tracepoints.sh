#!/bin/bash
# record_tracepoints.sh - e2e: every skb-carrying tracepoint of the kernel is
# recorded (generic raw tracepoint programs, nft-record/tracepoints.c).
# A TCP exchange A -> B:22 ("ping", B answers "pong"; B's rule handle 3 accepts).
# Asserts: the recorder attached exactly as many tracepoints as nft-discover
# lists (none failed); the data segment in each direction went through
# net:netif_rx_entry, tcp:tcp_probe and skb:skb_copy_datagram_iovec in this
# exact order after the packet path, with the TCP and Socket layers from the
# FUNCS block; the nft sequence matches nft monitor trace; no journey is made
# of a non-IP skb (netlink / unix messages also pass skb_copy_datagram_iovec).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_tracepoints
want=$("$NT_ROOT/$NT_O/nft-discover" -q -o "$NT_TMP/all.json" -c "$NT_TMP/cfg.json" &&
	python3 -c 'import json,sys; print(sum(f["kind"] == "tracepoint" for f in json.load(open(sys.argv[1]))["functions"]))' "$NT_TMP/all.json")
[ -n "$want" ] && [ "$want" -gt 8 ] || nt_skip "nft-discover lists ${want:-no} skb tracepoints"
grep -q '"skb:skb_copy_datagram_iovec"' "$NT_TMP/all.json" && grep -q '"tcp:tcp_probe"' "$NT_TMP/all.json" ||
	nt_skip "kernel without skb:skb_copy_datagram_iovec / tcp:tcp_probe"
nt_ns_pair 96 || { nt_fail "netns setup failed"; exit 1; }
sed 's/10\.99\./10.96./' "$NT_ROOT/samples/rulesets/drop.nft" > "$NT_TMP/rules.nft"
nt_ns_ruleset "$NSB" "$NT_TMP/rules.nft" || { nt_fail "ruleset"; exit 1; }
ip netns exec "$NSB" timeout 10 python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$B4"'", 22)); s.listen(1)
c, _ = s.accept(); c.recv(100); c.sendall(b"pong"); c.recv(100); c.close()' &
NT_PIDS+=($!)
nt_record_start "$NSA" "$NSB" --
ip netns exec "$NSA" timeout 10 python3 -c '
import socket, time
s = socket.create_connection(("'"$B4"'", 22)); s.sendall(b"ping")
assert s.recv(100) == b"pong"; time.sleep(0.1); s.close()' || nt_fail "TCP exchange failed"
sleep 0.3
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
grep -q "($want tracepoints," "$NT_TMP/rec.err" ||
	nt_fail "expected $want tracepoints attached: $(grep -E 'recording to|tracepoints' "$NT_TMP/rec.err")"
! grep -q "tracepoints failed" "$NT_TMP/rec.err" || nt_fail "$(grep 'tracepoints failed' "$NT_TMP/rec.err")"
# data segments: 14 Ethernet + 20 IPv4 + 32 TCP with timestamps + 4 bytes
nt_check '{"flows": [{"match": {"proto": "TCP", "src": "10.96.0.1", "dst": "10.96.0.2", "dport": 22, "len": 70},
  "count": 1, "nft": [["filter", "input", 3, "ACCEPT"]],
  "path_has": ["net:netif_rx_entry", "tcp:tcp_probe", "skb:skb_copy_datagram_iovec"]},
 {"match": {"proto": "TCP", "src": "10.96.0.2", "dst": "10.96.0.1", "sport": 22, "len": 70},
  "count": 1, "nft": [],
  "path_has": ["net:netif_rx_entry", "tcp:tcp_probe", "skb:skb_copy_datagram_iovec"]}]}' ||
	nt_fail "log does not match (above)"
python3 - "$NT_TMP/journeys.json" <<'PY' || nt_fail "journeys (above)"
import json, sys
js = json.load(open(sys.argv[1]))['journeys']
want = ['net:net_dev_queue', 'net:net_dev_start_xmit', 'net:netif_rx_entry', 'net:netif_rx',
        'net:net_dev_xmit', 'net:netif_receive_skb', 'tcp:tcp_probe', 'skb:skb_copy_datagram_iovec']
err = []
data = [j for j in js if j['proto'] == 'TCP' and j['len'] == 70]
for j in data:
    path = [p['func'] for p in j['path']]
    if path[:len(want)] != want:
        err.append('packet %s (%s): path %s, expected it to start with %s' % (j['packet'], j['flow'], path, want))
    layers = [l['layer'] for l in j['layers']]
    if 'TCP' not in layers or 'Socket' not in layers:
        err.append('packet %s: layers %s lack TCP / Socket' % (j['packet'], layers))
for j in js:
    if j['family'] not in ('ipv4', 'ipv6'):
        err.append('non-IP journey: packet %s %s' % (j['packet'], [p['func'] for p in j['path']]))
    elif j['path'] and j['path'][0]['func'] == 'skb:skb_copy_datagram_iovec':
        err.append('journey starting at skb_copy_datagram_iovec: packet %s (%s)' % (j['packet'], j['flow']))
if len(data) != 2:
    err.append('%d data segments, expected 2' % len(data))
for e in err:
    print('  ' + e)
sys.exit(1 if err else 0)
PY
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
