#!/bin/bash
# http_abuse.sh - nft-record --serve against hostile clients (issue #16):
#  - slowloris from two addresses (127.0.0.2 and .3, 32 connections each, headers
#    trickled one byte every 0.5 s, closed connections reopened at once) while a
#    legitimate client (127.0.0.1) asks for the status once a second: every
#    answer is 200 within 5 s; the server closes a connection whose headers are
#    not complete within a few seconds (none lives past 8 s);
#  - request smuggling: two Content-Length headers (different and equal),
#    Content-Length with Transfer-Encoding, "Transfer-Encoding :", a
#    Transfer-Encoding other than chunked: a 400 or a closed connection, never a
#    second answer (the smuggled request is not run);
#  - Last-Event-ID: 18446744073709551615 and ids past the last event replay
#    nothing (no wrap to 0), 0 replays from the first event, a number of 23
#    digits is a 400.
. "$(dirname "$0")/lib_http.sh"
nt_http_init http_abuse
NS=${NT_PFX}s
ip netns add "$NS" && NT_NSLIST+=("$NS")
ip -n "$NS" link set lo up
nt_http_server "$NS" "127.0.0.1:$NT_PORT" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }

# ---- slowloris from two addresses + a legitimate client ----
ip netns exec "$NS" python3 - "$NT_PORT" "$API" > "$NT_TMP/slow.out" 2>&1 <<'PY'
import socket, sys, threading, time
port, api = int(sys.argv[1]), sys.argv[2]
stop = time.monotonic() + 16
lives, lock = [], threading.Lock()

def attacker(src):
    # hold as many connections from SRC as the server lets us, trickling headers
    conns = []
    while time.monotonic() < stop:
        while len(conns) < 32 and time.monotonic() < stop:
            s = socket.socket()
            s.settimeout(0.3)
            try:
                s.bind((src, 0))
                s.connect(('127.0.0.1', port))
                s.sendall(f'GET {api}/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n'.encode())
                conns.append((s, time.monotonic()))
            except OSError:
                s.close()
                break
        alive = []
        for s, t0 in conns:
            try:
                s.sendall(b'X')
                s.settimeout(0.001)
                try:
                    if s.recv(1) == b'':
                        raise OSError('closed')
                except socket.timeout:
                    pass
                alive.append((s, t0))
            except OSError:
                with lock:
                    lives.append(time.monotonic() - t0)
                s.close()
        conns = alive
        time.sleep(0.5)
    for s, t0 in conns:
        with lock:
            lives.append(time.monotonic() - t0)
        s.close()

ts = [threading.Thread(target=attacker, args=(a,)) for a in ('127.0.0.2', '127.0.0.3')]
for t in ts:
    t.start()
time.sleep(3)  # the attack is in place
worst, answers = 0.0, []
for i in range(10):
    t0 = time.monotonic()
    code = 'none'
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(('127.0.0.1', port))
        s.sendall(f'GET {api}/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n'.encode())
        data = b''
        while b'\r\n' not in data:
            b = s.recv(4096)
            if not b:
                break
            data += b
        code = data.split(b' ')[1].decode() if data.startswith(b'HTTP/1.') else 'closed'
    except OSError as e:
        code = type(e).__name__
    s.close()
    dt = time.monotonic() - t0
    worst = max(worst, dt)
    answers.append(code)
    time.sleep(max(0, 1 - dt))
for t in ts:
    t.join()
print('answers', ' '.join(answers))
print('worst %.2f' % worst)
print('longest_slow_connection %.1f' % (max(lives) if lives else 0))
print('slow_connections %d' % len(lives))
PY
ans=$(sed -n 's/^answers //p' "$NT_TMP/slow.out")
worst=$(sed -n 's/^worst //p' "$NT_TMP/slow.out")
longest=$(sed -n 's/^longest_slow_connection //p' "$NT_TMP/slow.out")
echo "# slowloris: legitimate answers [$ans], slowest ${worst}s; slow connections: $(sed -n 's/^slow_connections //p' "$NT_TMP/slow.out"), longest ${longest}s"
if [ "$ans" = "200 200 200 200 200 200 200 200 200 200" ] && awk "BEGIN{exit !($worst < 5)}"; then
	nt_pass "slowloris from two addresses: the legitimate client got 10 x 200 within 5 s"
else
	nt_fail "slowloris from two addresses: legitimate answers [$ans], slowest ${worst}s (want 10 x 200 within 5 s): $(tail -3 "$NT_TMP/slow.out")"
