#!/bin/bash
# http_concurrent.sh - nft-record --serve: a recording with "duration" stops by
# itself (status finished, exit 0, log complete); 8 simultaneous starts give
# exactly one 200 and seven 409 naming the running recording; SIGINT while
# recording (an event stream open) stops the recording cleanly: the stream gets
# its "end" event, the server exits 0, the log is complete for nft-analyze and
# mode 0600, no nft table, BPF program or temporary file is left.
. "$(dirname "$0")/lib_http.sh"
nt_http_init http_concurrent
nt_ns_pair 85 || { nt_fail "netns setup failed"; exit 1; }
nt_http_server "$NSA" "127.0.0.1:$NT_PORT" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }

# duration: ends by itself
nt_req "$NSA" POST $API/start "{\"duration\": 1, \"filter\": \"host $A4\", \"output\": \"d.ntl\"}"
nt_expect 200 "start with duration 1" "j['id'] == 1"
sleep 2
nt_req "$NSA" GET $API/status
nt_expect 200 "status after the duration" "j['state'] == 'finished' and j['running'] is False and j['exit_code'] == 0 and j['log_complete'] is True and j['duration'] == 1"

# 8 starts at once
for i in 1 2 3 4 5 6 7 8; do
	ip netns exec "$NSA" curl -s -m 20 -o "$NT_TMP/c$i.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"filter\": \"host $A4 and icmp\", \"netns\": \"$NSB\", \"output\": \"c$i.ntl\"}" \
		"$NT_BASE$API/start" > "$NT_TMP/c$i.code" &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(for f in "$NT_TMP"/c?.code; do echo "$(cat "$f")"; done | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
[ "$codes" = "200×1 409×7 " ] || nt_fail "8 concurrent starts: $codes, expected 200×1 409×7"
winner=$(grep -l 200 "$NT_TMP"/c?.code | head -1); winner=${winner%.code}
WID=$(nt_jq "$winner.body" "j['id']"); WOUT=$(nt_jq "$winner.body" "j['output']")
[ "$WID" = 2 ] || nt_fail "winner id $WID, expected 2"
for f in "$NT_TMP"/c?.code; do
	[ "$(cat "$f")" = 409 ] || continue
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["id"] == 2 and "already" in j["error"] and sys.argv[2] in j["error"] else 1)' \
		"${f%.code}.body" "$WOUT" || nt_fail "409 answer $(cat "${f%.code}.body") does not name recording 2 ($WOUT)"
done
n=$(ls "$NT_DIR" | grep -c '^c[0-9].ntl$')
[ "$n" = 1 ] || nt_fail "$n logs c*.ntl created, expected 1"
nt_http_note_bpf

# SIGINT while recording, with an event stream open
ip netns exec "$NSA" curl -sN -m 20 "$NT_BASE$API/events" > "$NT_TMP/sse" &
SSE=$!
nt_sse_wait "$NT_TMP/sse"
ip netns exec "$NSA" ping -c2 -i0.2 -W1 "$B4" > /dev/null
sleep 0.5
nt_http_stop_server INT
[ "$NT_SRV_RC" = 0 ] || nt_fail "server exit $NT_SRV_RC after SIGINT: $(tail -3 "$NT_TMP/srv.err")"
wait $SSE
grep -q '^event: end' "$NT_TMP/sse" || nt_fail "event stream did not get its end event: $(tail -c 300 "$NT_TMP/sse")"
[ "$(grep -c '^data: .*echo-request.*netif_receive_skb\|^data: .*netif_receive_skb.*echo-request' "$NT_TMP/sse")" = 2 ] ||
	nt_fail "event stream: expected 2 netif_receive_skb lines of echo requests"
"$NT_ANA" stats --json "$WOUT" > "$NT_TMP/st.json" || nt_fail "nft-analyze stats exit $? on $WOUT"
[ "$(nt_jq "$NT_TMP/st.json" "j['stats']['totals']['log_complete']")" = true ] || nt_fail "$WOUT not complete after SIGINT"
[ "$(nt_jq "$NT_TMP/st.json" "j['stats']['totals']['packets']")" = 4 ] || nt_fail "$WOUT: $(nt_jq "$NT_TMP/st.json" "j['stats']['totals']['packets']") packets, expected 4"
[ "$(stat -c %a "$WOUT")" = 600 ] || nt_fail "log mode $(stat -c %a "$WOUT")"
left=$(ls -A "$NT_DIR" | grep -v -e '^d.ntl$' -e "^$(basename "$WOUT")\$")
[ -z "$left" ] || nt_fail "left in the serve dir: $left"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
