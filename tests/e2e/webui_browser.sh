#!/bin/bash
# webui_browser.sh - the web page of nft-record --serve in headless Chromium
# (Debian's chromium, driven over the DevTools protocol by tests/tools/cdp.py),
# inside the server's namespace A.  B drops ICMP echo from A by rule and
# rejects UDP to port 9.  The page starts a recording, the drops appear in its
# list, one expands (by keyboard) into its journey with the rule text and the
# drop reason; stop; the log downloaded by the page equals the server's file
# and the counters the page shows equal `nft-analyze stats --json` of it; the
# HTML report it downloads embeds the same statistics; the event stream it
# read is every line of `nft-analyze events`; screenshots at 1,280 and 390 px
# ($O/test-artifacts/webui-1280.png, webui-390.png) without horizontal
# overflow; no script error or CSP violation.  A second server with --token:
# the page alone gets no data (every API answer 401), a wrong token is refused,
# the right one shows the state.  A page of another origin cannot start a
# recording (fetch with a preflight fails, no-cors POST refused), a foreign
# Host gets 421, no Host 400, a POST without Content-Type: application/json 415,
# a foreign Origin 403.  Then the packet ring over curl: 3,000 rejected
# datagrams, the last 1,024 kept in order, the rest counted as missed; log
# and report 409 while recording; GET log is the file.
. "$(dirname "$0")/lib_http.sh"
nt_http_init webui_browser
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || nt_skip "chromium not installed (scripts/deps.sh installs it)"
ART=$NT_ROOT/$NT_O/test-artifacts
mkdir -p "$ART"

nt_ns_pair 84 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/web.nft" <<EOF
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr $A4 icmp type echo-request drop
		udp dport 9 reject with icmp type port-unreachable
	}
}
EOF
nt_ns_ruleset "$NSB" "$NT_TMP/web.nft" || { nt_fail "ruleset"; exit 1; }

nt_http_server "$NSA" "127.0.0.1:$NT_PORT" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }
SRV1=$NT_SRV_PID
# the second server: --token, its own serve dir
TOKEN=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
echo "$TOKEN" > "$NT_TMP/token"; chmod 600 "$NT_TMP/token"
ip netns exec "$NSA" "$NT_REC" --serve "127.0.0.1:$((NT_PORT + 1))" --serve-dir "$NT_TMP/rec2" \
	--token "$NT_TMP/token" > "$NT_TMP/srv2.out" 2> "$NT_TMP/srv2.err" &
SRV2=$!
NT_PIDS+=($SRV2)
for i in $(seq 50); do grep -q 'listening on' "$NT_TMP/srv2.err" && break; sleep 0.1; done
# a page of another origin (another port)
mkdir -p "$NT_TMP/other"; echo '<!DOCTYPE html><title>other</title>' > "$NT_TMP/other/index.html"
ip netns exec "$NSA" python3 -m http.server --bind 127.0.0.1 --directory "$NT_TMP/other" $((NT_PORT + 2)) \
	> /dev/null 2>&1 &
NT_PIDS+=($!)

# browser-facing checks with curl (before the browser: nothing may have started)
nt_req "$NSA" GET $API/status "" -H "Host: evil.example:$NT_PORT"
nt_expect 421 "foreign Host" "'not this server' in j['error']"
nt_req "$NSA" GET / "" -H "Host: rebind.example"
nt_expect 421 "foreign Host on the page"
nt_req "$NSA" GET $API/status "" -H "Host: 127.0.0.1:$((NT_PORT + 5))"
nt_expect 421 "Host with another port"
nt_req "$NSA" GET $API/status "" --http1.0 -H "Host:"
nt_expect 400 "no Host" "'Host header missing' in j['error']"
nt_req "$NSA" GET $API/status "" -H "Host: localhost:$NT_PORT"
nt_expect 200 "Host localhost" "j['state'] == 'idle'"
for h in "LocalHost" "127.0.0.1" "127.0.0.1:$NT_PORT"; do
	nt_req "$NSA" GET $API/status "" -H "Host: $h"
	nt_expect 200 "Host $h"
done
for h in "127.0.0.2:$NT_PORT" "[::1]:$NT_PORT" "localhost:" "localhost:$NT_PORT:1" "localhost.:$NT_PORT" "127.0.0.1 :$NT_PORT"; do
	nt_req "$NSA" GET $API/status "" -H "Host: $h"
	[ "$HTTP_CODE" = 421 ] || [ "$HTTP_CODE" = 400 ] || nt_fail "Host '$h': HTTP $HTTP_CODE, expected 421 or 400"
done
nt_req "$NSA" POST $API/start '{}' -H 'Content-Type: text/plain'
nt_expect 415 "start with Content-Type text/plain" "'application/json' in j['error']"
HTTP_CODE=$(ip netns exec "$NSA" curl -s -m 5 -o "$NT_TMP/body" -w '%{http_code}' -X POST --data-binary '{}' "$NT_BASE$API/start")
nt_expect 415 "start without Content-Type (curl's form type)"
nt_req "$NSA" POST $API/start '{}' -H "Origin: http://127.0.0.1:$((NT_PORT + 2))"
nt_expect 403 "start with a foreign Origin" "'cross-origin' in j['error']"
nt_req "$NSA" GET $API/status "" -H "Sec-Fetch-Site: cross-site"
nt_expect 403 "status with Sec-Fetch-Site: cross-site"
nt_req "$NSA" GET /
nt_expect 200 "the page"
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'" "$NT_TMP/hdr" \
	|| nt_fail "page CSP header: $(grep -i content-security "$NT_TMP/hdr")"