fi
if [ -n "$longest" ] && awk "BEGIN{exit !($longest < 8)}"; then
	nt_pass "slow header senders are closed (longest ${longest}s)"
else
	nt_fail "a connection trickling its headers lived ${longest}s (want < 8 s)"
fi

# ---- smuggling: 400 or closed, never a second answer ----
# smuggle NAME RAW-REQUEST (python bytes literal)
smuggle() {
	local name=$1 req=$2 out
	out=$(ip netns exec "$NS" python3 - "$NT_PORT" "$req" <<'PY'
import ast, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3)
s.sendall(ast.literal_eval(sys.argv[2]))
data, t0 = b'', time.monotonic()
try:
    while time.monotonic() - t0 < 3:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
lines = [l for l in data.split(b'\r\n') if l.startswith(b'HTTP/1.')]
print(len(lines), lines[0].split(b' ')[1].decode() if lines else 'closed')
PY
)
	case $out in
	"1 400"|"0 closed") nt_pass "smuggling: $name -> $(echo "$out" | cut -d' ' -f2)" ;;
	*) nt_fail "smuggling: $name: $out (answers, first status); want one 400 or a closed connection" ;;
	esac
}
SMUG="GET $API/status HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\n\\r\\n"
smuggle "two Content-Length" \
	"b'POST $API/stop HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\nContent-Type: application/json\\r\\nContent-Length: 0\\r\\nContent-Length: ${#SMUG}\\r\\n\\r\\n$SMUG'"
smuggle "two equal Content-Length" \
	"b'POST $API/stop HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\nContent-Length: 2\\r\\n\\r\\n{}'"
smuggle "Content-Length + Transfer-Encoding" \
	"b'POST $API/stop HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\nContent-Type: application/json\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUG'"
smuggle "Transfer-Encoding with a space before the colon" \
	"b'POST $API/stop HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\nContent-Type: application/json\\r\\nContent-Length: 5\\r\\nTransfer-Encoding : chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUG'"
smuggle "Transfer-Encoding chunked, identity" \
	"b'POST $API/stop HTTP/1.1\\r\\nHost: 127.0.0.1:$NT_PORT\\r\\nContent-Type: application/json\\r\\nTransfer-Encoding: chunked, identity\\r\\n\\r\\n0\\r\\n\\r\\n$SMUG'"

# ---- Last-Event-ID: no wrap ----
nt_req "$NS" POST $API/start '{"filter": "icmp", "output": "leid.ntl"}'
if nt_expect 200 "start a recording for the event stream"; then
	ip netns exec "$NS" ping -c3 -i0.2 -W1 127.0.0.1 > /dev/null
	sleep 1.5
	for id in 18446744073709551615 99999 0; do
		ip netns exec "$NS" curl -sN -m 2 -H "Last-Event-ID: $id" "$NT_BASE$API/events" > "$NT_TMP/sse.$id" 2>/dev/null
	done
	n=$(grep -c '^id: ' "$NT_TMP/sse.18446744073709551615")
	[ "$n" = 0 ] && nt_pass "Last-Event-ID 18446744073709551615 replays nothing" ||
		nt_fail "Last-Event-ID 18446744073709551615 replayed $n events (a wrap to 0)"
	n=$(grep -c '^id: ' "$NT_TMP/sse.99999")
	[ "$n" = 0 ] && nt_pass "Last-Event-ID past the last event replays nothing" ||
		nt_fail "Last-Event-ID 99999 (past the last event) replayed $n events"
	grep -q '^id: 1$' "$NT_TMP/sse.0" && nt_pass "Last-Event-ID 0 replays from the first event" ||
		nt_fail "Last-Event-ID 0 did not replay event 1: $(head -c 200 "$NT_TMP/sse.0")"
	nt_req "$NS" GET $API/events "" -H "Last-Event-ID: 99999999999999999999999"
	nt_expect 400 "Last-Event-ID of 23 digits" "j.get('field') == 'Last-Event-ID'" && nt_pass "Last-Event-ID of 23 digits: 400"
	nt_req "$NS" POST $API/stop
	nt_expect 200 "stop"
fi

# the server survived all of it
nt_req "$NS" GET $API/status
nt_expect 200 "status after the abuse" && nt_pass "the server still answers"
nt_http_stop_server TERM
[ "$NT_SRV_RC" = 0 ] && nt_pass "SIGTERM: exit 0" || nt_fail "server exit $NT_SRV_RC after SIGTERM: $(tail -3 "$NT_TMP/srv.err")"
exit $NT_FAILED
