#!/bin/bash
# demo.sh - what `sudo make demo` runs after building: two private network
# namespaces joined by veth, the sample ruleset samples/rulesets/demo.nft in the
# server namespace, nft-record (tracepoints + nftrace, no kprobes needed) while
# ping / TCP (through DNAT) / UDP (accepted and dropped) / IPv6 traffic hits
# accept, drop, jump and NAT rules; then nft-analyze journeys and stats.
# Removes its namespaces and processes on exit; keeps the log only with
# NT_DEMO_KEEP=1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
REC=$ROOT/$O/nft-record
ANA=$ROOT/$O/nft-analyze
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 3; }
for b in "$REC" "$ANA"; do [ -x "$b" ] || { echo "demo: $b missing: run make first" >&2; exit 1; }; done
command -v nft >/dev/null || { echo "demo: nft (nftables) is not installed: make deps" >&2; exit 1; }

C=ntdemo$$c S=ntdemo$$s
TMP=$(mktemp -d /tmp/nft-demo.XXXXXX)
LOG=$TMP/demo.ntl
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	if [ "${NT_DEMO_KEEP:-0}" = 1 ]; then echo "demo: log kept in $LOG"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "namespaces $C (client 10.99.0.1, fd99::1) <-veth-> $S (server 10.99.0.2, fd99::2)"
ip netns add "$C" && ip netns add "$S" || exit 1
ip link add vc netns "$C" type veth peer name vs netns "$S" || exit 1
for ns in "$C" "$S"; do ip -n "$ns" link set lo up; done
ip -n "$C" addr add 10.99.0.1/24 dev vc; ip -n "$C" addr add fd99::1/64 dev vc nodad
ip -n "$S" addr add 10.99.0.2/24 dev vs; ip -n "$S" addr add fd99::2/64 dev vs nodad
ip -n "$C" link set vc up; ip -n "$S" link set vs up
ip netns exec "$C" ping -c1 -W1 10.99.0.2 >/dev/null 2>&1   # ARP / NDP before recording
ip netns exec "$C" ping -6 -c1 -W1 fd99::2 >/dev/null 2>&1

step "ruleset in $S (samples/rulesets/demo.nft)"
ip netns exec "$S" nft -f "$ROOT/samples/rulesets/demo.nft" || exit 1
ip netns exec "$S" nft -a list ruleset

# a web server on port 80 of the server (the DNAT target)
ip netns exec "$S" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 80)) if False else s.bind(("0.0.0.0", 80)); s.listen(8)
s6 = socket.socket(socket.AF_INET6); s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(("::", 80)); s6.listen(8)
import select
while True:
    r, _, _ = select.select([s, s6], [], [])
    for l in r:
        c, _ = l.accept(); c.recv(100); c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello\n"); c.close()
' &
PIDS+=($!)
sleep 0.3

step "nft-record (client namespace + --netns $S), recording to $LOG"
ip netns exec "$C" "$REC" --netns "$S" --output "$LOG" --duration 8 &
RPID=$!
PIDS+=($RPID)
for i in $(seq 1 50); do
	ip netns exec "$S" nft list tables 2>/dev/null | grep -q "nft_record_$RPID" && break
	sleep 0.1
done
sleep 0.3

step "traffic"
echo "ping 10.99.0.2 (jump from_client -> accept)";   ip netns exec "$C" ping -c2 -i0.2 -W1 10.99.0.2 | tail -1
echo "TCP 10.99.0.2:8080 (DNAT to :80, accepted)";   ip netns exec "$C" python3 -c '
import socket; s = socket.create_connection(("10.99.0.2", 8080), timeout=2); s.sendall(b"GET /\r\n\r\n"); print(" ", s.recv(100).split(b"\r\n")[0].decode())'
echo "UDP 10.99.0.2:9 (dropped by rule)";            ip netns exec "$C" bash -c 'echo x > /dev/udp/10.99.0.2/9'
echo "UDP 10.99.0.2:5353 (accepted, no listener)";   ip netns exec "$C" bash -c 'echo x > /dev/udp/10.99.0.2/5353'
echo "TCP 10.99.0.2:22 (falls through, policy drop)"; ip netns exec "$C" python3 -c '
import socket
try: socket.create_connection(("10.99.0.2", 22), timeout=0.5)
except OSError as e: print("  ", e)'
echo "ping6 fd99::2 (accepted)";                     ip netns exec "$C" ping -6 -c2 -i0.2 -W1 fd99::2 | tail -1
echo "TCP [fd99::2]:80 (accepted)";                  ip netns exec "$C" python3 -c '
import socket; s = socket.create_connection(("fd99::2", 80), timeout=2); s.sendall(b"GET /\r\n\r\n"); print(" ", s.recv(100).split(b"\r\n")[0].decode())'

step "waiting for the recording to end (--duration 8)"
wait "$RPID"
rc=$?
[ $rc = 0 ] || { echo "demo: nft-record exited $rc" >&2; exit 1; }

step "nft-analyze journeys (client 10.99.0.1)"
"$ANA" journeys --host 10.99.0.1 "$LOG"
step "nft-analyze journeys (client fd99::1)"
"$ANA" journeys --host fd99::1 "$LOG"
step "nft-analyze stats"
"$ANA" stats "$LOG"