grep -Eq '(src|href)="(https?:)?//|@import|url\(' "$NT_ROOT"/nft-record/webui/* && nt_fail "the page names another origin"
grep -Eq '<script>|<style>| style=| on[a-z]+=' "$NT_ROOT/nft-record/webui/index.html" && nt_fail "inline script or style in the page"
nt_req "$NSA" GET $API/packets
nt_expect 409 "packets before any recording"
nt_req "$NSA" GET $API/log
nt_expect 409 "log before any recording"

python3 "$NT_ROOT/tests/e2e/webui_browser.py" --chrome "$CHROME" --srvpid "$SRV1" --ns "$NSA" --nsb "$NSB" \
	--base "$NT_BASE" --base2 "http://127.0.0.1:$((NT_PORT + 1))" --other "http://127.0.0.1:$((NT_PORT + 2))" \
	--token "$TOKEN" --a4 "$A4" --b4 "$B4" --b6 "$B6" --dir "$NT_DIR" --ana "$NT_ANA" --art "$ART" \
	--tmp "$NT_TMP" || nt_fail "browser test (above)"

{ read -r NT_PROG_IDS; read -r NT_LINK_IDS; } < "$NT_TMP/bpf_ids"   # for nt_assert_clean
# nothing was started by the other origin: server 1 still has recording 1, server 2 none
nt_req "$NSA" GET $API/status
nt_expect 200 "status after the cross-origin attempts" "j['id'] == 1 and j['state'] == 'finished'"
grep -c 'started:' "$NT_TMP/srv.err" | grep -qx 1 || nt_fail "server 1 started $(grep -c 'started:' "$NT_TMP/srv.err") recordings"
grep -q 'started:' "$NT_TMP/srv2.err" && nt_fail "the token server started a recording"
[ "$(ls "$NT_TMP/rec2")" = "" ] || nt_fail "token server dir holds $(ls "$NT_TMP/rec2")"

# the packet ring: 3,000 rejected datagrams, the last 1,024 kept, the rest counted as missed
# (a packet whose trace message was lost to a netlink overrun, counted, has no deciding rule)
nt_req "$NSA" POST $API/start "{\"filter\": \"host $A4 and udp\", \"netns\": [\"$NSB\"], \"backend\": \"tracepoint\", \"output\": \"ring.ntl\"}"
nt_expect 200 "start (ring)" "j['id'] == 2"
nt_req "$NSA" GET $API/log
nt_expect 409 "log while recording" "'still running' in j['error']"
nt_req "$NSA" GET $API/report
nt_expect 409 "report while recording" "'still running' in j['error']"
ip netns exec "$NSA" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b'x', ('$B4', 9))
    if i % 100 == 99: time.sleep(0.02)"
sleep 1
nt_req "$NSA" POST $API/stop
nt_expect 200 "stop (ring)" "j['exit_code'] == 0"
nt_req "$NSA" GET "$API/packets?after=0&limit=200"
nt_expect 200 "packets of a full ring" "j['id'] == 2 and j['next'] - j['first'] == 1024 and j['missed'] == j['first'] - 1 and j['next'] - 1 >= 3000 and len(j['packets']) == 200 and [p['seq'] for p in j['packets']] == list(range(j['first'], j['first'] + 200)) and all((p['deciding'] is None or p['deciding']['text'] == 'udp dport 9 reject with icmp port-unreachable') and p['journey']['dport'] == 9 and p['journey']['drop_reason'] == 'NETFILTER_DROP' for p in j['packets']) and j['last'] == j['first'] + 199"
nt_req "$NSA" GET "$API/packets?after=1000000&limit=5"
nt_expect 200 "packets after the last" "j['packets'] == [] and j['missed'] == 0"
nt_req "$NSA" GET "$API/packets?limit=201"
nt_expect 400 "packets limit 201" "j['field'] == 'limit'"
nt_req "$NSA" GET "$API/packets?after=-1"
nt_expect 400 "packets after -1" "j['field'] == 'after'"
nt_req "$NSA" GET $API/log
nt_expect 200 "log (ring)"
cmp -s "$NT_TMP/body" "$NT_DIR/ring.ntl" || nt_fail "GET log differs from the file"
grep -qi '^Content-Disposition: attachment; filename="ring.ntl"' "$NT_TMP/hdr" || nt_fail "log without Content-Disposition"

nt_assert_clean
nt_http_stop_server TERM
[ "$NT_SRV_RC" = 0 ] || nt_fail "server exit $NT_SRV_RC after SIGTERM: $(tail -3 "$NT_TMP/srv.err")"
kill -TERM "$SRV2"; wait "$SRV2"; rc=$?
[ $rc = 0 ] || nt_fail "token server exit $rc"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
